from __future__ import annotations

import pytest

from contracts.errors import UsageError
from preview.synth.timing import CREATE_SECONDS, critical_path
from tests.synth.graphs import ALB, COMPONENT, DB, DB_INSTANCE, RECORD, RULE, SERVICE, SG, TG, res


def test_critical_path_is_heaviest_chain_of_a_diamond() -> None:
    """alb(180) and tg(10) start at once; rule(3) needs both, record(45) the alb, svc(75) the tg.

    Finish times: alb 180, tg 10, rule 180+3=183, record 180+45=225, svc 10+75=85,
    so the path is alb -> record at 225 s.
    """
    resources = [
        res("alb", ALB),
        res("tg", TG),
        res("rule", RULE, deps=["alb", "tg"]),
        res("record", RECORD, deps=["alb"]),
        res("svc", SERVICE, deps=["tg"]),
    ]
    path = critical_path(resources)
    assert [s.resource for s in path.steps] == ["alb", "record"]
    assert path.seconds == 225


def test_depending_on_a_component_waits_for_all_its_children() -> None:
    """Pulumi resolves a component's outputs only after its children exist.

    inst depends on component `db`, whose children are cluster (360) and sg (4):
    inst finishes at max(360, 4) + 480 = 840, via the cluster.
    """
    resources = [
        res("db", COMPONENT),
        res("cluster", DB, parent="db"),
        res("sg", SG, parent="db"),
        res("inst", DB_INSTANCE, deps=["db"]),
    ]
    path = critical_path(resources)
    assert [s.resource for s in path.steps] == ["cluster", "inst"]
    assert path.seconds == CREATE_SECONDS[DB] + CREATE_SECONDS[DB_INSTANCE] == 840


def test_parent_alone_is_not_an_ordering_edge() -> None:
    """A child does not wait for its siblings: two children of one component run in parallel.

    cluster (360) and sg (4) under component `db`, no dependencies: the path is cluster alone.
    """
    resources = [res("db", COMPONENT), res("cluster", DB, parent="db"), res("sg", SG, parent="db")]
    assert critical_path(resources).seconds == 360


def test_dependency_cycle_is_a_clear_error() -> None:
    """A cycle cannot deploy; the error names a resource on it instead of recursing forever."""
    resources = [res("a", SG, deps=["b"]), res("b", SG, deps=["a"])]
    with pytest.raises(UsageError, match="cycle through"):
        critical_path(resources)


def test_unknown_types_use_the_default_weight() -> None:
    """An unlisted custom type still costs time (5 s), so new resources are never free."""
    resources = [res("thing", "aws:newservice/widget:Widget")]
    assert critical_path(resources).seconds == 5
