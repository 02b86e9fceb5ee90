"""What each workflow does: triggers, commands, concurrency and the production gate."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.workflows import invariants as inv


@pytest.fixture(scope="module")
def preview() -> dict[str, Any]:
    return inv.load(inv.WORKFLOWS / "preview.yml")


@pytest.fixture(scope="module")
def prod() -> dict[str, Any]:
    return inv.load(inv.WORKFLOWS / "prod.yml")


@pytest.fixture(scope="module")
def reaper() -> dict[str, Any]:
    return inv.load(inv.WORKFLOWS / "reaper.yml")


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in inv.steps(job))


def _cond(job: dict[str, Any]) -> str:
    return " ".join(str(job.get("if", "")).split())


def test_up_and_down_share_one_concurrency_group_per_pr(preview: dict[str, Any]) -> None:
    """A close waits for a running deploy of the same PR instead of racing it for the stack."""
    up, down = inv.jobs(preview)["up"], inv.jobs(preview)["down"]
    assert (
        up["concurrency"]
        == down["concurrency"]
        == {
            "group": "preview-${{ github.event.pull_request.number }}",
            "cancel-in-progress": False,
        }
    )


def test_up_runs_on_open_and_push_down_on_close(preview: dict[str, Any]) -> None:
    """`preview up --pr --sha --branch` on open/synchronize/reopen, `preview down --pr` on close."""
    up, down = inv.jobs(preview)["up"], inv.jobs(preview)["down"]
    assert "github.event.action != 'closed'" in _cond(up)
    assert "github.event.action == 'closed'" in _cond(down)
    assert 'preview up --pr "$PR" --sha "$SHA" --branch "$BRANCH"' in _runs(up)
    assert 'preview down --pr "$PR"' in _runs(down)


def test_up_deploys_images_tagged_with_the_head_sha(preview: dict[str, Any]) -> None:
    """The app and tools images pushed for a PR carry its head sha, and `up` waits for them."""
    images = inv.jobs(preview)["images"]
    tag_step = next(s for s in inv.steps(images) if s.get("id") == "tags")
    assert tag_step["env"]["SHA"] == "${{ github.event.pull_request.head.sha }}"
    files = [
        s["with"]["file"] for s in inv.steps(images) if "build-push-action" in str(s.get("uses"))
    ]
    assert "Dockerfile.tools" in files and any("examples/app/Dockerfile" in f for f in files)
    assert inv.jobs(preview)["up"]["needs"] == "images"


def test_fork_prs_get_a_notice_and_no_credentials(preview: dict[str, Any]) -> None:
    """A fork PR runs only the notice job, which explains why there is no preview."""
    notice = inv.jobs(preview)["fork-notice"]
    assert notice["permissions"] == {"pull-requests": "write"}
    assert "fork" in _runs(notice) and "gh pr comment" in _runs(notice)
    assert not any("uses" in s for s in inv.steps(notice))


def test_preview_role_is_used_only_by_preview_jobs(
    preview: dict[str, Any], prod: dict[str, Any]
) -> None:
    """PR jobs assume the narrow preview role; the prod role never appears in a PR workflow."""
    text = (inv.WORKFLOWS / "preview.yml").read_text()
    assert "PROD_ROLE_ARN" not in text and "STAGING_ROLE_ARN" not in text
    assert "PREVIEW_ROLE_ARN" not in (inv.WORKFLOWS / "prod.yml").read_text()


def test_prod_waits_for_staging_and_the_production_environment(prod: dict[str, Any]) -> None:
    """Prod updates only after staging succeeded, in the reviewer-gated `production` environment,
    deploying the very commit staging deployed."""
    staging, prod_job = inv.jobs(prod)["staging"], inv.jobs(prod)["prod"]
    assert prod_job["needs"] == "staging"
    assert prod_job["environment"] == "production"
    assert staging["environment"] == "staging"
    checkout = next(s for s in inv.steps(prod_job) if "actions/checkout" in str(s.get("uses")))
    assert checkout["with"]["ref"] == "${{ needs.staging.outputs.sha }}"
    assert "pulumi up --yes" in _runs(staging) and "--stack staging" in _runs(staging)
    assert "pulumi up --yes" in _runs(prod_job) and "--stack prod" in _runs(prod_job)


def test_prod_role_only_in_the_production_environment(prod: dict[str, Any]) -> None:
    """Only the gated job can even ask for the prod role (its trust is environment:production)."""
    for name, job in inv.jobs(prod).items():
        uses_prod_role = "PROD_ROLE_ARN" in str(job)
        assert uses_prod_role == (job.get("environment") == "production"), name


def test_prod_deploys_on_main_and_rolls_back_by_ref(prod: dict[str, Any]) -> None:
    """Push to main deploys; workflow_dispatch with `ref` redeploys an earlier commit."""
    on = inv.triggers(prod)
    assert on["push"]["branches"] == ["main"]
    assert on["workflow_dispatch"]["inputs"]["ref"]["required"] is True
    checkout = inv.steps(inv.jobs(prod)["staging"])[0]
    assert checkout["with"]["ref"] == "${{ inputs.ref || github.sha }}"


def test_long_lived_deploys_never_cancel_each_other(prod: dict[str, Any]) -> None:
    """A newer commit queues behind a running `pulumi up`; cancelling would leave a locked stack."""
    assert prod["concurrency"]["cancel-in-progress"] is False


def test_reaper_runs_on_schedule_and_on_demand(reaper: dict[str, Any]) -> None:
    """The reaper runs hourly and by hand (optionally as a dry run) and calls `preview reap`."""
    on = inv.triggers(reaper)
    assert on["schedule"] and "workflow_dispatch" in on
    job = inv.jobs(reaper)["reap"]
    lines = [line.strip() for line in _runs(job).splitlines()]
    assert ".venv/bin/preview reap --dry-run" in lines and ".venv/bin/preview reap" in lines
    assert job["environment"] == "preview-reaper"


def test_each_staging_deploy_refreshes_the_warm_pool(
    prod: dict[str, Any], reaper: dict[str, Any]
) -> None:
    """After staging changes, its slots are stale: prod.yml runs the reaper (whose job ends in
    `preview pool refresh`) once staging is deployed, without waiting for prod's approval."""
    job = inv.jobs(prod)["pool-refresh"]
    assert job["needs"] == "staging" and job["uses"] == "./.github/workflows/reaper.yml"
    assert "workflow_call" in inv.triggers(reaper)
    assert ".venv/bin/preview pool refresh" in _runs(inv.jobs(reaper)["reap"])


