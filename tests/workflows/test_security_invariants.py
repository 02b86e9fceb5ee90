"""The workflows hold the security invariants, and each invariant check catches its mistake."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from tests.workflows import invariants as inv

WORKFLOW_FILES = sorted(inv.WORKFLOWS.glob("*.yml"))


def _wf(text: str, tmp_path: Path) -> Path:
    path = tmp_path / "wf.yml"
    path.write_text(dedent(text))
    return path


def test_the_four_workflows_exist() -> None:
    """Adopters get exactly the preview, prod, reaper and CI workflows the README describes."""
    assert {p.name for p in WORKFLOW_FILES} == {"preview.yml", "prod.yml", "reaper.yml", "ci.yml"}


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_holds_every_invariant(path: Path) -> None:
    """Pinned actions, least privilege, no dangerous triggers, no spliced expressions, no
    persisted checkout tokens, fork PRs without credentials."""
    assert inv.all_violations(path) == []


def test_yaml_on_key_is_read_as_triggers() -> None:
    """PyYAML reads `on:` as True; the loader maps it back so trigger checks are not vacuous."""
    wf = inv.load(inv.WORKFLOWS / "preview.yml")
    assert inv.triggers(wf)["pull_request"]["types"] == [
        "opened",
        "synchronize",
        "reopened",
        "closed",
    ]


def test_tag_pinned_action_is_caught() -> None:
    """A tag (`@v4`) or a sha without its version comment is a violation."""
    text = (
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n"
        "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n"
        "      - uses: ./.github/actions/local\n"
    )
    assert [v.split(":")[0] for v in inv.unpinned_actions(text)] == ["line 2", "line 3"]


def test_missing_job_permissions_are_caught(tmp_path: Path) -> None:
    """A workflow-wide grant or a job without its own permissions map is a violation."""
    path = _wf(
        """\
        on: push
        permissions: write-all
        jobs:
          a:
            runs-on: ubuntu-latest
            steps: [{run: "true"}]
        """,
        tmp_path,
    )
    found = inv.permission_violations(inv.load(path))
    assert len(found) == 2


def test_actions_write_next_to_pr_code_is_caught(tmp_path: Path) -> None:
    """`actions: write` is for jobs running trusted code (down, reaper), never beside the PR's."""
    path = _wf(
        """\
        on: pull_request
        permissions: {}
        jobs:
          a:
            runs-on: ubuntu-latest
            permissions: {actions: write}
            steps:
              - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
                with: {ref: "${{ github.event.pull_request.head.sha }}"}
          b:
            runs-on: ubuntu-latest
            permissions: {actions: write}
            steps:
              - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
                with: {ref: "${{ github.event.pull_request.base.sha }}"}
        """,
        tmp_path,
    )
    assert inv.permission_violations(inv.load(path)) == [
        "job a: actions: write in a job that checks out PR code"
    ]


def test_id_token_without_role_is_caught(tmp_path: Path) -> None:
    """An OIDC token in a job that assumes no role is needless privilege."""
    path = _wf(
        """\
        on: push
        permissions: {}
        jobs:
          a:
            runs-on: ubuntu-latest
            permissions: {id-token: write}
            steps: [{run: "true"}]
        """,
        tmp_path,
    )
    assert inv.id_token_violations(inv.load(path)) == [
        "job a: id-token: write without assuming a role"
    ]


def test_pull_request_target_is_caught(tmp_path: Path) -> None:
    """`pull_request_target` runs with the base repository's write token: forbidden."""
    path = _wf(
        """\
        on:
          pull_request_target:
            types: [opened]
        permissions: {}
        jobs: {}
        """,
        tmp_path,
    )
    assert inv.dangerous_trigger_violations(inv.load(path)) == [
        "trigger pull_request_target is forbidden"
    ]


def test_expression_in_run_is_caught(tmp_path: Path) -> None:
    """A PR title spliced into a shell script is script injection; it must go through env."""
    path = _wf(
        """\
        on: pull_request
        permissions: {}
        jobs:
          a:
            runs-on: ubuntu-latest
            permissions: {}
            steps:
              - run: echo "${{ github.event.pull_request.title }}"
              - env: {TITLE: "${{ github.event.pull_request.title }}"}
                run: echo "$TITLE"
        """,
        tmp_path,
    )
    found = inv.run_expression_violations(inv.load(path))
    assert len(found) == 1 and "untrusted expression" in found[0]


def test_persisted_checkout_credentials_are_caught(tmp_path: Path) -> None:
    """A checkout that keeps the token in .git/config hands it to every later step."""
    path = _wf(
        """\
        on: push
        permissions: {}
        jobs:
          a:
            runs-on: ubuntu-latest
            permissions: {contents: read}
            steps:
              - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        """,
        tmp_path,
    )
    assert inv.checkout_violations(inv.load(path)) == [
        "job a: checkout without persist-credentials: false"
    ]


def test_credentialed_job_without_same_repo_guard_is_caught(tmp_path: Path) -> None:
    """On pull_request, a job that can assume the AWS role must exclude fork PRs."""
    path = _wf(
        """\
        on: pull_request
        permissions: {}
        jobs:
          up:
            runs-on: ubuntu-latest
            permissions: {id-token: write}
            steps:
              - uses: aws-actions/configure-aws-credentials@v4
        """,
        tmp_path,
    )
    assert inv.fork_guard_violations(inv.load(path)) == [
        "job up: credentialed job without the same-repo guard"
    ]


def test_fork_job_with_checkout_is_caught(tmp_path: Path) -> None:
    """The fork-PR job must not run the fork's code nor hold more than pull-requests access."""
    path = _wf(
        """\
        on: pull_request
        permissions: {}
        jobs:
          notice:
            if: github.event.pull_request.head.repo.full_name != github.repository
            runs-on: ubuntu-latest
            permissions: {pull-requests: write, contents: read}
            steps:
              - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
                with: {persist-credentials: false}
        """,
        tmp_path,
    )
    assert len(inv.fork_guard_violations(inv.load(path))) == 2
