"""Registry: ECR repositories for the app image and the platform's tools image.

Creates: aws.ecr.Repository x2 (scan on push, immutable tags) and a LifecyclePolicy each.

What the workflows push (.github/workflows): a PR build tags its images `pr-<sha>`
(`naming.pr_image_tag`); staging/prod deploys tag theirs with the bare commit sha and run it
(`imageTag`/`toolsImageTag`); an adopter may pin other tags (e.g. `v1`). The lifecycle policy
expires only what is provably a preview's: `pr-` tags older than the longest a preview can run
an image. An image a long-lived stack runs or may roll back to carries no `pr-` prefix and
matches no rule, however many PRs push. (No rule for untagged images: the platform of a
multi-arch image is an untagged manifest its tagged index still needs.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import naming

PR_TAG_PREFIX = naming.PR_IMAGE_TAG_PREFIX
# A preview runs the image of its last push until its TTL ends (at most 90 days after that
# push: preview/settings.py ttl_hours) and may restart tasks from it any time until then.
PR_IMAGE_DAYS = 100


LIFECYCLE_POLICY = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"PR images: expire {PR_IMAGE_DAYS} days after push",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": [PR_TAG_PREFIX],
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": PR_IMAGE_DAYS,
                },
                "action": {"type": "expire"},
            },
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
                f"{name}-{role}-lifecycle",
                repository=repo.name,
                policy=LIFECYCLE_POLICY,
                opts=child,
            )
            urls[role] = repo.repository_url
        self.app_repository_url = urls["app"]
        self.tools_repository_url = urls["tools"]
        self.register_outputs(
            {"app_repository_url": urls["app"], "tools_repository_url": urls["tools"]}
        )
