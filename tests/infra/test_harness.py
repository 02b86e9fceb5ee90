"""The harness runs the real program repeatedly in one process without leaking state."""

from __future__ import annotations

import pytest

from preview.synth.harness import DEFAULT_STAGING_OUTPUTS, Synth, synthesize
from tests.infra.conftest import preview_config


def test_consecutive_runs_do_not_leak_resources_or_config() -> None:
    """Two PR stacks synthesized back to back each see only their own name and resources."""
    first = synthesize("pr-5", preview_config(pr=5))
    second = synthesize("pr-6", preview_config(pr=6))
    assert first.outputs["url"] == "https://pr-5.preview.example.com"
    assert second.outputs["url"] == "https://pr-6.preview.example.com"
    assert len(first.resources) == len(second.resources)
    assert all(r.urn.startswith("urn:pulumi:pr-6::") for r in second.resources)


def test_staging_outputs_can_be_overridden() -> None:
    """A custom preview zone from staging outputs shows up in the preview URL."""
    outputs = DEFAULT_STAGING_OUTPUTS | {"previewZoneName": "pv.acme.dev"}
    synth = synthesize("pr-9", preview_config(pr=9), staging_outputs=outputs)
    assert synth.outputs["url"] == "https://pr-9.pv.acme.dev"


def test_to_json_names_parent_and_dependencies(preview_synth: Synth) -> None:
    """Resource.to_json reports parent and dependencies by name."""
    rule = preview_synth.get("aws:lb/listenerRule:ListenerRule", "route-host").to_json()
    assert rule["parent"] == "route" and "route-tg" in rule["dependencies"]


def test_a_failed_run_does_not_break_the_next_one() -> None:
    """After a run that fails mid-way (clone source reports prod), the next synth succeeds."""
    bad = DEFAULT_STAGING_OUTPUTS | {"environment": "prod"}
    with pytest.raises(ValueError, match="previews may only clone staging"):
        synthesize("pr-77", preview_config(pr=77), staging_outputs=bad)
    after = synthesize("pr-78", preview_config(pr=78))
    assert after.outputs["url"] == "https://pr-78.preview.example.com"