def test_ci_runs_the_readme_test_command() -> None:
    """CI runs `.ci/run`, which runs `make lint` and `make test`, the README's commands."""
    ci = inv.load(inv.WORKFLOWS / "ci.yml")
    assert ".ci/run" in _runs(inv.jobs(ci)["test"])
    script = (inv.WORKFLOWS.parents[1] / ".ci" / "run").read_text()
    assert "make lint" in script and "make test" in script


def test_long_lived_stacks_run_the_commits_image(prod: dict[str, Any]) -> None:
    """Staging and prod deploy the image tagged with the deployed commit (config imageTag), and
    prod promotes staging's image rather than building its own."""
    staging, prod_job = inv.jobs(prod)["staging"], inv.jobs(prod)["prod"]
    for job, sha in ((staging, "${{ steps.sha.outputs.sha }}"),
                     (prod_job, "${{ needs.staging.outputs.sha }}")):  # fmt: skip
        up = next(s for s in inv.steps(job) if "pulumi up" in str(s.get("run", "")))
        assert '--config "preview-platform:imageTag=${IMAGE_TAG}"' in up["run"]
        assert up["env"]["IMAGE_TAG"] == sha
    staging_up = next(s for s in inv.steps(staging) if "pulumi up" in str(s.get("run", "")))
    assert '--config "preview-platform:toolsImageTag=${IMAGE_TAG}"' in staging_up["run"]
    assert not any("build-push-action" in str(s.get("uses")) for s in inv.steps(prod_job))
    assert "docker push" in _runs(prod_job)


def test_rerun_of_a_pushed_sha_builds_nothing(
    preview: dict[str, Any], prod: dict[str, Any]
) -> None:
    """ECR tags are immutable, so every image build is skipped when that sha is already pushed
    (re-runs and rollbacks would otherwise fail on ImageTagAlreadyExists)."""
    for wf in (preview, prod):
        for job in inv.jobs(wf).values():
            for step in inv.steps(job):
                if "build-push-action" in str(step.get("uses")):
                    assert "exists" in str(step.get("if", "")), step.get("name")


# `.venv/bin/preview <command> --flag "$VALUE" ...` as the workflows write it.
_CLI_CALL = r"\.venv/bin/preview (\w+)((?: --[\w-]+(?: \"?\$\w+\"?)?)*)"


def test_workflow_cli_calls_use_real_options() -> None:
    """Every `preview <cmd> --flag` a workflow runs exists on that click command."""
    from preview.cli import cli

    calls = []
    for path in inv.WORKFLOWS.glob("*.yml"):
        for job in inv.jobs(inv.load(path)).values():
            calls += re.findall(_CLI_CALL, _runs(job))
    assert {cmd for cmd, _ in calls} >= {"up", "down", "reap"}
    for cmd, args in calls:
        command = cli.get_command(None, cmd)  # type: ignore[arg-type]
        assert command is not None, cmd
        known = {opt for p in command.params for opt in p.opts}
        used = set(re.findall(r"--[\w-]+", args))
        assert used <= known, (cmd, used - known)


def test_preview_runs_the_prs_own_tools_image(
    preview: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The up job's template step, run for real, yields a stack config whose toolsImage is the
    image the images job pushed for this PR (the rest of preview.yaml unchanged)."""
    from preview.settings import Settings
    from preview.stackconfig import stack_config

    up = inv.jobs(preview)["up"]
    step = next(s for s in inv.steps(up) if s.get("name", "").startswith("Config template"))
    assert step["env"]["TOOLS_IMAGE"] == "${{ needs.images.outputs.tools-image }}"
    run_env = next(s for s in inv.steps(up) if s.get("name") == "preview up")["env"]
    assert run_env["PREVIEW_CONFIG_TEMPLATE"] == "${{ runner.temp }}/preview.yaml"

    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/pp-staging-tools:" + "a" * 40
    root = inv.WORKFLOWS.parents[1]
    script = step["run"].replace(".venv/bin/python", sys.executable)
    env = {**os.environ, "TOOLS_IMAGE": image, "RUNNER_TEMP": str(tmp_path)}
    subprocess.run(["bash", "-c", script], cwd=root, env=env, check=True, timeout=60)

    monkeypatch.chdir(root)
    settings = Settings(config_template=tmp_path / "preview.yaml")
    cfg = stack_config(settings, 12, "a" * 40, "feature", datetime(2030, 1, 1, tzinfo=UTC))
    assert cfg["toolsImage"] == image
    base = Settings(config_template=root / "preview.yaml")
    plain = stack_config(base, 12, "a" * 40, "feature", datetime(2030, 1, 1, tzinfo=UTC))
    assert {k: v for k, v in cfg.items() if k != "toolsImage"} == plain
