"""Imports run one way (docs/internals.md "Layout"): read from the source, every import counts,
also those inside functions; only `if TYPE_CHECKING:` blocks are left out (they never run)."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"contracts", "components", "stacks", "preview", "smoke", "policy", "examples", "tests"}

# Inside preview/: a module may import only modules of a lower rank, so the pipelines (up, down,
# reap) never import each other and nothing below them reaches up into them or the CLI.
PREVIEW_RANKS: dict[str, int] = {
    "console": 0,
    "settings": 0,
    "report": 0,
    "automation": 0,
    "yamlfile": 0,
    "domain": 1,
    "github": 1,
    "stackconfig": 1,
    "sync": 1,
    "aws": 2,
    "pool": 2,  # a package: store, claims, refill, status, stack
    "ports": 2,
    "tables": 2,
    "synth": 2,
    "strays": 3,
    "locking": 3,
    "notify": 3,
    "live": 4,
    "planning": 5,
    "warm": 5,
    "queue": 5,
    "teardown": 6,
    "up": 7,
    "down": 7,
    "reap": 7,
    "wiring": 8,
    "commands": 9,
    "pool_command": 9,
    "cli": 10,
}


def _modules(*parts: str) -> list[Path]:
    found: list[Path] = []
    for part in parts:
        path = ROOT / part
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted module) of every import in the file that runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and node.lineno not in skip:
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.lineno not in skip and node.level == 0:
            module = node.module or ""
            yield node.lineno, module
            for alias in node.names:  # `from preview import up` imports preview.up
                yield node.lineno, f"{module}.{alias.name}"


def _violations(paths: list[Path], forbidden: set[str]) -> list[str]:
    return [
        f"{p.relative_to(ROOT)}:{line} imports {mod}"
        for p in paths
        for line, mod in imports(p)
        if mod.split(".")[0] in forbidden
    ]


def test_contracts_import_only_the_standard_library() -> None:
    """contracts/ is what everyone shares, so it depends on nothing (not even pydantic)."""
    bad = [
        f"{p.relative_to(ROOT)}:{line} imports {mod}"
        for p in _modules("contracts")
        for line, mod in imports(p)
        if (top := mod.split(".")[0]) not in sys.stdlib_module_names and top != "contracts"
    ]
    assert bad == []


@pytest.mark.parametrize(
    ("parts", "forbidden"),
    [
        (("components",), {"preview", "stacks", "policy"}),
        (("stacks", "__main__.py"), {"preview", "policy"}),
        (("policy",), {"preview", "stacks"}),
        (("smoke",), {"preview", "components", "stacks"}),
        (("preview",), {"smoke", "stacks"}),
    ],
    ids=["components", "program", "policy", "smoke", "preview"],
)
def test_imports_run_downward(parts: tuple[str, ...], forbidden: set[str]) -> None:
    """The program and components never load the CLI; smoke and the CLI share only contracts."""
    assert _violations(_modules(*parts), forbidden) == []


def _rank(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "preview" or len(parts) < 2:
        return None
    return PREVIEW_RANKS.get(parts[1])


def test_every_preview_module_has_a_rank() -> None:
    """A new module under preview/ takes its place in the order above."""
    names = {p.stem for p in (ROOT / "preview").glob("*.py")} - {"__init__"}
    names |= {p.name for p in (ROOT / "preview").iterdir() if (p / "__init__.py").is_file()}
    assert names == set(PREVIEW_RANKS)


def test_preview_modules_import_only_lower_ranks() -> None:
    """Ports and domain types at the bottom, steps over them, pipelines over steps, CLI on top."""
    bad = []
    for path in _modules("preview"):
        own = _rank(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for line, mod in imports(path):
            other = _rank(mod)
            same_package = mod.split(".")[:2] == list(path.relative_to(ROOT).parts[:2])
            if own is not None and other is not None and not same_package and other >= own:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {mod}")
    assert bad == []


def test_the_detector_sees_a_wrong_import(tmp_path: Path) -> None:
    """The rules above would catch a component reaching for the CLI inside a function."""
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from preview.errors import UsageError\n")
    assert [mod for _, mod in imports(module)] == ["preview.errors", "preview.errors.UsageError"]
