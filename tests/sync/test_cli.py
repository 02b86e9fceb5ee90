"""`preview sync` as Step Functions runs it: exit codes and the last-line JSON summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preview.cli", "sync", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env=env,
    )


def test_unreachable_opensearch_exits_3_with_a_failed_summary() -> None:
    """A dead endpoint is 'unavailable, safe to re-run' (3), not a crash with a traceback."""
    result = _run("--prefix", "pr-1-", "--opensearch-url", "http://127.0.0.1:9", "--delete-prefix")
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "PREVIEW_SYNC_OPENSEARCH_URL" in result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["status"] == "failed"


def test_unusable_prefix_is_refused_before_any_request() -> None:
    """A prefix like '*' could match every index on the shared domain: refuse it by name."""
    result = _run("--prefix", "*", "--opensearch-url", "http://127.0.0.1:9", "--delete-prefix")
    assert result.returncode == 2
    assert "index prefix '*'" in result.stderr


def test_missing_database_configuration_names_the_variables(tmp_path: Path) -> None:
    """Without a database URL or DB_* parts the error says which variables to set."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREVIEW_SYNC_")}
    spec = REPO / "examples" / "app" / "search-spec.yaml"
    result = _run(
        "--spec", str(spec), "--prefix", "pr-1-", "--opensearch-url", "http://127.0.0.1:9",
        env=env,
    )  # fmt: skip
    assert result.returncode == 2
    assert "PREVIEW_SYNC_DATABASE_URL" in result.stderr
