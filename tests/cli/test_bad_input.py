"""Bad input never produces a traceback: any setting value, any file, any missing directory.

Property-based (hypothesis) over the PREVIEW_* settings and over the files the CLI reads, running
the CLI in-process through click's CliRunner. Reaching the adapters (`build_deps`) is stubbed to
raise `Reached`, so a run either stops at a UsageError that names the variable or file in one
line, or reaches the point where it would call Pulumi/AWS: never anything else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.errors import USAGE, ConfigError, PreviewError, UsageError
from preview.cli import cli
from preview.settings import Settings, env_names

REPO = Path(__file__).resolve().parents[2]
SHA = "0123456789abcdef0123456789abcdef01234567"
COMMANDS = {
    "up": ["up", "--pr", "12", "--sha", SHA],
    "down": ["down", "--pr", "12"],
    "reap": ["reap", "--dry-run"],
    "ls": ["ls"],
}
VARIABLES = sorted({name for field in Settings.model_fields for name in env_names(field)})


class Reached(Exception):
    """The command got past every input check to the point of calling Pulumi/AWS/GitHub."""


@pytest.fixture(autouse=True)
def _no_adapters(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def reached(*args: Any, **kwargs: Any) -> Any:
        raise Reached

    monkeypatch.setattr("preview.wiring.build_deps", reached)
    yield


def _clean_env(**extra: str) -> dict[str, str | None]:
    """Unset every setting variable of the surrounding shell, then set `extra`."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("PREVIEW_")}
    env.update({name: None for name in VARIABLES})
    env["PULUMI_BACKEND_URL"] = "file:///tmp"
    env.update(extra)
    return env


def _outcome(argv: list[str], env: dict[str, str | None]) -> BaseException | None:
    result = CliRunner().invoke(cli, argv, env=env, catch_exceptions=True)
    if isinstance(result.exception, SystemExit):
        return None if result.exit_code == 0 else result.exception
    return result.exception


def _assert_one_clear_line(exc: BaseException | None, *names: str) -> None:
    if isinstance(exc, Reached):
        return
    assert isinstance(exc, UsageError), f"{type(exc).__name__}: {exc}"
    assert exc.exit_code == USAGE
    assert "\n" not in exc.message, exc.message
    assert exc.hint and "\n" not in exc.hint, exc.hint
    if isinstance(exc, ConfigError) or exc.message.startswith("config "):
        return  # the file was read and is YAML: the message names the config key at fault
    assert any(name in exc.message for name in names), (names, exc.message)


INTERESTING = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "nan",
        "inf",
        "-inf",
        "1e400",
        "1e-400",
        "true",
        "null",
        "[]",
        "{}",
        "../nope",
        "/nonexistent/dir/file",
        "file://",
        "s3://",
        "http://",
        "https://exa mple.com",
        "é",
        "\u202e",
        "a" * 300,
        "pr-1",
        "organization/preview-platform/staging",
    ]
)
VALUES = INTERESTING | st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command=st.sampled_from(sorted(COMMANDS)), var=st.sampled_from(VARIABLES), value=VALUES)
def test_any_setting_value_is_refused_by_name_or_accepted(
    command: str, var: str, value: str
) -> None:
    """Whatever a variable holds, the command names it in one line (exit 2) or proceeds."""
    exc = _outcome(COMMANDS[command], _clean_env(**{var: value}))
    _assert_one_clear_line(exc, var)


@pytest.mark.parametrize("command", ["up", "ls"])
def test_up_and_ls_refuse_without_a_state_backend(command: str) -> None:
    """No PULUMI_BACKEND_URL: refused by name before anything would run Pulumi."""
    env = _clean_env()
    env["PULUMI_BACKEND_URL"] = None
    exc = _outcome(COMMANDS[command], env)
    assert isinstance(exc, UsageError), repr(exc)
    assert "PULUMI_BACKEND_URL" in exc.message


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("PREVIEW_WORK_DIR", "/nonexistent/work"),
        ("GITHUB_STEP_SUMMARY", "/nonexistent/dir/summary.md"),
        ("PREVIEW_STEP_SUMMARY", str(REPO)),
    ],
)
def test_missing_directory_is_named(var: str, value: str) -> None:
    """A directory that does not exist (or a directory where a file belongs) is named."""
    exc = _outcome(COMMANDS["ls"], _clean_env(**{var: value}))
    assert isinstance(exc, UsageError), repr(exc)
    assert var in exc.message


