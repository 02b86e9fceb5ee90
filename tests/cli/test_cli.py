"""The `preview` command as a user runs it: start-up imports, exit codes, no leaked secrets."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts import errors
from preview.automation import CommandFailed
from preview.cli import main
from preview.domain import Extras, TaggedResource
from preview.report import SmokeResult
from preview.settings import Settings
from tests.cli.conftest import REPO_ROOT
from tests.cli.fakes import Clock, FakeAutomation, FakeIndices, FakeSmoke, FakeTagged
from tests.cli.github_double import GitHubDouble

TOKEN = "ghp_cliSECRETcliSECRETcliSECRET0123456789"
SHA = "0123456789abcdef0123456789abcdef01234567"
HEAVY = ["pulumi", "pulumi_aws", "boto3", "botocore", "github", "opensearchpy", "sqlalchemy"]


@pytest.mark.parametrize("argv", [["--help"], ["up", "--help"], ["reap", "--help"]])
def test_help_imports_nothing_heavy(argv: list[str]) -> None:
    """`preview --help` (and a command's help) loads no Pulumi, AWS, GitHub or DB library."""
    code = (
        "import json, sys\n"
        "from preview.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


class World:
    """The CLI wired to fakes for Pulumi and Step Functions and to the GitHub double."""

    def __init__(self, gh: GitHubDouble, clock: Clock) -> None:
        self.gh = gh
        self.automation = FakeAutomation(clock)
        self.smoke = FakeSmoke()
        self.indices = FakeIndices()
        self.strays: list[TaggedResource] = []


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    with GitHubDouble(token=TOKEN) as gh:
        gh.open_pr(12, SHA)
        w = World(gh, Clock())
        monkeypatch.setattr("preview.automation.PulumiAutomation", lambda **kw: w.automation)
        monkeypatch.setattr("preview.aws.StepFunctionsSmoke", lambda *a, **kw: w.smoke)
        monkeypatch.setattr("preview.aws.StateMachineIndexCleanup", lambda *a, **kw: w.indices)
        monkeypatch.setattr(
            "preview.aws.TaggingResources", lambda c: FakeTagged(w.automation, w.strays)
        )
        # The real synth costs seconds per run; one test below uses it, the rest a stand-in.
        monkeypatch.setattr(
            "preview.wiring.synth_extras", lambda pr, cfg: Extras(1.25, "flowchart LR\n a-->b")
        )
        env = {
            "GITHUB_TOKEN": TOKEN,
            "PULUMI_BACKEND_URL": f"file://{tmp_path}",
            "PREVIEW_REPOSITORY": "acme/shop",
            "GITHUB_API_URL": gh.url,
            "PREVIEW_CONFIG_TEMPLATE": str(REPO_ROOT / "preview.yaml"),
            "PREVIEW_CAP": "3",
            "PREVIEW_LOCK_WAIT_S": "0",
            "PREVIEW_BACKOFF_S": "0",
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield w


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_up_exits_0_and_reports(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """A good deploy exits 0, prints the URL and leaves one 'ready' comment in the PR."""
    code, out = run(["up", "--pr", "12", "--sha", SHA], capsys)
    assert code == 0 and "https://pr-12.preview.example.com" in out
    (comment,) = world.gh.comments_on(12)
    assert "ready" in comment["body"]


def _locked(automation: FakeAutomation) -> None:
    automation.add("pr-12")
    automation.hold_lock("pr-12")  # a live holder, never released


ExitCase = tuple[Callable[[World], Any], list[str], int, str]
CASES: dict[str, ExitCase] = {
    "bad pr": (lambda w: None, ["up", "--pr", "0", "--sha", SHA], errors.USAGE, "--pr"),
    "bad sha": (lambda w: None, ["up", "--pr", "12", "--sha", "main"], errors.USAGE, "--sha"),
    "capped": (
        lambda w: [w.automation.add(f"pr-{n}") for n in (1, 2, 3)],
        ["up", "--pr", "12", "--sha", SHA],
        errors.CAPPED,
        "PREVIEW_CAP",
    ),
    "smoke failed": (
        lambda w: setattr(w.smoke, "result", SmokeResult("FAILED", ("test_home",))),
        ["up", "--pr", "12", "--sha", SHA],
        errors.SMOKE_FAILED,
        "failing tests",
    ),
    "locked": (
        lambda w: _locked(w.automation),
        ["down", "--pr", "12"],
        errors.LOCKED,
        "re-run",
    ),
    "reap leaves strays": (
        lambda w: w.strays.append(TaggedResource("arn:aws:sqs:us-east-1:1:pp-pr-77-q", 77, None)),
        ["reap"],
        errors.UNAVAILABLE,
        "deleted by hand",
    ),
    "pulumi failed": (
        lambda w: (w.automation.add("pr-12"), w.automation.halfway.update({"pr-12": 1})),
        ["down", "--pr", "12"],
        errors.UNAVAILABLE,
        "preview down --pr 12",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_failures_exit_with_documented_codes_and_a_fix(
    case: str, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each failure kind exits with its documented code and prints what to do."""
    setup, argv, expected, fix_mentions = CASES[case]
    setup(world)
    code, out = run(argv, capsys)
    assert code == expected
    assert "error:" in out and "fix:" in out
    assert fix_mentions in out


def test_reap_dry_run_lists_strays_and_exits_0(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """--dry-run changes nothing and exits 0, listing even the strays it could not delete."""
    world.strays.append(TaggedResource("arn:aws:sqs:us-east-1:1:pp-pr-77-q", 77, None))
    code, out = run(["reap", "--dry-run"], capsys)
    assert code == 0 and "would destroy" in out
    assert "manual" in out and "pp-pr-77-q" in out


def test_bad_setting_names_the_variable(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid PREVIEW_ setting exits 2 and names the variable to fix."""
    monkeypatch.setenv("PREVIEW_EVICTION_POLICY", "random")
    code, out = run(["ls"], capsys)
    assert code == errors.USAGE and "PREVIEW_EVICTION_POLICY" in out


def test_token_never_appears_in_output(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Even when Pulumi echoes secrets and an error message contains one, output shows ***."""
    passphrase = "correct-horse-battery-staple"
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", passphrase)
    original_up = world.automation.up

    def leaky_up(stack: str, config: Any, on_output: Callable[[str], None]) -> dict[str, Any]:
        on_output(f"env GITHUB_TOKEN={TOKEN} PULUMI_CONFIG_PASSPHRASE={passphrase}")
        original_up(stack, config, on_output)
        raise CommandFailed(f"provider failed with header Authorization: token {TOKEN}")

    world.automation.up = leaky_up  # type: ignore[method-assign]
    code, out = run(["up", "--pr", "12", "--sha", SHA], capsys)
    assert code == errors.UNAVAILABLE
    assert TOKEN not in out and passphrase not in out and "***" in out
    assert all(TOKEN not in c["body"] for c in world.gh.comments_on(12))


def _crash(stack: str, config: Any, on_output: Callable[[str], None]) -> dict[str, Any]:
    raise KeyError("outputs")  # a bug, not a PreviewError


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_an_unexpected_error_is_one_line_and_exit_1(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    debug: bool,
) -> None:
    """A bug in a command exits 1 with one error line and the hint; the traceback only on
    --debug (Prefect's funnel)."""
    world.automation.up = _crash  # type: ignore[method-assign]
    argv = ["--debug"] * debug + ["up", "--pr", "12", "--sha", SHA]
    code, out = run(argv, capsys)
    errors_ = [line for line in out.splitlines() if line.startswith("error:")]
    assert code == errors.INTERNAL
    assert errors_ == ["error: internal error: KeyError: 'outputs'"]
    assert "--debug" in out and "report it with the job log" in out
    assert ("Traceback (most recent call last)" in out) is debug


def test_debug_env_shows_the_traceback(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PREVIEW_DEBUG", "1")
    world.automation.up = _crash  # type: ignore[method-assign]
    code, out = run(["up", "--pr", "12", "--sha", SHA], capsys)
    assert code == errors.INTERNAL and "Traceback (most recent call last)" in out


def test_settings_never_render_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """repr, str and model_dump_json of the settings mask GITHUB_TOKEN."""
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    s = Settings()
    assert s.github_token.get_secret_value() == TOKEN
    for text in (repr(s), str(s), s.model_dump_json()):
        assert TOKEN not in text


def test_every_setting_is_described() -> None:
    """Each setting has a description (it is the documentation of PREVIEW_* variables)."""
    assert all(f.description for f in Settings.model_fields.values())


def test_reap_prints_a_table_of_findings(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """reap --dry-run lists kept and would-be-destroyed previews and destroys nothing."""
    world.automation.add("pr-12")
    world.automation.add("pr-40")  # PR 40 is not open
    code, out = run(["reap", "--dry-run"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["PR", "STACK", "REASON", "ACTION", "DETAIL"]
    assert any(ln.split()[:2] == ["12", "pr-12"] and "keep" in ln for ln in lines)
    assert any(ln.split()[:2] == ["40", "pr-40"] and "would destroy" in ln for ln in lines)
    assert "pr-40" in world.automation.stacks


def test_ls_lists_live_previews(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """ls shows PR, sha, age, expiry, URL and the smoke status of each live preview."""
    assert run(["up", "--pr", "12", "--sha", SHA], capsys)[0] == 0
    code, out = run(["ls", "--json"], capsys)
    (row,) = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert code == 0
    assert row["pr"] == 12 and row["sha"] == SHA and row["smoke"] == "success"
    assert row["url"] == "https://pr-12.preview.example.com" and row["expires_at"]


def test_comment_shows_cost_and_diagram_from_synth(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the real preview.synth, the comment carries its cost/day and Mermaid topology."""
    monkeypatch.undo()  # drop the synth stand-in (and every other patch) ...
    monkeypatch.setattr("preview.automation.PulumiAutomation", lambda **kw: world.automation)
    monkeypatch.setattr("preview.aws.StepFunctionsSmoke", lambda *a, **kw: world.smoke)
    for key, value in {
        "GITHUB_TOKEN": TOKEN,
        "PREVIEW_REPOSITORY": "acme/shop",
        "GITHUB_API_URL": world.gh.url,
        "PREVIEW_CONFIG_TEMPLATE": str(REPO_ROOT / "preview.yaml"),
        "PULUMI_BACKEND_URL": "file:///tmp",  # `up` refuses without one (the fake never uses it)
    }.items():
        monkeypatch.setenv(key, value)
    from preview.synth import synth_report

    assert run(["up", "--pr", "12", "--sha", SHA], capsys)[0] == 0
    (comment,) = world.gh.comments_on(12)
    cfg = world.automation.stacks["pr-12"].config
    expected = synth_report("pr-12", cfg, naive=False).cost_per_day_usd
    assert f"${expected:.2f}/day" in comment["body"]
    assert "```mermaid\nflowchart" in comment["body"]


def test_standard_ci_variable_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """PULUMI_BACKEND_URL, GITHUB_TOKEN and GITHUB_STEP_SUMMARY work without the PREVIEW_ prefix."""
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://acme-state")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", "/tmp/summary.md")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    s = Settings()
    assert s.pulumi_backend_url == "s3://acme-state"
    assert str(s.step_summary) == "/tmp/summary.md"
    assert s.github_token.get_secret_value() == TOKEN


def test_down_prints_the_queued_pr_it_reruns(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """At the cap `up` exits 6 and queues PR 12 with its run; `down` of a live PR prints one
    line naming PR 12 and the re-run run, and exits 0."""
    for pr in (1, 2, 3):
        world.gh.open_pr(pr, "a" * 40)
        world.automation.add(f"pr-{pr}")
    world.gh.add_run(12, 900)
    monkeypatch.setenv("GITHUB_RUN_ID", "900")
    assert run(["up", "--pr", "12", "--sha", SHA], capsys)[0] == errors.CAPPED
    code, out = run(["down", "--pr", "1"], capsys)
    assert code == 0 and world.gh.state.reruns == [900]
    assert "pr-12: queued PR re-run (workflow run 900)" in out
