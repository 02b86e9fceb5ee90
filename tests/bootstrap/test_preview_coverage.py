"""Every IAM role of a real preview stack carries the boundary the preview role requires.

(That the preview role may make every call the provider makes for a preview's resources is
tests/authz/test_provider_calls.py.)
"""

from __future__ import annotations

from preview.synth.configfile import naive_config, pr_config
from preview.synth.harness import Resource, synthesize


def _preview_resources(naive: bool) -> list[Resource]:
    config = pr_config(12)
    synth = synthesize("pr-12", naive_config(config) if naive else config)
    return [r for r in synth.resources if r.custom and r.type.startswith("aws:")]


def test_every_preview_role_carries_the_boundary() -> None:
    """The preview role may create IAM roles only with the boundary, so the program must set it."""
    roles = [r for r in _preview_resources(False) if r.type == "aws:iam/role:Role"]
    missing = [
        r.name
        for r in roles
        if not str(r.inputs.get("permissionsBoundary", "")).endswith(":policy/pp-preview-boundary")
    ]
    assert missing == []
