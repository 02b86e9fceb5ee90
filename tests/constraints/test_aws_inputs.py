"""Every input the program hands AWS, in every stack type, is one AWS accepts.

Pulumi's mocks accept any string; AWS does not. Each stack kind (every preview option
combination, staging, prod, bootstrap) is synthesized through the real program and every
recorded input is judged by tests/constraints/rules.py (documented AWS rules, each with its
source). A resource type or a name/description/identifier field without a rule fails too.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from preview.synth.harness import Synth, synthesize
from tests.constraints import rules
from tests.infra.conftest import OIDC_PROTECTION, preview_config, stack_file

PROTECTIONS: dict[str, dict[str, Any]] = {
    "public": {"mode": "public"},
    "ipAllowlist": {"mode": "ipAllowlist", "cidrs": ["198.51.100.0/24", "203.0.113.7/32"]},
    "oidc": OIDC_PROTECTION,
}
# Short, long and the largest PR numbers: names grow with the number.
PRS = (7, 4321, 987_654_321)


def _preview_variants() -> dict[str, tuple[str, dict[str, Any]]]:
    variants: dict[str, tuple[str, dict[str, Any]]] = {}
    combos = itertools.product(
        ("shared", "dedicated"), ("shared", "dedicated"), PROTECTIONS, (True, False)
    )
    for i, (lb, search, protection, spot) in enumerate(combos):
        pr = PRS[i % len(PRS)]
        cfg = preview_config(
            pr=pr,
            loadBalancing=lb,
            search=search,
            urlProtection=PROTECTIONS[protection],
            spot={"enabled": spot, "onDemandBase": 1 if spot else 0},
            # A branch name with characters no AWS tag takes.
            branch="feature/ünïcode's #42 (draft) & more!",
        )
        if protection == "oidc":
            cfg["oidcClientSecret"] = "s3cr3t"
        key = f"pr-{lb}-lb-{search}-search-{protection}-{'spot' if spot else 'ondemand'}"
        variants[key] = (f"pr-{pr}", cfg)
    return variants


VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    **_preview_variants(),
    "staging": ("staging", stack_file("Pulumi.staging.yaml")),
    "prod": ("prod", stack_file("Pulumi.prod.yaml")),
    "bootstrap": ("bootstrap", stack_file("Pulumi.bootstrap.yaml")),
    "bootstrap-full": (
        "bootstrap",
        {
            **stack_file("Pulumi.bootstrap.yaml"),
            "previewZone": "preview.example.com",
            "stateBucket": "example-org-pulumi-state",
        },
    ),
}


@pytest.fixture(scope="session")
def synth_of() -> Callable[[str], Synth]:
    """Each variant synthesized once per session."""
    cache: dict[str, Synth] = {}

    def get(variant: str) -> Synth:
        if variant not in cache:
            stack, cfg = VARIANTS[variant]
            cache[variant] = synthesize(stack, cfg)
        return cache[variant]

    return get


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_input_is_one_aws_accepts(variant: str, synth_of: Callable[[str], Synth]) -> None:
    """No recorded input breaks a documented AWS rule (length, charset, enumeration, range)."""
    synth = synth_of(variant)
    assert [r for r in synth.resources if r.custom], "the stack registered no resources"
    problems = rules.check(synth.resources)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_resource_type_and_risky_field_has_a_rule(
    variant: str, synth_of: Callable[[str], Synth]
) -> None:
    """A new resource type, or a name/description/identifier without a rule, is not silently
    fine: add its rule to tests/constraints/rules.py with the API reference it comes from."""
    missing = rules.uncovered(synth_of(variant).resources)
    assert not missing, "\n".join(missing)


def test_aurora_log_exports_land_in_log_groups_that_expire(
    synth_of: Callable[[str], Synth],
) -> None:
    """RDS creates /aws/rds/cluster/<id>/<log> with no expiry unless the group exists: the
    stack owns each exported log's group, with the stack's retention, created first."""
    synth = synth_of("staging")
    cluster = synth.get("aws:rds/cluster:Cluster", "db-cluster")
    exports = cluster.inputs["enabledCloudwatchLogsExports"]
    assert exports
    groups = {g.inputs["name"]: g for g in synth.of_type("aws:cloudwatch/logGroup:LogGroup")}
    for log in exports:
        group = groups[f"/aws/rds/cluster/pp-staging-db/{log}"]
        assert group.inputs["retentionInDays"] == 30
        assert group.urn in cluster.dependencies
