"""Price table for `preview synth` cost estimates: on-demand list prices in USD, us-east-1.

Source: the AWS public pricing pages (aws.amazon.com/<service>/pricing) for us-east-1, Linux,
on-demand, as published in 2025 and transcribed by hand; they are not fetched at run time, so
the figures are estimates for comparing designs, not a bill. Other regions apply a multiplier
(approximate, derived from the same pages for ALB, Fargate and Aurora, which move together).

What is deliberately priced at zero: resources that are free (IAM, security groups, target
groups, listener rules, ACM certificates, task definitions, ECS clusters without EC2) and
usage-only charges that an idle preview does not incur (ALB LCUs, NAT data processing, Lambda
invocations, CloudWatch Logs ingestion, Aurora I/O). The estimate is the cost of a preview that
exists but is mostly idle, which is what most previews are most of the time.
"""

from __future__ import annotations

from typing import Final

SOURCE: Final = "AWS public pricing pages, us-east-1 on-demand list prices (2025), by hand"
HOURS_PER_MONTH: Final = 730.0
HOURS_PER_DAY: Final = 24.0

# Multiplier applied to every us-east-1 price below.
REGION_MULTIPLIER: Final[dict[str, float]] = {
    "us-east-1": 1.00,
    "us-east-2": 1.00,
    "us-west-2": 1.00,
    "ca-central-1": 1.10,
    "eu-west-1": 1.10,
    "eu-west-2": 1.15,
    "eu-central-1": 1.18,
    "eu-north-1": 1.05,
    "ap-southeast-1": 1.20,
    "ap-southeast-2": 1.22,
    "ap-northeast-1": 1.25,
}

# Application/Network Load Balancer: per hour, excluding LCUs (about $16/month base).
LOAD_BALANCER_HOUR: Final = 0.0225
# Fargate, Linux/x86: per vCPU-hour and per GB-hour.
FARGATE_VCPU_HOUR: Final = 0.04048
FARGATE_GB_HOUR: Final = 0.004445
# Fargate Spot runs at up to 70% off; Spot prices float, 0.30 of on-demand is the usual level.
FARGATE_SPOT_FACTOR: Final = 0.30
# Aurora MySQL Serverless v2 (Standard): per ACU-hour; storage per GB-month.
AURORA_ACU_HOUR: Final = 0.12
AURORA_STORAGE_GB_MONTH: Final = 0.10
# Provisioned Aurora MySQL instance classes, per hour.
AURORA_INSTANCE_HOUR: Final[dict[str, float]] = {
    "db.t4g.medium": 0.073,
    "db.t3.medium": 0.082,
    "db.r6g.large": 0.26,
    "db.r7g.large": 0.276,
}
# NAT gateway per hour (data processing is usage-only); public IPv4 address per hour.
NAT_GATEWAY_HOUR: Final = 0.045
PUBLIC_IPV4_HOUR: Final = 0.005
# OpenSearch Service instance-hours; gp3 storage per GB-month.
OPENSEARCH_INSTANCE_HOUR: Final[dict[str, float]] = {
    "t3.small.search": 0.036,
    "t3.medium.search": 0.073,
    "m6g.large.search": 0.128,
    "m7g.large.search": 0.136,
    "r6g.large.search": 0.167,
    "r7g.large.search": 0.178,
    "c6g.large.search": 0.113,
    "or1.medium.search": 0.105,
}
OPENSEARCH_GP3_GB_MONTH: Final = 0.122
# Route53 hosted zone per month (queries are usage-only).
ROUTE53_ZONE_MONTH: Final = 0.50
# Step Functions standard workflows: per state transition.
SFN_TRANSITION: Final = 0.025 / 1000
# CloudWatch standard-resolution metric alarm per month.
CLOUDWATCH_ALARM_MONTH: Final = 0.10
# CloudWatch dashboard per month (the first three per account are free; not counted here).
CLOUDWATCH_DASHBOARD_MONTH: Final = 3.00
# Secrets Manager per secret-month; KMS customer-managed key per month.
SECRET_MONTH: Final = 0.40
KMS_KEY_MONTH: Final = 1.00

# Usage assumptions for an idle preview (documented because they drive the figures).
# Aurora with minCapacity 0 pauses when idle; seeding, smoke runs and reviewers wake it.
AURORA_AWAKE_HOURS_PER_DAY: Final = 2.0
AURORA_AWAKE_ACU: Final = 0.5
# Only the pages a clone changes are billed; a fresh cluster holds the whole data set.
AURORA_CLONE_CHANGED_GB: Final = 1.0
AURORA_CLUSTER_GB: Final = 20.0
# One smoke run per push, a few pushes a day, about a dozen transitions per run.
SFN_EXECUTIONS_PER_DAY: Final = 4
SFN_TRANSITIONS_PER_EXECUTION: Final = 12
# A pool slot nobody has claimed changes almost nothing: page writes of its own start-up only.
AURORA_POOL_CHANGED_GB: Final = 0.1
# A slot's pre-seeded indices: the 200k-row reference data set (timing.SYNC_S), ~0.2 GB with
# one replica, in staging's domain. Assumed; re-measure with `_cat/indices` for yours.
POOL_INDEX_GB: Final = 0.2
