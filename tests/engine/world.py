"""The world the real-engine adapter tests share, per backend: a `staging` stack whose outputs
previews read through a StackReference, and a `pr-12` preview (the `world` fixture in conftest)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi

from contracts.constants import PROJECT
from preview.automation import PulumiAutomation, Secret
from tests.engine.services import moto_client

if TYPE_CHECKING:
    from tests.engine.conftest import Backend

OIDC_SECRET = "oidc-client-secret-5f2c9a"
APP = {"name": "survey", "services": [{"name": "web", "port": 8000, "public": True}]}


def staging_program() -> None:
    pulumi.ComponentResource("platform:test:Network", "staging-network")
    pulumi.export("environment", "staging")
    pulumi.export("vpcId", "vpc-0staging")


def preview_program() -> None:
    """A small stand-in for __main__.py: config in, a component, outputs (one secret) out."""
    cfg = pulumi.Config()
    pr = cfg.require_int("pr")
    app = cfg.require_object("app")
    secret = cfg.require_secret("oidcClientSecret")
    root = pulumi.ComponentResource("platform:test:Preview", f"pr-{pr}")
    pulumi.ComponentResource(
        "platform:test:Service", f"pr-{pr}-web", opts=pulumi.ResourceOptions(parent=root)
    )
    staging = pulumi.StackReference(f"organization/{PROJECT}/staging")
    pulumi.export("pr", pr)
    pulumi.export("sha", cfg.require("sha"))
    pulumi.export("app", app)
    pulumi.export("url", f"https://pr-{pr}.preview.example.com")
    pulumi.export("vpcId", staging.get_output("vpcId"))
    pulumi.export("oidcSecretLength", secret.apply(len))
    pulumi.export("oidcSecret", secret)


def preview_config(pr: int, sha: str = "abc1234") -> dict[str, Any]:
    return {"pr": pr, "sha": sha, "app": APP, "oidcClientSecret": Secret(OIDC_SECRET)}


@dataclass
class World:
    backend: Backend
    staging: dict[str, Any]
    pr12: dict[str, Any]
    lines: list[str]

    def adapter(self, program: Any = preview_program) -> PulumiAutomation:
        return self.backend.automation(program)


def state_text(world: World, stack: str) -> str:
    """The stack's checkpoint as stored by the backend."""
    b = world.backend
    if b.kind == "file":
        root = Path(b.url.removeprefix("file://"))
        return (root / ".pulumi/stacks" / PROJECT / f"{stack}.json").read_text()
    endpoint = b.url.split("endpoint=", 1)[1].split("&", 1)[0]
    body = moto_client("s3", f"http://{endpoint}").get_object(
        Bucket="engine-state", Key=f".pulumi/stacks/{PROJECT}/{stack}.json"
    )
    return str(body["Body"].read().decode())


def checkpoint(world: World, stack: str) -> dict[str, Any]:
    return dict(json.loads(state_text(world, stack))["checkpoint"]["latest"])
