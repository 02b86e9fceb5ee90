"""Registry: ECR repositories for the app image and the platform's tools image.

Creates: aws.ecr.Repository x2 (scan on push, immutable tags) and a LifecyclePolicy each that
keeps the last 50 images, so per-PR sha tags do not grow storage forever.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import naming

_KEEP_LAST = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": "keep the last 50 images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": 50,
                },
                "action": {"type": "expire"},
            }
        ]
    }
)


@dataclass(frozen=True)
class RegistryArgs:
    stack: str
    app_name: str
    tags: dict[str, str]
    # prod must not lose images on `pulumi destroy` by accident.
    force_delete: bool = False


class Registry(pulumi.ComponentResource):
    app_repository_url: pulumi.Output[str]
    tools_repository_url: pulumi.Output[str]

    def __init__(
        self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:registry:Registry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        urls: dict[str, pulumi.Output[str]] = {}
        for role in ("app", "tools"):
            repo = aws.ecr.Repository(
                f"{name}-{role}",
                name=naming.dns_label(naming.resource_prefix(args.stack), args.app_name, role)
                if role == "app"
                else naming.dns_label(naming.resource_prefix(args.stack), role),
                image_scanning_configuration={"scan_on_push": True},
                image_tag_mutability="IMMUTABLE",
                force_delete=args.force_delete,
                tags=args.tags,
                opts=child,
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{role}-lifecycle", repository=repo.name, policy=_KEEP_LAST, opts=child
            )
            urls[role] = repo.repository_url
        self.app_repository_url = urls["app"]
        self.tools_repository_url = urls["tools"]
        self.register_outputs(
            {"app_repository_url": urls["app"], "tools_repository_url": urls["tools"]}
        )
