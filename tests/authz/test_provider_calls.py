"""Every call the Pulumi provider makes for a stack's resources is allowed for its deployer.

Graphs: the real program synthesized for a preview (shared design and the dedicated-ALB/search
design), staging and prod; calls per resource from tests/authz/provider_calls.py.
"""

from __future__ import annotations

import functools

import pytest

from preview.synth.configfile import naive_config, pr_config, stack_file_config
from preview.synth.harness import DEFAULT_STAGING_OUTPUTS, Synth, synthesize
from tests.authz.iam_eval import Principal, Request, decide
from tests.authz.principals import AWS_MANAGED, bootstrap_stack, principal, principals
from tests.authz.provider_calls import Graph, provider_calls

STAGING_TAGS = {"environment": "staging", "managed-by": "preview-platform"}
STAGING_GROUPS = frozenset(
    str(v) for k, v in DEFAULT_STAGING_OUTPUTS.items() if k.endswith("SecurityGroupId")
)
DEPLOYER = {"shared": "preview-role", "dedicated": "preview-role"} | {
    "staging": "staging-deploy-role",
    "prod": "prod-deploy-role",
    # `preview pool refill|refresh` runs in the reaper job (pp-pool-maintenance).
    "pool": "reaper-role",
}


@functools.cache
def graph(kind: str) -> Synth:
    if kind == "shared":
        return synthesize("pr-12", pr_config(12))
    if kind == "dedicated":
        return synthesize("pr-12", naive_config(pr_config(12)))
    if kind == "pool":
        from tests.infra.test_pool_stack import pool_config

        return synthesize("pool", pool_config())
    return synthesize(kind, stack_file_config(kind))


def acting(synth: Synth, name: str) -> Principal:
    """A principals() name, or `role:<logical>` for a role of this graph."""
    if name.startswith("role:"):
        return principal(synth, name.removeprefix("role:"))
    return principals()[name]


def _refused(kind: str) -> list[str]:
    synth = graph(kind)
    g = Graph(synth.resources, STAGING_GROUPS, STAGING_TAGS)
    out = []
    for resource, calls in provider_calls(synth.resources, g).items():
        for c in calls:
            principal = acting(synth, c.principal or DEPLOYER[kind])
            d = decide(principal, Request(c.action, c.resource, c.context))
            if not d.allowed:
                out.append(
                    f"{principal.name}: {resource} {c.phase}: {c.action} on {c.resource}:"
                    f" {d.reason}"
                )
    return out


@pytest.mark.parametrize("kind", ["shared", "dedicated", "staging", "prod", "pool"])
def test_deployer_may_make_every_provider_call(kind: str) -> None:
    """Create (with its tags), update and delete of every resource in the graph is allowed."""
    refused = _refused(kind)
    assert not refused, "\n".join(refused)


def test_every_bootstrap_resource_type_has_a_row() -> None:
    """The bootstrap stack is run by an account admin; its types are still in the table."""
    synth = bootstrap_stack()
    assert provider_calls(synth.resources, Graph(synth.resources))


@pytest.mark.parametrize("kind", ["shared", "dedicated"])
def test_a_vpc_lambda_is_created_after_its_eni_permissions(kind: str) -> None:
    """Lambda refuses CreateFunction in a VPC while the role cannot manage ENIs, so the function
    depends on the attachment granting them; otherwise Pulumi may create both at once and the
    first deploy fails."""
    synth = graph(kind)
    who = principals()["health-lambda"]
    for fn in synth.of_type("aws:lambda/function:Function"):
        if not (fn.inputs.get("vpcConfig") or {}).get("subnetIds"):
            continue
        grants = [
            r
            for r in synth.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            if decide(
                type(who)(who.name, who.arn, [AWS_MANAGED[str(r.inputs["policyArn"])]]),
                Request("ec2:CreateNetworkInterface", "*"),
            ).allowed
        ]
        assert grants, fn.name
        names = {d.rsplit("::", 1)[-1] for d in fn.dependencies}
        assert any(g.name in names for g in grants), f"{fn.name} depends on {sorted(names)}"
