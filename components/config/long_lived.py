"""The config of the long-lived stacks `staging` and `prod`."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components import naming
from components.config.app import AppSpec
from components.config.base import ConfigModel, describe_values

# CloudWatch Logs retentionInDays: the only values PutRetentionPolicy/CreateLogGroup accept.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip
# Docker/ECR image tag: up to 128 of [A-Za-z0-9_.-], not starting with . or -. (pydantic's
# `pattern` searches, so every pattern here is anchored.)
_IMAGE_TAG = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"


class DbSpec(ConfigModel):
    # Aurora MySQL 3 versions read "8.0.mysql_aurora.3.NN.N"; auto-pause needs >= 3.08.0.
    engine_version: str = Field(
        default="8.0.mysql_aurora.3.08.0", pattern=r"^8\.0\.mysql_aurora\.3\.[0-9]{2}\.[0-9]+$"
    )
    min_capacity: float = Field(default=0.5, ge=0, le=256)
    max_capacity: float = Field(default=4, ge=1, le=256)
    readers: int = Field(default=0, ge=0, le=15)
    database_name: str = Field(default="app", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")

    @field_validator("min_capacity", "max_capacity")
    @classmethod
    def _half_acu(cls, v: float) -> float:
        # ServerlessV2ScalingConfiguration: capacities in 0.5 ACU steps.
        if v * 2 != int(v * 2):
            raise ValueError(f"{v} is not a multiple of 0.5 ACU")
        return v

    @model_validator(mode="after")
    def _range(self) -> DbSpec:
        if self.min_capacity > self.max_capacity:
            raise ValueError("minCapacity must not exceed maxCapacity")
        return self


class SearchSpec(ConfigModel):
    # OpenSearch CreateDomain EngineVersion: "OpenSearch_X.Y" or "Elasticsearch_X.Y".
    engine_version: str = Field(
        default="OpenSearch_2.19", pattern=r"^(OpenSearch|Elasticsearch)_[0-9]{1,2}\.[0-9]{1,2}$"
    )
    # OpenSearch instance types end in ".search", e.g. t3.small.search.
    instance_type: str = Field(default="t3.small.search", pattern=r"^[a-z0-9]+\.[a-z0-9]+\.search$")
    instance_count: int = Field(default=1, ge=1, le=20)
    volume_size: int = Field(default=10, ge=10, le=3000)


class AutoscalingSpec(ConfigModel):
    min: int = Field(default=2, ge=1)
    max: int = Field(default=6, ge=1)
    cpu_target: float = Field(default=60, gt=0, lt=100)

    @model_validator(mode="after")
    def _range(self) -> AutoscalingSpec:
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class LongLivedConfig(ConfigModel):
    kind: Literal["staging", "prod"]
    app: AppSpec
    domain_name: str = Field(description="Public host of the app, e.g. app.example.com")
    hosted_zone_id: str = Field(description="Route53 zone that holds domainName")
    preview_zone: str | None = Field(default=None, description="staging only: preview DNS zone")
    vpc_cidr: str = "10.0.0.0/16"
    az_count: int = Field(default=2, ge=2, le=4)
    nat_per_az: bool = False
    image_tag: str = Field(default="latest", pattern=_IMAGE_TAG)
    # Pinned tools image (preview sync / preview smoke) that previews run; tags are immutable.
    tools_image_tag: str = Field(default="v1", pattern=_IMAGE_TAG)
    db: DbSpec = Field(default_factory=DbSpec)
    search: SearchSpec = Field(default_factory=SearchSpec)
    autoscaling: AutoscalingSpec | None = None
    alarm_email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    log_retention_days: int = Field(
        default=30, description="CloudWatch Logs retention in days (a value CloudWatch accepts)"
    )

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        if v not in LOG_RETENTION_DAYS:
            allowed = describe_values(LOG_RETENTION_DAYS)
            raise ValueError(f"{v} is not a CloudWatch Logs retention; use one of {allowed}")
        return v

    @field_validator("image_tag", "tools_image_tag")
    @classmethod
    def _not_a_pr_tag(cls, v: str) -> str:
        if v.startswith(naming.PR_IMAGE_TAG_PREFIX):
            raise ValueError(
                f"{v!r} starts with {naming.PR_IMAGE_TAG_PREFIX!r}, the prefix of PR builds, "
                "which the ECR lifecycle policy expires; deploy a release tag (the commit sha)"
            )
        return v

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        net = ipaddress.ip_network(v)
        # VPC CIDR blocks must lie between /16 and /28 (VPC user guide, "VPC CIDR blocks").
        if net.prefixlen < 16:
            raise ValueError(f"{v} is larger than AWS allows for a VPC; use /16 to /20")
        if net.prefixlen > 20:
            raise ValueError("must be /20 or larger to fit public and private subnets per AZ")
        return v

    @model_validator(mode="after")
    def _kind(self) -> LongLivedConfig:
        if self.kind == "staging" and not self.preview_zone:
            raise ValueError("previewZone is required on staging (it hosts pr-<N> names)")
        if self.kind == "prod" and self.preview_zone:
            raise ValueError("previewZone belongs to staging; remove it from prod")
        if self.preview_zone:
            naming.hostname(1, self.preview_zone)
        return self
