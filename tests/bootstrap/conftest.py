"""A recording pulumi Mocks fixture and a helper that builds the identity under it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest

from components.bootstrap import GithubIdentity, GithubIdentityArgs

ACCOUNT = "123456789012"


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]

    def json(self, key: str) -> Any:
        """A JSON document input (policy, trust policy) parsed back."""
        return json.loads(self.inputs[key])


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[Registered] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(Registered(args.typ, args.name, dict(args.inputs)))
        outputs = dict(args.inputs)
        physical = args.inputs.get("name", args.name)
        arns = {
            "aws:iam/role:Role": f"arn:aws:iam::{ACCOUNT}:role/{physical}",
            "aws:iam/policy:Policy": f"arn:aws:iam::{ACCOUNT}:policy/{physical}",
            "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (
                f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
            ),
        }
        if args.typ in arns:
            outputs["arn"] = arns[args.typ]
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.type == typ]

    def named(self, name: str) -> Registered:
        (match,) = [r for r in self.resources if r.name == name]
        return match


Build = Callable[..., tuple[RecordingMocks, dict[str, str]]]


@pytest.fixture
def mocks() -> RecordingMocks:
    """Fresh recording mocks installed as the Pulumi runtime for this test."""
    recorder = RecordingMocks()
    pulumi.runtime.set_mocks(recorder, project="preview-platform", stack="bootstrap", preview=False)
    return recorder


@pytest.fixture
def build(mocks: RecordingMocks) -> Build:
    """Build GithubIdentity from keyword args under the mocks; return (mocks, outputs)."""

    def _build(**kwargs: Any) -> tuple[RecordingMocks, dict[str, str]]:
        outputs: dict[str, str] = {}
        names = list(OUTPUTS)

        @pulumi.runtime.test
        def program() -> pulumi.Output[Any]:
            ident = GithubIdentity("github", GithubIdentityArgs(**kwargs))
            return pulumi.Output.all(*(getattr(ident, n) for n in names)).apply(
                lambda vals: outputs.update(zip(names, vals, strict=True))
            )

        program()
        return mocks, outputs

    return _build


OUTPUTS = (
    "provider_arn",
    "preview_role_arn",
    "reaper_role_arn",
    "staging_role_arn",
    "prod_role_arn",
    "boundary_arn",
)
