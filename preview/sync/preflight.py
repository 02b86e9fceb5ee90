"""Checks of a spec against its live source, run for every index before any index is created.

A spec that names a column the source does not return (in `id_column`, `updated_at_column` or
`transforms`) would otherwise fail half-way (or be silently ignored); a DECIMAL column mapped to
a type that cannot hold it exactly would silently change its value. Both are UsageErrors (exit 2)
naming the index, the column and the fix.

DECIMAL mapping (documented in the README): the document carries the exact digits as a JSON
string ("12.30"), so `_source` round-trips exactly whatever the mapping. To stay sortable and
range-filterable the field is mapped as

* `scaled_float` with `scaling_factor` = 10^scale, for DECIMAL(p, s) with p <= 15: OpenSearch
  parses the value as a double and stores round(value * factor) as a long, which is the exact
  unscaled integer while |value * 10^s| < 10^15 (a double carries 15 significant digits);
* `byte`/`short`/`integer`/`long` for DECIMAL(p, 0) that fit (2/4/9/18 digits);
* `keyword` (exact term filters, lexical sort) for anything wider.

`float`, `half_float`, `double`, or a `scaled_float` with another factor are refused.
"""

from __future__ import annotations

from typing import Any

from contracts.errors import UsageError
from preview.sync.source import SourceShape
from preview.sync.spec import IndexSpec

# A double holds any 15-significant-digit decimal exactly enough to round back (IEEE 754).
MAX_SCALED_DIGITS = 15
_INT_DIGITS = {"byte": 2, "short": 4, "integer": 9, "long": 18}
# Types that index the JSON string itself, so nothing is converted.
_TEXT_TYPES = {"keyword", "text", "wildcard", "match_only_text", "constant_keyword"}


def check_against_source(spec: IndexSpec, shape: SourceShape) -> None:
    """Refuse (UsageError) a spec that does not fit what its source returns."""
    have = set(shape.columns)
    problems: list[str] = []
    for what, col in (("id_column", spec.id_column), ("updated_at_column", spec.updated_at_column)):
        if col is not None and col not in have:
            problems.append(f"`{what}` {col!r}")
    unknown = sorted(set(spec.transforms) - have)
    if unknown:
        problems.append(f"`transforms` of {unknown}")
    if problems:
        source = f"table {spec.table!r}" if spec.table else "the query"
        raise UsageError(
            f"index {spec.name}: {' and '.join(problems)} not among the columns {source} "
            f"returns ({', '.join(shape.columns)})",
            hint="name only columns the source has in the spec (or add them to `columns`/`query`)",
        )
    for col, (precision, scale) in shape.decimals.items():
        field = spec.field_for(col)
        mapping = _field_mapping(spec.mapping, field.split("."))
        if mapping is None:
            continue  # not mapped explicitly: `dynamic` decides (strict rejects the document)
        problem = _decimal_problem(precision, scale, mapping)
        if problem:
            digits = f"DECIMAL({precision if precision is not None else '?'},{scale})"
            raise UsageError(
                f"index {spec.name}: column {col!r} is {digits}, mapped as `{field}`: {problem}",
                hint=f"map `{field}` as {{type: scaled_float, scaling_factor: {10**scale}}} "
                f"(exact up to {MAX_SCALED_DIGITS} digits) or {{type: keyword}}",
            )


def _field_mapping(mapping: dict[str, Any], path: list[str]) -> dict[str, Any] | None:
    node: Any = mapping
    for part in path:
        props = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(props, dict) or part not in props:
            return None
        node = props[part]
    return node if isinstance(node, dict) else None


def _decimal_problem(precision: int | None, scale: int, mapping: dict[str, Any]) -> str | None:
    kinds = [mapping, *((mapping.get("fields") or {}).values())]
    for kind in kinds:
        if not isinstance(kind, dict):
            continue
        problem = _one_type(precision, scale, kind)
        if problem:
            return problem
    return None


def _one_type(precision: int | None, scale: int, mapping: dict[str, Any]) -> str | None:
    typ = mapping.get("type", "object")
    if typ in _TEXT_TYPES:
        return None
    if typ == "scaled_float":
        factor = mapping.get("scaling_factor")
        if factor != 10**scale:
            return f"scaled_float with scaling_factor {factor!r} rounds it (needs {10**scale})"
        if precision is None or precision > MAX_SCALED_DIGITS:
            return (
                f"scaled_float parses through a double, exact only up to {MAX_SCALED_DIGITS} digits"
            )
        return None
    if typ in _INT_DIGITS:
        if scale == 0 and precision is not None and precision <= _INT_DIGITS[typ]:
            return None
        return f"{typ} cannot hold it exactly"
    return f"type {typ!r} cannot hold it exactly"
