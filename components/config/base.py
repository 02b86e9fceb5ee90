"""What every config model shares: the pydantic base, value lists in messages, stack references."""

from __future__ import annotations

import itertools

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

# The OIDC client secret of urlProtection mode oidc: a Pulumi secret, kept out of the model.
SECRET_KEY = "oidcClientSecret"


def describe_values(allowed: tuple[int, ...]) -> str:
    """`512, 1024 or 2048`; a long even run as `4096..16384 in steps of 1024`."""
    steps = {b - a for a, b in itertools.pairwise(allowed)}
    if len(allowed) > 4 and len(steps) == 1:
        return f"{allowed[0]}..{allowed[-1]} in steps of {steps.pop()}"
    head = ", ".join(map(str, allowed[:-1]))
    return f"{head} or {allowed[-1]}" if head else str(allowed[-1])


class ConfigModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


def staging_ref(v: str) -> str:
    parts = v.split("/")
    if len(parts) != 3 or not all(parts):
        raise ValueError("must be a fully qualified stack reference 'org/project/staging'")
    if parts[2] != "staging":
        # Clones of prod would copy production data into an ephemeral, looser environment.
        raise ValueError(f"must reference the staging stack, never {parts[2]!r}")
    return v
