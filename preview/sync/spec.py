"""The sync spec: which rows become which documents in which index.

A YAML file in the app's repository (`examples/app/search-spec.yaml` is the reference):

    indices:
      - name: responses                # alias <prefix>responses, index <prefix>responses-<ts>
        table: responses               # or `query: SELECT ...` (exactly one of the two)
        columns: [id, answer_text, ...]  # optional with `table`; default every column
        id_column: id
        updated_at_column: updated_at  # optional; enables --incremental
        transforms:
          metadata: {json: true}       # JSON column parsed into an object
          tenant_id: {to: tenant.id}   # column -> nested field
        mapping: {properties: {...}}   # explicit mapping, required
        settings: {number_of_shards: 1, number_of_replicas: 1, refresh_interval: 1s}

Every model forbids unknown keys, so a typo is reported with its path instead of being ignored.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from contracts.errors import UsageError

SPEC_HINT = "compare with examples/app/search-spec.yaml (the reference spec)"

_INDEX_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,100}$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,63}$")
_FIELD_PATH = re.compile(r"^[A-Za-z_@][A-Za-z0-9_@-]*(\.[A-Za-z_@][A-Za-z0-9_@-]*)*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Transform(_Strict):
    """How one column becomes a document field."""

    to: str | None = Field(
        default=None, description="dotted field path, e.g. tenant.id (default: the column name)"
    )
    json_: bool = Field(
        default=False, alias="json", description="parse the column's JSON text into an object"
    )

    @field_validator("to")
    @classmethod
    def _dotted(cls, value: str | None) -> str | None:
        if value is not None and not _FIELD_PATH.match(value):
            raise ValueError(f"{value!r} is not a dotted field path like 'tenant.id'")
        return value


class IndexSettings(_Strict):
    """Settings the index gets once loaded (while loading: 0 replicas, refresh off)."""

    number_of_shards: int = Field(default=1, ge=1, le=64)
    number_of_replicas: int = Field(default=1, ge=0, le=8)
    refresh_interval: str = Field(default="1s", pattern=r"^(-1|\d+(ms|s|m))$")


class IndexSpec(_Strict):
    name: str = Field(description="index name without prefix; the alias is <prefix><name>")
    table: str | None = Field(default=None, description="source table, optionally schema.table")
    query: str | None = Field(default=None, description="source SELECT, instead of `table`")
    columns: list[str] | None = Field(default=None, description="columns to read from `table`")
    id_column: str = Field(description="column whose value becomes the document _id")
    updated_at_column: str | None = Field(
        default=None, description="column compared with the watermark in --incremental runs"
    )
    transforms: dict[str, Transform] = Field(default_factory=dict)
    mapping: dict[str, Any] = Field(description="explicit OpenSearch mapping with `properties`")
    settings: IndexSettings = Field(default_factory=IndexSettings)

    @field_validator("name")
    @classmethod
    def _index_name(cls, value: str) -> str:
        if not _INDEX_NAME.match(value):
            raise ValueError(
                f"{value!r} is not a valid index name: use lowercase letters, digits, '-', '_' "
                "or '.', starting with a letter or digit"
            )
        return value

    @field_validator("table")
    @classmethod
    def _table(cls, value: str | None) -> str | None:
        if value is not None and not all(_IDENT.match(p) for p in value.split(".")):
            raise ValueError(f"{value!r} is not a table name like 'responses' or 'app.responses'")
        return value

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("is empty: list the columns, or leave `columns` out to read them all")
        bad = [c for c in value if not _IDENT.match(c)]
        if bad:
            raise ValueError(f"{bad} are not plain column names")
        if len(set(value)) != len(value):
            raise ValueError("lists a column twice")
        return value

    @field_validator("mapping")
    @classmethod
    def _mapping(cls, value: dict[str, Any]) -> dict[str, Any]:
        props = value.get("properties")
        if not isinstance(props, dict) or not props:
            raise ValueError("needs a non-empty `properties` object (the explicit field mapping)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> IndexSpec:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of `table` or `query`")
        if self.query is not None:
            if self.columns is not None:
                raise ValueError("`columns` only goes with `table`; select them in `query`")
            if not self.query.lstrip().lower().startswith(("select", "with")):
                raise ValueError("`query` must be a SELECT statement")
        if self.columns is not None:
            known = set(self.columns)
            named = {"id_column": self.id_column, "updated_at_column": self.updated_at_column}
            for what, col in named.items():
                if col is not None and col not in known:
                    raise ValueError(f"`{what}` {col!r} is not in `columns`")
            unknown = sorted(set(self.transforms) - known)
            if unknown:
                raise ValueError(f"`transforms` names columns not in `columns`: {unknown}")
        targets = [t.to or c for c, t in self.transforms.items()]
        if len(set(targets)) != len(targets):
            raise ValueError("two `transforms` write the same field")
        return self

    def field_for(self, column: str) -> str:
        t = self.transforms.get(column)
        return (t.to if t and t.to else None) or column


class SyncSpec(_Strict):
    indices: list[IndexSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> SyncSpec:
        names = [i.name for i in self.indices]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"index names must be unique, repeated: {dupes}")
        # <prefix>a-<ts> must never be mistaken for a version of <prefix>a-b, so no name may
        # extend another with a dash.
        for a in names:
            for b in names:
                if a != b and b.startswith(a + "-"):
                    raise ValueError(f"index name {b!r} extends {a!r} with '-'; rename one")
        return self

    def index(self, name: str) -> IndexSpec:
        for spec in self.indices:
            if spec.name == name:
                return spec
        raise UsageError(
            f"--index {name!r} is not in the spec",
            hint=f"use one of: {', '.join(i.name for i in self.indices)}",
        )


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_spec(data: Any, source: str = "spec") -> SyncSpec:
    """Validate spec data; any problem becomes a UsageError naming the field path."""
    try:
        return SyncSpec.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{_where(e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()[:5]
        ]
        raise UsageError(
            f"invalid sync spec {source}: " + "; ".join(problems), hint=SPEC_HINT
        ) from None


def load_spec(path: str | Path) -> SyncSpec:
    """Read and validate a YAML (or JSON) spec file."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"cannot read sync spec {path}: {exc.strerror}", hint="pass --spec FILE"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"sync spec {path} is not valid YAML: {exc}", hint=SPEC_HINT) from None
    return parse_spec(data, str(path))
