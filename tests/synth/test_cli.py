"""`preview synth` end to end: the real program under the harness, via the CLI error funnel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from preview.synth.configfile import REPO
from tests.cli_main import run

SECRET = "hunter2-oidc-client-secret-value"
OIDC = {
    "issuer": "https://idp.example.com",
    "authorizationEndpoint": "https://idp.example.com/auth",
    "tokenEndpoint": "https://idp.example.com/token",
    "userInfoEndpoint": "https://idp.example.com/userinfo",
    "clientId": "preview",
}


@pytest.fixture(scope="module")
def pr_json() -> dict[str, Any]:
    """`preview synth --pr 123 --format json`, run once for the tests that read it."""
    from click.testing import CliRunner

    from preview.synth.command import synth

    result = CliRunner().invoke(synth, ["--pr", "123", "--format", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def _template(tmp_path: Path, **changes: Any) -> Path:
    doc = yaml.safe_load((REPO / "preview.yaml").read_text())
    doc["config"].update({f"preview-platform:{k}": v for k, v in changes.items()})
    path = tmp_path / "preview.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_json_has_the_documented_top_level_keys(pr_json: dict[str, Any]) -> None:
    """Scripts outside the repo read these keys; removing one breaks them."""
    keys = {"resources", "policies", "cost_per_day_usd", "time_to_url_s", "naive"}
    assert keys <= set(pr_json)
    assert set(pr_json["naive"]) == {"cost_per_day_usd", "time_to_url_s"}


def test_json_resources_have_the_documented_fields(pr_json: dict[str, Any]) -> None:
    """Each resource is {type, name, parent, dependencies, inputs}."""
    fields = {"type", "name", "parent", "dependencies", "inputs"}
    assert pr_json["resources"] and all(fields <= set(r) for r in pr_json["resources"])


def test_preview_is_cheaper_than_the_naive_design(pr_json: dict[str, Any]) -> None:
    """Sharing staging's ALB and search domain is the point: the naive design costs more."""
    assert pr_json["naive"]["cost_per_day_usd"] > pr_json["cost_per_day_usd"] > 0


def test_preview_is_faster_than_the_naive_design(pr_json: dict[str, Any]) -> None:
    """A dedicated OpenSearch domain (15-30 min) lengthens the critical path to the URL."""
    assert pr_json["naive"]["time_to_url_s"] > pr_json["time_to_url_s"] > 0


def test_preview_creates_no_load_balancer_of_its_own(pr_json: dict[str, Any]) -> None:
    """The default design routes through staging's ALB with a listener rule."""
    types = {r["type"] for r in pr_json["resources"]}
    assert "aws:lb/listenerRule:ListenerRule" in types
    assert "aws:lb/loadBalancer:LoadBalancer" not in types


def test_mermaid_format_prints_only_the_diagram(capsys: pytest.CaptureFixture[str]) -> None:
    """`--format mermaid` output can be pasted straight into a Mermaid block."""
    code, out, _ = run(capsys, "synth", "--pr", "5", "--format", "mermaid", "--no-naive")
    assert code == 0
    assert out.startswith("flowchart LR\n") and "Estimated cost" not in out


def test_text_shows_the_naive_comparison(capsys: pytest.CaptureFixture[str]) -> None:
    """The default view makes the saving visible next to the figures."""
    code, out, _ = run(capsys, "synth", "--pr", "5")
    assert code == 0
    assert "Naive design" in out and "saves $" in out


def test_secret_values_never_appear_in_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The OIDC client secret reaches a listener rule input, yet json and text both hide it."""
    path = _template(tmp_path, urlProtection={"mode": "oidc", "oidc": OIDC})
    doc = yaml.safe_load(path.read_text())
    doc["config"]["preview-platform:oidcClientSecret"] = SECRET
    path.write_text(yaml.safe_dump(doc))
    outputs = []
    for fmt in ("json", "text"):
        code, out, err = run(
            capsys, "synth", "--pr", "9", "--config", str(path), "--format", fmt, "--no-naive"
        )
        assert code == 0, err
        outputs.append(out + err)
    assert "authenticate-oidc" in outputs[0]  # the secret-bearing resource is in the output
    assert all(SECRET not in o for o in outputs)


def test_long_lived_stack_has_no_naive_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """The naive design is a preview concept; staging reports `naive: null`."""
    code, out, err = run(capsys, "synth", "--stack", "staging", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["naive"] is None


def test_unknown_stack_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 2 and a message naming --stack and the allowed values."""
    code, _, err = run(capsys, "synth", "--stack", "dev")
    assert code == 2
    assert "--stack 'dev'" in err and "staging" in err


def test_missing_config_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 2 with the missing path in the message."""
    missing = tmp_path / "nope.yaml"
    code, _, err = run(capsys, "synth", "--pr", "1", "--config", str(missing))
    assert code == 2
    assert str(missing) in err


def test_invalid_config_names_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The config model's message (full key + fix) reaches the user, with exit 2."""
    path = _template(tmp_path, loadBalancing="round-robin")
    code, _, err = run(capsys, "synth", "--pr", "1", "--config", str(path))
    assert code == 2
    assert "preview-platform:loadBalancing" in err and "fix:" in err


def test_unknown_region_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Pricing in a region the table lacks fails before synthesizing, naming the region."""
    code, _, err = run(capsys, "synth", "--pr", "1", "--region", "mars-east-1")
    assert code == 2
    assert "mars-east-1" in err


def test_json_policies_have_the_documented_fields(pr_json: dict[str, Any]) -> None:
    """Policies ran over the graph; each result is {policy, resource, passed, message}."""
    fields = {"policy", "resource", "passed", "message"}
    assert pr_json["policies"] and all(set(p) >= fields for p in pr_json["policies"])


def test_default_preview_template_passes_every_safety_policy(pr_json: dict[str, Any]) -> None:
    """What `make synth` shows a newcomer must be a compliant stack."""
    failed = [p for p in pr_json["policies"] if not p["passed"]]
    assert failed == []


def test_pr_and_stack_are_mutually_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    """Both (or neither) is ambiguous: exit 2 with an example of each form."""
    code, _, err = run(capsys, "synth", "--pr", "1", "--stack", "staging")
    assert code == 2
    assert "exactly one of --pr and --stack" in err


def test_out_of_range_pr_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    """PR 0 has no stack name; the error says which flag and the valid range."""
    code, _, err = run(capsys, "synth", "--pr", "0")
    assert code == 2
    assert "--pr" in err and "1 to" in err


def test_config_error_raised_by_the_program_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """oidc without its client secret passes the model but the program refuses it: exit 2, fix."""
    path = _template(tmp_path, urlProtection={"mode": "oidc", "oidc": OIDC})
    code, _, err = run(capsys, "synth", "--pr", "4", "--config", str(path), "--no-naive")
    assert code == 2
    assert "preview-platform:oidcClientSecret" in err and "fix:" in err


def test_naive_figures_from_the_background_worker_match_the_inline_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fresh `preview synth` overlaps the naive synth in a forked worker; with one CPU it runs
    inline. Both must report the same comparison."""
    import os
    import subprocess
    import sys

    from preview.synth import configfile, synth_report

    out = subprocess.run(
        [sys.executable, "-m", "preview.cli", "synth", "--pr", "77", "--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    inline = synth_report("pr-77", configfile.pr_config(77)).naive
    assert inline is not None
    assert json.loads(out)["naive"] == {
        "cost_per_day_usd": inline.cost_per_day_usd,
        "time_to_url_s": round(inline.time_to_url_s, 1),
    }
