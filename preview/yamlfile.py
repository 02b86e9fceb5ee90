"""Reading a YAML file the user gave us: every way it can be wrong is one UsageError line.

Missing, a directory, unreadable, not UTF-8 text (a binary file), not YAML (reported as
`file:line:column: problem`), nested too deeply: each names the file and the fix instead of a
traceback. Used by the stack-file/template reader (preview/stackconfig.py) and the sync spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contracts.errors import UsageError

MAX_BYTES = 4 * 1024 * 1024  # a config or spec file larger than this is a mistake


def read_yaml(
    path: Path,
    *,
    role: str,
    missing_hint: str,
    fix_hint: str,
    error: type[UsageError] = UsageError,
) -> Any:
    """The parsed document of `path` (None for an empty file); problems raise `error`."""
    import yaml

    name = str(path)
    try:
        if path.is_dir():
            raise error(f"{role} {name!r} is a directory, not a file", hint=missing_hint)
        if not path.is_file():
            raise error(f"{role} {name!r} not found", hint=missing_hint)
        if path.stat().st_size > MAX_BYTES:
            raise error(
                f"{role} {name!r} is larger than {MAX_BYTES // (1024 * 1024)} MiB", hint=fix_hint
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise error(
            f"cannot read {role} {name!r}: {exc.strerror or exc}", hint=missing_hint
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"{role} {name!r} is not UTF-8 text (byte {exc.start}): is it a binary file?",
            hint=fix_hint,
        ) from None
    if "\x00" in text:
        raise error(f"{role} {name!r} contains NUL bytes: is it a binary file?", hint=fix_hint)
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise error(f"{role} {where}: {problem}", hint=fix_hint) from None
    except yaml.YAMLError as exc:
        raise error(f"{role} {name}: {' '.join(str(exc).split())}", hint=fix_hint) from None
    except RecursionError:
        raise error(f"{role} {name}: nested too deeply", hint=fix_hint) from None
