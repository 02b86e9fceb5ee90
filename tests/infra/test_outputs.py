"""Stack output names are one contract (contracts/outputs.py): what the program exports, what
`preview up` and the harness read. A rename on one side only fails here."""

from __future__ import annotations

from contracts.outputs import STAGING_FOR_PREVIEWS, PreviewOut, StagingOut
from preview.synth.harness import DEFAULT_STAGING_OUTPUTS, Synth, synthesize
from tests.infra.conftest import preview_config


def _names(cls: type) -> set[str]:
    return {v for k, v in vars(cls).items() if k.isupper()}


def test_preview_exports_exactly_the_preview_outputs(preview_synth: Synth) -> None:
    """Every name `preview up` may read from a pr-<N> stack is exported, and nothing else."""
    assert set(preview_synth.outputs) == _names(PreviewOut)


def test_staging_exports_every_long_lived_output(staging_synth: Synth) -> None:
    """Staging exports all long-lived outputs, the ones previews share included."""
    assert set(staging_synth.outputs) == _names(StagingOut)


def test_prod_exports_the_long_lived_outputs_without_the_preview_share(prod_synth: Synth) -> None:
    shared = {v for v in _names(StagingOut) if v.startswith("preview")}
    assert set(prod_synth.outputs) == _names(StagingOut) - shared


def test_a_preview_needs_only_the_staging_outputs_the_contract_lists() -> None:
    """A preview synthesizes against a staging that exports nothing but STAGING_FOR_PREVIEWS."""
    only = {k: DEFAULT_STAGING_OUTPUTS[k] for k in STAGING_FOR_PREVIEWS}
    synth = synthesize("pr-12", preview_config(), staging_outputs=only)
    assert synth.outputs[PreviewOut.URL] == "https://pr-12.preview.example.com"


def test_harness_stands_in_for_the_staging_outputs() -> None:
    """The harness's fake staging has every output but the three only a person reads."""
    unread = {StagingOut.URL, StagingOut.SERVICE_NAMES, StagingOut.DB_ENDPOINT}
    assert set(DEFAULT_STAGING_OUTPUTS) == _names(StagingOut) - unread
