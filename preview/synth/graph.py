"""The recorded resource graph as `preview synth` reads it: lookups by URN, parents, children.

Works on anything shaped like `preview.synth.harness.Resource` so tests can hand-build graphs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class ResourceLike(Protocol):
    @property
    def urn(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def parent(self) -> str | None: ...
    @property
    def dependencies(self) -> Sequence[str]: ...
    @property
    def inputs(self) -> Mapping[str, Any]: ...
    @property
    def custom(self) -> bool: ...


@dataclass
class Graph:
    resources: list[ResourceLike]

    def __post_init__(self) -> None:
        self.by_urn: dict[str, ResourceLike] = {r.urn: r for r in self.resources}
        self.children: dict[str, list[ResourceLike]] = {}
        for r in self.resources:
            if r.parent in self.by_urn:
                self.children.setdefault(r.parent, []).append(r)

    def roots(self) -> list[ResourceLike]:
        """Resources whose parent is the stack (or unknown)."""
        return [r for r in self.resources if r.parent not in self.by_urn]

    def descendants(self, urn: str) -> list[ResourceLike]:
        out: list[ResourceLike] = []
        stack = list(self.children.get(urn, []))
        while stack:
            r = stack.pop()
            out.append(r)
            stack.extend(self.children.get(r.urn, []))
        return out

    def custom_deps(self, r: ResourceLike) -> list[ResourceLike]:
        """What `r` waits for: its dependencies, a component standing for its custom descendants.

        Pulumi resolves a component's outputs (and `depends_on=component`) only once its children
        exist, so depending on a component means waiting for every resource inside it.
        """
        out: dict[str, ResourceLike] = {}
        for urn in r.dependencies:
            dep = self.by_urn.get(urn)
            if dep is None or dep.urn == r.urn:
                continue
            if dep.custom:
                out[dep.urn] = dep
            else:
                for d in self.descendants(dep.urn):
                    if d.custom and d.urn != r.urn:
                        out[d.urn] = d
        return list(out.values())

    def deps_of_type(self, r: ResourceLike, type_: str) -> list[ResourceLike]:
        return [d for d in self.custom_deps(r) if d.type == type_]

    def of_type(self, type_: str) -> list[ResourceLike]:
        return [r for r in self.resources if r.type == type_]

    def component_of(self, r: ResourceLike) -> ResourceLike | None:
        """Nearest component ancestor of `r` (None for top-level resources)."""
        parent = self.by_urn.get(r.parent) if r.parent else None
        while parent is not None and parent.custom:
            parent = self.by_urn.get(parent.parent) if parent.parent else None
        return parent


def short_type(type_: str) -> str:
    """`aws:lb/loadBalancer:LoadBalancer` -> `lb.LoadBalancer`; components keep their last part."""
    pkg, _, rest = type_.partition(":")
    module, _, cls = rest.partition(":")
    if pkg == "aws":
        return f"{module.split('/')[0]}.{cls}"
    return cls or type_


def names(resources: Iterable[ResourceLike]) -> list[str]:
    return [r.name for r in resources]
