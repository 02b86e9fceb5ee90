"""The config of stack `pool` (the warm database pool) and of stack `bootstrap`."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from components.config.base import ConfigModel, staging_ref


class BootstrapConfig(ConfigModel):
    kind: Literal["bootstrap"] = "bootstrap"
    github_org: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$")
    github_repo: str = Field(pattern=r"^[A-Za-z0-9._-]{1,100}$")
    # Optional, passed through to GithubIdentityArgs (components/bootstrap.py validates them).
    preview_zone: str | None = None
    state_bucket: str | None = None
    secrets_kms_key_arn: str | None = None
    existing_provider_arn: str | None = None


# RDS: DB clusters per region, default quota (Service Quotas "DB clusters", adjustable).
DEFAULT_DB_CLUSTER_QUOTA = 40
_SLOT_ID = re.compile(r"s[0-9]{4,6}")


class PoolConfig(ConfigModel):
    """The warm database pool (stack `pool`): free clones of staging kept ready for previews.

    Every slot and every cold preview is one Aurora cluster, so the pool, the preview cap, the
    long-lived clusters and the one extra slot `refresh` makes before it retires a stale one
    must fit the account's DB-cluster quota together.
    """

    kind: Literal["pool"] = "pool"
    staging_stack: str
    size: int = Field(default=3, ge=0, le=100, description="Free slots kept ready")
    preview_cap: int = Field(default=20, ge=1, le=1000, description="PREVIEW_CAP of the CLI")
    db_cluster_quota: int = Field(default=DEFAULT_DB_CLUSTER_QUOTA, ge=1, le=1000)
    long_lived_clusters: int = Field(
        default=2, ge=0, le=100, description="Other clusters in the region (staging, prod)"
    )
    max_age_hours: float = Field(default=24, gt=0, le=168, description="Slot lifetime")
    db_auto_pause_seconds: int = Field(default=300, ge=300, le=86_400)
    lease_minutes: int = Field(default=60, ge=5, le=1440, description="Claim lease of `up`")
    claims_table: str = Field(default="pp-pool-claims", pattern=r"[A-Za-z0-9_.-]{3,255}")
    # Set by `preview pool refill|refresh`: the slot ids the stack holds (never reused).
    slots: list[str] = Field(default_factory=list)

    @field_validator("staging_stack")
    @classmethod
    def _staging(cls, v: str) -> str:
        return staging_ref(v)

    @field_validator("slots")
    @classmethod
    def _slots(cls, v: list[str]) -> list[str]:
        bad = [s for s in v if not _SLOT_ID.fullmatch(s)]
        if bad:
            raise ValueError(f"slot ids look like s0001; got {bad}")
        if len(set(v)) != len(v):
            raise ValueError("slot ids must be unique")
        return v
