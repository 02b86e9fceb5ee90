"""SearchDomain: a private, encrypted, HTTPS-only OpenSearch domain.

Creates: aws.ec2.SecurityGroup (443 from the given groups only), aws.opensearch.Domain in
private subnets (encryption at rest, node-to-node TLS, TLS 1.2+ enforced) with a resource
policy that delegates to IAM in this account (a `:root` principal grants nothing by itself).
Each caller's role carries `index_access_policy`: `es:ESHttp*` on its own `<prefix>*` paths
only (`pr-<N>-`, `staging-`, `prod-`). AWS authorizes every request on
`domain/<name>/<request path>`, so callers make index-scoped calls only (no `HEAD /`,
`/_aliases`, `/_alias/...`): tests/authz/test_opensearch_calls.py records and judges them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components import naming
from components import tags as tagging
from components.security import https_from


@dataclass(frozen=True)
class SearchDomainArgs:
    stack: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    account_id: str
    tags: dict[str, str]
    engine_version: str = "OpenSearch_2.19"
    instance_type: str = "t3.small.search"
    instance_count: int = 1
    volume_size: int = 10
    client_security_group_ids: Sequence[pulumi.Input[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.instance_count < 1:
            raise ValueError("SearchDomainArgs.instance_count: at least 1")


def index_access_policy(domain_arn: pulumi.Input[str], prefix: str) -> pulumi.Output[str]:
    """IAM policy allowing HTTP calls to paths `/<prefix>*` of a domain and nothing else."""
    if not prefix.endswith("-"):
        raise ValueError("index prefix must end with '-' so pr-1 cannot reach pr-12's indices")
    doc: dict[str, Any] = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "es:ESHttpGet",
                    "es:ESHttpHead",
                    "es:ESHttpPost",
                    "es:ESHttpPut",
                    "es:ESHttpDelete",
                ],
                "Resource": [
                    pulumi.Output.concat(domain_arn, f"/{prefix}*"),
                    pulumi.Output.concat(domain_arn, f"/{prefix}*/*"),
                ],
            }
        ],
    }
    return pulumi.Output.json_dumps(doc)


class SearchDomain(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: SearchDomainArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:search:SearchDomain", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        domain_name = naming.search_domain_name(naming.resource_prefix(args.stack), "search")
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="OpenSearch: HTTPS only from allowed groups",
            tags=tagging.named(args.tags, f"{name}-sg"),
            opts=child,
        )
        # Standalone rules (https_from): the next `up` of staging keeps each preview's own.
        for i, client in enumerate(args.client_security_group_ids):
            https_from(f"{name}-from-client-{i}", sg.id, client, args.tags, child)
        subnets = args.subnet_ids[: min(args.instance_count, len(args.subnet_ids))]
        arn = f"arn:aws:es:*:{args.account_id}:domain/{domain_name}/*"
        domain = aws.opensearch.Domain(
            f"{name}-domain",
            domain_name=domain_name,
            engine_version=args.engine_version,
            cluster_config={
                "instance_type": args.instance_type,
                "instance_count": args.instance_count,
                "zone_awareness_enabled": len(subnets) > 1,
            },
            ebs_options={
                "ebs_enabled": True,
                "volume_size": args.volume_size,
                "volume_type": "gp3",
            },
            vpc_options={"subnet_ids": subnets, "security_group_ids": [sg.id]},
            encrypt_at_rest={"enabled": True},
            node_to_node_encryption={"enabled": True},
            domain_endpoint_options={
                "enforce_https": True,
                "tls_security_policy": "Policy-Min-TLS-1-2-2019-07",
            },
            access_policies=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{args.account_id}:root"},
                            "Action": "es:ESHttp*",
                            "Resource": arn,
                        }
                    ],
                }
            ),
            tags=args.tags,
            opts=child,
        )
        self.arn = domain.arn
        self.endpoint = domain.endpoint
        self.security_group_id = sg.id
        self.register_outputs({"arn": self.arn, "endpoint": self.endpoint})
