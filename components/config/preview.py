"""The config of a preview stack `pr-<N>`: `preview.yaml` plus the keys the CLI sets."""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from components import naming
from components.config.app import AppSpec
from components.config.base import ConfigModel, describe_values, staging_ref

# Previews keep logs briefly.
PREVIEW_LOG_RETENTION_DAYS = (1, 3, 5, 7, 14)
_SHA = re.compile(r"[0-9a-f]{7,40}")


class OidcSpec(ConfigModel):
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    user_info_endpoint: str
    client_id: str = Field(min_length=1, max_length=255)

    @field_validator("issuer", "authorization_endpoint", "token_endpoint", "user_info_endpoint")
    @classmethod
    def _https(cls, v: str) -> str:
        # ELBv2 AuthenticateOidcActionConfig: issuer and endpoints must be full https URLs.
        if not re.fullmatch(r"https://[^\s/]+(/\S*)?", v):
            raise ValueError(f"{v!r} must be an https:// URL")
        return v


class UrlProtection(ConfigModel):
    """Who may open a preview URL. Smoke tests always get in (see components/route.py)."""

    mode: Literal["public", "ipAllowlist", "oidc"] = "public"
    # An ALB rule takes 5 condition values; the host header uses one.
    cidrs: list[str] = Field(
        default_factory=list, max_length=4, description="ipAllowlist: 1-4 allowed CIDRs"
    )
    oidc: OidcSpec | None = None

    @field_validator("cidrs")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        for cidr in v:
            ipaddress.ip_network(cidr, strict=False)
        return v

    @model_validator(mode="after")
    def _mode(self) -> UrlProtection:
        if self.mode == "ipAllowlist" and not self.cidrs:
            raise ValueError("mode ipAllowlist needs at least one CIDR in 'cidrs'")
        if self.mode == "oidc" and self.oidc is None:
            raise ValueError("mode oidc needs the 'oidc' block (issuer, endpoints, clientId)")
        return self


class SpotSpec(ConfigModel):
    """Fargate Spot by default; `onDemandBase` tasks run on regular Fargate first."""

    enabled: bool = True
    on_demand_base: int = Field(default=0, ge=0, le=100)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # `spot: false` / `spot: true` is the common case; expand it to the object form.
        if isinstance(value, bool):
            return {"enabled": value}
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return {"enabled": value.strip().lower() == "true"}
        return value


class WarmSlot(ConfigModel):
    """The pool slot `preview up` claimed for this PR (preview/pool/store.py Slot.warm_config): the
    preview uses its database instead of cloning one, and does not own it."""

    slot: str = Field(pattern=r"s[0-9]{4,6}")
    # Only a pool slot's own identifier (pp-pool-<slot>), so this can never point at staging or
    # prod's cluster.
    cluster_identifier: str = Field(pattern=r"pp-pool-s[0-9]{4,6}")
    endpoint: str = Field(min_length=1, max_length=255)
    secret_arn: str = Field(pattern=r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+")
    index_prefix: str = Field(pattern=r"pool-s[0-9]{4,6}-")
    security_group_id: str = Field(min_length=1, max_length=255)
    # Its indices were seeded by the pool's seeder (a slot made before seeders has none).
    seeded: bool = False

    @model_validator(mode="after")
    def _same_slot(self) -> WarmSlot:
        if not self.cluster_identifier.endswith(f"-{self.slot}"):
            raise ValueError(
                f"clusterIdentifier {self.cluster_identifier!r} is not slot {self.slot}"
            )
        return self


class PreviewConfig(ConfigModel):
    kind: Literal["preview"] = "preview"
    pr: int = Field(ge=1, le=naming.MAX_PR)
    sha: str
    branch: str = Field(min_length=1, max_length=1024)
    expires_at: datetime
    staging_stack: str
    app: AppSpec
    load_balancing: Literal["shared", "dedicated"] = "shared"
    search: Literal["shared", "dedicated"] = "shared"
    url_protection: UrlProtection = Field(default_factory=UrlProtection)
    spot: SpotSpec = Field(default_factory=SpotSpec)
    rule_priority: int | None = Field(default=None, ge=1, le=49_999)
    # Tools image (preview sync/smoke) of this PR; default: the one staging pins (toolsImage).
    tools_image: str | None = Field(default=None, min_length=1, max_length=512)
    log_retention_days: int = Field(
        default=7, description="CloudWatch retention in days: 1, 3, 5, 7 or 14"
    )
    db_auto_pause_seconds: int = Field(default=600, ge=300, le=86_400)
    # Set by `preview up` when it claimed a warm pool slot; absent: the stack clones staging.
    warm_slot: WarmSlot | None = None

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        if v not in PREVIEW_LOG_RETENTION_DAYS:
            raise ValueError(
                f"{v} is not allowed: previews keep logs briefly, use "
                f"{describe_values(PREVIEW_LOG_RETENTION_DAYS)} days"
            )
        return v

    @field_validator("sha")
    @classmethod
    def _sha(cls, v: str) -> str:
        if not _SHA.fullmatch(v):
            raise ValueError("must be a git commit sha: 7 to 40 lowercase hex characters")
        return v

    @field_validator("expires_at")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        if v.tzinfo is None or v.utcoffset() != UTC.utcoffset(None):
            raise ValueError("must be ISO-8601 in UTC, e.g. 2030-01-31T12:00:00Z")
        return v

    @field_validator("staging_stack")
    @classmethod
    def _staging(cls, v: str) -> str:
        return staging_ref(v)

    @property
    def stack(self) -> str:
        return naming.stack_name(self.pr)

    @property
    def expires_at_iso(self) -> str:
        return self.expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
