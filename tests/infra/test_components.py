"""Component args reject bad input with the field name before any resource is registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.certificate import CertificateArgs
from components.dbclone import DatabaseCloneArgs
from components.loadbalancer import LoadBalancerArgs
from components.network import NetworkArgs
from components.route import RouteArgs
from components.search import index_access_policy

TAGS = {"managed-by": "preview-platform"}


def _route(**over: Any) -> RouteArgs:
    base: dict[str, Any] = dict(
        stack="pr-1",
        service="web",
        host="pr-1.example.com",
        port=80,
        health_path="/health",
        vpc_id="vpc",
        listener_arn="arn",
        priority=1,
        alb_dns_name="d",
        alb_zone_id="z",
        zone_id="Z",
        tags=TAGS,
    )
    return RouteArgs(**(base | over))


CASES: list[tuple[str, Callable[[], object], str]] = [
    ("route host too long", lambda: _route(host="a" * 129), "RouteArgs.host"),
    ("route priority", lambda: _route(priority=50_000), "RouteArgs.priority"),
    ("allowlist without cidrs", lambda: _route(protection="ipAllowlist"), "allowed_cidrs"),
    ("oidc without settings", lambda: _route(protection="oidc"), "RouteArgs.oidc"),
    (
        "protection without bypass",
        lambda: _route(protection="ipAllowlist", allowed_cidrs=["1.2.3.4/32"]),
        "bypass_cidrs",
    ),
    ("single-AZ network", lambda: NetworkArgs("10.0.0.0/16", ["a"], TAGS), "availability_zones"),
    (
        "single-subnet ALB",
        lambda: LoadBalancerArgs("prod", "app", "vpc", ["s1"], "arn", TAGS),
        "subnet_ids",
    ),
    ("empty cert name", lambda: CertificateArgs("", "Z", TAGS), "domain_name"),
    (
        "auto-pause out of range",
        lambda: DatabaseCloneArgs("pr-1", "src", "staging", "v", "sg", "vpc", "sg", TAGS, 60),
        "auto_pause_seconds",
    ),
    ("prefix without dash", lambda: index_access_policy("arn", "pr-1"), "prefix"),
]


@pytest.mark.parametrize(("case", "build", "field"), CASES, ids=[c[0] for c in CASES])
def test_bad_component_args_name_the_field(
    case: str, build: Callable[[], object], field: str
) -> None:
    """Each invalid argument fails at construction with a message naming the field."""
    with pytest.raises(ValueError, match=field):
        build()


def test_flow_logs_need_a_stack_name() -> None:
    """Flow logs without a stack would share one log group between stacks: refused."""
    with pytest.raises(ValueError, match=r"NetworkArgs\.stack"):
        NetworkArgs("10.0.0.0/16", ["a", "b"], TAGS, flow_log_retention_days=7)
