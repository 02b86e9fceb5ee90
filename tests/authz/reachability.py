"""Where each endpoint answers, read from the synthesized graphs, and where each caller runs.

Zones: `internet` (a GitHub-hosted runner: DESIGN.md, "GitHub-hosted runners are on the public
internet: they cannot reach VPC-only endpoints") and `vpc` (ECS tasks in private subnets
without a public IP, the health Lambda with a vpc_config; they reach the internet through the
NAT gateway). Endpoints:
* an OpenSearch domain with `vpc_options` answers only in the VPC (its endpoint resolves to
  private addresses);
* an Aurora cluster's endpoints answer only in the VPC (private subnets, no public instance);
* public AWS API endpoints (`<service>[.<region>].amazonaws.com`) and GitHub's API answer from
  both; from the VPC only through a NAT gateway of the graph.
Any other host is unknown and fails the check: never assumed reachable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from preview.synth.harness import Synth, _plausible_state
from tests.authz.opensearch import domains

INTERNET, VPC = "internet", "vpc"
_AWS_API = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)?\.amazonaws\.com")


def endpoint_zones(graphs: Mapping[str, Synth]) -> dict[str, set[str]]:
    """host -> the zones it answers in, for the private endpoints the graphs create."""
    zones: dict[str, set[str]] = {}
    for stack, synth in graphs.items():
        for d in domains(stack, synth):
            zones[d.endpoint] = {VPC} if d.vpc_only else {VPC, INTERNET}
        public_instances = any(
            i.inputs.get("publiclyAccessible")
            for i in synth.of_type("aws:rds/clusterInstance:ClusterInstance")
        )
        for c in synth.of_type("aws:rds/cluster:Cluster"):
            state = _plausible_state(c.type, c.name, c.inputs)
            for key in ("endpoint", "readerEndpoint"):
                if key in state:
                    zones[str(state[key])] = {VPC, INTERNET} if public_instances else {VPC}
    return zones


def has_nat(graphs: Iterable[Synth]) -> bool:
    return any(s.of_type("aws:ec2/natGateway:NatGateway") for s in graphs)


def zone_of(host: str, zones: Mapping[str, set[str]], public_hosts: Iterable[str]) -> set[str]:
    if host in zones:
        return set(zones[host])
    if host in set(public_hosts) or _AWS_API.fullmatch(host):
        return {INTERNET, VPC}
    raise AssertionError(f"{host} is no endpoint the graphs know: cannot say where it answers")


def unreachable(
    caller_zone: str,
    hosts: Iterable[str],
    zones: Mapping[str, set[str]],
    public_hosts: Iterable[str],
    *,
    nat: bool,
) -> list[str]:
    """The hosts a caller in `caller_zone` cannot reach."""
    out = []
    for host in sorted(set(hosts)):
        where = zone_of(host, zones, public_hosts)
        if caller_zone not in where:
            out.append(f"{host} answers only in {sorted(where)}")
        elif caller_zone == VPC and host not in zones and not nat:
            out.append(f"{host} is public and the VPC has no NAT gateway")
    return out
