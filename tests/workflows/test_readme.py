"""The README stays true to the code: commands, settings, config keys, exit codes, variables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components import config as cfg
from contracts import errors
from preview.settings import Settings
from tests.workflows.invariants import WORKFLOWS

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def text() -> str:
    return README.read_text()


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    rest = text[start + len(heading) :]
    end = re.search(r"\n#{2,3} ", rest)
    return rest[: end.start()] if end else rest


def _first_column(section: str) -> set[str]:
    """Backticked names in the first column of a Markdown table."""
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            names |= set(re.findall(r"`([^`]+)`", line.split("|")[1]))
    return names


def _env_names(field: str) -> set[str]:
    alias = Settings.model_fields[field].validation_alias
    choices = getattr(alias, "choices", None)
    return {str(c) for c in choices} if choices else {f"PREVIEW_{field.upper()}"}


def test_the_two_commands_come_first(text: str) -> None:
    """A newcomer sees `make synth` and `make test` before anything else to read."""
    head = text[: text.index("## What it does")]
    assert "make synth" in head and "make test" in head


def test_every_cli_setting_is_documented_and_real(text: str) -> None:
    """The settings table lists exactly the variables `preview.settings.Settings` reads."""
    documented = _first_column(_section(text, "### `preview` CLI settings"))
    real = set().union(*(_env_names(f) for f in Settings.model_fields))
    assert documented - real == set(), "documented but not read by Settings"
    undocumented = [f for f in Settings.model_fields if not _env_names(f) & documented]
    assert undocumented == [], "settings missing from the README table"


def test_every_documented_config_key_exists(text: str) -> None:
    """Config keys in the README tables are keys the config model accepts for that stack kind."""
    section = _section(text, "### Stack config")
    preview_part, long_lived_part = section.split("Long-lived stacks", 1)

    def keys(model: type) -> set[str]:
        return {f.alias or n for n, f in model.model_fields.items()}  # type: ignore[attr-defined]

    for part, model in ((preview_part, cfg.PreviewConfig), (long_lived_part, cfg.LongLivedConfig)):
        documented = {k.strip() for name in _first_column(part) for k in name.split(",")}
        assert documented - keys(model) == set(), model.__name__
    bootstrap = section[section.index("Bootstrap stack:") :].split("\n\n", 1)[0]
    assert set(re.findall(r"`(\w+)`", bootstrap)) == keys(cfg.BootstrapConfig) - {"kind"}


def test_exit_codes_match_the_error_funnel(text: str) -> None:
    """The exit-code table has the codes contracts/errors.py defines, no more, no less."""
    rows = re.findall(r"^\| (\d) \|", _section(text, "### Exit codes"), flags=re.M)
    real = {errors.OK, errors.INTERNAL, errors.USAGE, errors.UNAVAILABLE, errors.LOCKED,
            errors.SMOKE_FAILED, errors.CAPPED}  # fmt: skip
    assert {int(r) for r in rows} == real


def test_every_workflow_variable_is_explained(text: str) -> None:
    """Each `vars.X` a workflow reads appears in the README's adoption steps."""
    used = set()
    for path in WORKFLOWS.glob("*.yml"):
        used |= set(re.findall(r"vars\.([A-Z0-9_]+)", path.read_text()))
    missing = sorted(v for v in used if f"`{v}`" not in text)
    assert missing == []
