"""A bad sync spec is refused before anything is touched, with the field's path and the fix."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.errors import UsageError
from preview.sync.spec import load_spec, parse_spec
from tests.sync.conftest import SPEC_PATH, reference_spec, responses_index


def test_reference_spec_is_valid() -> None:
    """The spec shipped with the reference app loads and defines both aliases the app searches."""
    spec = load_spec(SPEC_PATH)
    assert [i.name for i in spec.indices] == ["surveys", "responses"]


BAD_SPECS = [
    ("typo in a key", lambda r: r.update(id_colum=r.pop("id_column")), "indices[1].id_colum"),
    ("id column not selected", lambda r: r.update(id_column="uuid"), "`id_column` 'uuid'"),
    ("table and query", lambda r: r.update(query="SELECT 1"), "exactly one of `table` or `query`"),
    ("uppercase name", lambda r: r.update(name="Responses"), "indices[1].name"),
    ("no properties", lambda r: r.update(mapping={"dynamic": "strict"}), "indices[1].mapping"),
    (
        "transform of unknown column",
        lambda r: r.update(transforms={"meta": {"json": True}}),
        "['meta']",
    ),
    (
        "bad nested path",
        lambda r: r.update(transforms={"tenant_id": {"to": "tenant..id"}}),
        "indices[1].transforms.tenant_id.to",
    ),
    (
        "bad refresh interval",
        lambda r: r.update(settings={"refresh_interval": "soon"}),
        "indices[1].settings.refresh_interval",
    ),
]


@pytest.mark.parametrize(("case", "mutate", "named"), BAD_SPECS, ids=[c[0] for c in BAD_SPECS])
def test_bad_spec_error_names_the_field(case: str, mutate: Any, named: str) -> None:
    """Each mistake is reported with the path of the offending field and a pointer to the fix."""
    data = copy.deepcopy(reference_spec())
    mutate(responses_index(data))
    with pytest.raises(UsageError) as exc:
        parse_spec(data)
    assert named in exc.value.message
    assert "search-spec.yaml" in exc.value.hint


def test_duplicate_index_names_are_refused() -> None:
    """Two indices with one name would fight over one alias."""
    data = reference_spec()
    data["indices"].append(copy.deepcopy(responses_index(data)))
    with pytest.raises(UsageError, match="unique"):
        parse_spec(data)


def test_cli_rejects_a_bad_spec_with_exit_2_and_a_json_summary(tmp_path: Path) -> None:
    """The CLI exits 2 (usage error), names the field on stderr, and still ends with JSON."""
    import subprocess
    import sys

    data = reference_spec()
    responses_index(data)["id_colum"] = responses_index(data).pop("id_column")
    bad = tmp_path / "spec.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "preview.cli",
            "sync",
            "--spec",
            str(bad),
            "--opensearch-url",
            "http://127.0.0.1:9",
            "--prefix",
            "pr-1-",
            "--database-url",
            "mysql+pymysql://x@127.0.0.1:9/db",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=SPEC_PATH.parents[2],
    )
    assert result.returncode == 2, result.stderr
    assert "indices[1].id_colum" in result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["status"] == "failed"
