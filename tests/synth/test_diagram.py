from __future__ import annotations

import re

from preview.synth.diagram import mermaid
from tests.synth.graphs import COMPONENT, ROLE, SERVICE, SG, TASK, TG, VPC, res


def _graph() -> list:
    return [
        res("net", COMPONENT),
        res("vpc", VPC, parent="net"),
        res("app", COMPONENT),
        res("sg", SG, parent="app", deps=["vpc"]),
        res("role", ROLE, parent="app"),
        res("task", TASK, parent="app", deps=["role"]),
        res("tg", TG, parent="app", deps=["vpc"]),
        res("svc", SERVICE, parent="app", deps=["task", "sg", "tg"]),
    ]


def _node_id(text: str, name: str) -> str:
    match = re.search(rf'(n\d+)\["[^"]*<br/>{name}"\]', text)
    assert match, f"no node for {name} in\n{text}"
    return match.group(1)


def test_output_is_a_mermaid_flowchart() -> None:
    """Mermaid renders it only if the first line declares the diagram type."""
    assert mermaid(_graph()).splitlines()[0] == "flowchart LR"


def test_each_component_becomes_one_closed_subgraph() -> None:
    """Components group their resources: one subgraph each, every subgraph closed by `end`."""
    text = mermaid(_graph())
    titles = re.findall(r'subgraph \w+\["([^"]+)"\]', text)
    assert titles == ["net (Thing)", "app (Thing)"]
    assert len(re.findall(r"^\s*end$", text, re.M)) == 2


def test_iam_roles_and_security_groups_are_not_drawn() -> None:
    """Noise stays out: no IAM role, security group or task definition nodes."""
    text = mermaid(_graph())
    assert "<br/>role" not in text and "<br/>sg" not in text and "<br/>task" not in text


def test_arrows_implied_by_a_longer_chain_are_dropped() -> None:
    """svc reaches vpc through the hidden sg and through tg; the arrow implied by tg is dropped.

    Drawn: svc --> tg --> vpc. Not drawn: svc --> vpc (already implied by that chain).
    """
    text = mermaid(_graph())
    svc, tg, vpc = (_node_id(text, n) for n in ("svc", "tg", "vpc"))
    assert f"{svc} --> {tg}" in text and f"{tg} --> {vpc}" in text
    assert f"{svc} --> {vpc}" not in text


def test_hidden_path_alone_yields_an_edge() -> None:
    """A visible resource reaching another only through hidden ones still gets an arrow."""
    resources = [res("vpc", VPC), res("sg", SG, deps=["vpc"]), res("svc", SERVICE, deps=["sg"])]
    text = mermaid(resources)
    assert f"{_node_id(text, 'svc')} --> {_node_id(text, 'vpc')}" in text


def test_quotes_in_names_cannot_break_labels() -> None:
    """A double quote in a label would end the Mermaid string early; it is escaped."""
    text = mermaid([res('we"ird', VPC)])
    assert 'we"ird' not in text and "we#quot;ird" in text
