"""`preview smoke` refuses bad settings before running any check (no services needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from contracts.errors import USAGE
from tests.cli_main import preview_process

REPO = Path(__file__).resolve().parents[2]
SHA = "0123456789abcdef0123456789abcdef01234567"


def _smoke(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return preview_process("smoke", "--expected-sha", SHA, *args, env=env)


def test_bad_base_url_is_a_usage_error() -> None:
    """A base URL without a scheme is refused with exit 2 and the flag named."""
    result = _smoke("--base-url", "pr-12.example.com")
    assert result.returncode == USAGE
    assert "--base-url" in result.stderr


def test_bad_setting_from_the_environment_names_the_variable() -> None:
    """A bad budget in the task environment stops the run with exit 2, naming the variable."""
    result = _smoke("--base-url", "http://127.0.0.1:9", PREVIEW_SMOKE_BUDGET_MS="fast")
    assert result.returncode == USAGE
    assert "PREVIEW_SMOKE_BUDGET_MS" in result.stdout + result.stderr


def test_missing_extra_dir_is_a_usage_error(tmp_path: Path) -> None:
    """An extra test folder that does not exist is reported, not silently ignored."""
    missing = tmp_path / "smoke_tests"
    result = _smoke("--base-url", "http://127.0.0.1:9", PREVIEW_SMOKE_EXTRA_DIR=str(missing))
    assert result.returncode == USAGE
    assert str(missing) in result.stderr


def test_non_finite_timeout_is_a_usage_error() -> None:
    """'inf' or 'nan' as the request deadline is refused by name, not a crash in every test."""
    for value in ("inf", "nan"):
        result = _smoke("--base-url", "http://127.0.0.1:9", PREVIEW_SMOKE_TIMEOUT_S=value)
        assert result.returncode == USAGE, (value, result.stdout, result.stderr)
        assert "PREVIEW_SMOKE_TIMEOUT_S" in result.stdout + result.stderr