FILE_BYTES = st.binary(max_size=300) | st.text(max_size=300).map(
    lambda t: t.encode("utf-8", "surrogatepass")
)
YAMLISH = st.lists(
    st.sampled_from(
        [
            "config:",
            "  app:",
            "  - a",
            "  b: [1, 2",
            "  c: {d: e}",
            "\t",
            "  :",
            "&x a",
            "*y",
            "'unclosed",
            '"esc\\q"',
            "key: value",
            "  - - -",
            "%YAML 1.1",
            "---",
            "...",
        ]
    ),
    max_size=8,
).map(lambda lines: "\n".join(lines).encode())


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=FILE_BYTES | YAMLISH)
def test_any_config_file_is_refused_by_name_or_read(tmp_path: Path, content: bytes) -> None:
    """synth --config FILE with any bytes: a one-line error naming the file, or a synthesis."""
    path = tmp_path / "stack.yaml"
    path.write_bytes(content)
    exc = _outcome(["synth", "--pr", "12", "--config", str(path), "--no-naive"], _clean_env())
    if exc is None:
        return  # a valid stack file (never seen in practice: it needs a whole app spec)
    _assert_one_clear_line(exc, str(path))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=FILE_BYTES | YAMLISH)
def test_any_sync_spec_is_refused_by_name(tmp_path: Path, content: bytes) -> None:
    """sync --spec FILE with any bytes: one line naming the spec (no database is even needed)."""
    path = tmp_path / "spec.yaml"
    path.write_bytes(content)
    argv = [
        "sync",
        "--spec",
        str(path),
        "--prefix",
        "pr-1-",
        "--opensearch-url",
        "http://127.0.0.1:9",
    ]
    exc = _outcome(argv, _clean_env())
    assert isinstance(exc, PreviewError), repr(exc)
    assert exc.exit_code == USAGE and "\n" not in exc.message, exc.message
    assert str(path) in exc.message or "database" in exc.message, exc.message


def test_yaml_error_is_one_line_with_file_line_and_column(tmp_path: Path) -> None:
    """A YAML syntax error points at file:line:column in one line."""
    path = tmp_path / "preview.yaml"
    path.write_text("config:\n  preview-platform:app:\n    services: [web\n  other: 1\n")
    exc = _outcome(["synth", "--pr", "12", "--config", str(path)], _clean_env())
    assert isinstance(exc, UsageError), repr(exc)
    assert "\n" not in exc.message
    assert f"{path}:4:" in exc.message or f"{path}:3:" in exc.message, exc.message


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"\xff\xfe\x00c"])
def test_binary_template_is_named_not_a_traceback(tmp_path: Path, content: bytes) -> None:
    """A binary file where the template belongs is refused as 'not UTF-8 text', by name."""
    path = tmp_path / "preview.yaml"
    path.write_bytes(content)
    exc = _outcome(["synth", "--pr", "12", "--config", str(path)], _clean_env())
    assert isinstance(exc, UsageError), repr(exc)
    assert str(path) in exc.message and "binary" in exc.message


SYNC_VARIABLES = [
    "PREVIEW_SYNC_OPENSEARCH_URL",
    "PREVIEW_SYNC_INDEX_PREFIX",
    "PREVIEW_SYNC_DATABASE_URL",
    "PREVIEW_SYNC_DB_HOST",
    "PREVIEW_SYNC_DB_PORT",
    "PREVIEW_SYNC_DB_DRIVER",
    "PREVIEW_SYNC_CHUNK_SIZE",
    "PREVIEW_SYNC_PARALLELISM",
]


@settings(max_examples=200, deadline=None)
@given(var=st.sampled_from(SYNC_VARIABLES), value=VALUES)
def test_any_sync_setting_is_refused_by_name_or_accepted(var: str, value: str) -> None:
    """`preview sync` with any PREVIEW_SYNC_* value: refused by name (exit 2) or it proceeds.

    The run itself (run_sync) is stubbed: this is about reading the settings, not the network.
    """
    import preview.sync.engine as eng

    def reached(*args: Any, **kwargs: Any) -> Any:
        raise Reached

    spec = REPO / "examples" / "app" / "search-spec.yaml"
    env = _clean_env(
        PREVIEW_SYNC_OPENSEARCH_URL="http://127.0.0.1:9",
        PREVIEW_SYNC_INDEX_PREFIX="pr-1-",
        PREVIEW_SYNC_DATABASE_URL="mysql+pymysql://u:p@127.0.0.1:9/app",
    )
    if var.startswith("PREVIEW_SYNC_DB_"):
        env["PREVIEW_SYNC_DATABASE_URL"] = None
        env.setdefault("PREVIEW_SYNC_DB_HOST", "127.0.0.1")
    env[var] = value
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(eng, "run_sync", reached)
        result = CliRunner().invoke(cli, ["sync", "--spec", str(spec)], env=env)
    exc = result.exception
    if isinstance(exc, SystemExit):  # click refused the option value itself (exit 2)
        assert result.exit_code == USAGE, result.output
        return
    if isinstance(exc, UsageError) and var not in exc.message:
        # an empty host/URL falls back to the other source: the message names that one
        assert "PREVIEW_SYNC_" in exc.message + exc.hint, exc.message
        return
    _assert_one_clear_line(exc, var)
