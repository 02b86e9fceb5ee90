"""The typed configuration model: every stack's config is read once into one of these.

Pure pydantic (no pulumi import). `load(stack, raw)` takes the stack name and the raw
`preview-platform:*` config values (strings as Pulumi stores them; objects JSON-encoded) and
returns a `PreviewConfig`, `LongLivedConfig` or `BootstrapConfig`, or raises `ConfigError`
naming the key and the fix before any resource exists.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from components import naming
from contracts.constants import NAMESPACE
from contracts.errors import ConfigError

# The OIDC client secret of urlProtection mode oidc: a Pulumi secret, kept out of the model.
SECRET_KEY = "oidcClientSecret"

# Fargate task sizes AWS accepts: cpu units -> allowed memory (MiB). Source: ECS API
# RegisterTaskDefinition `memory` ("512 (0.5 GB), 1024 (1 GB), 2048 (2 GB) - Available cpu
# values: 256 (.25 vCPU)", ...; 8 and 16 vCPU need Linux platform 1.4.0, the default).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: (1024, 2048, 3072, 4096),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
# CloudWatch Logs retentionInDays: the only values PutRetentionPolicy/CreateLogGroup accept.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip
# Previews keep logs briefly.
PREVIEW_LOG_RETENTION_DAYS = (1, 3, 5, 7, 14)
_SECRET_ARN = re.compile(r"arn:aws[a-z-]*:(ssm|secretsmanager):[a-z0-9-]+:\d{12}:.+")
_SHA = re.compile(r"[0-9a-f]{7,40}")
_SERVICE_NAME = re.compile(r"[a-z][a-z0-9-]{0,18}[a-z0-9]")
_HTTP_PATH = re.compile(r"/[A-Za-z0-9_\-.$/~\"'@:+&=?%]{0,1023}")
# Docker/ECR image tag: up to 128 of [A-Za-z0-9_.-], not starting with . or -. (pydantic's
# `pattern` searches, so every pattern here is anchored.)
_IMAGE_TAG = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"


def _values(allowed: tuple[int, ...]) -> str:
    """`512, 1024 or 2048`; a long even run as `4096..16384 in steps of 1024`."""
    steps = {b - a for a, b in itertools.pairwise(allowed)}
    if len(allowed) > 4 and len(steps) == 1:
        return f"{allowed[0]}..{allowed[-1]} in steps of {steps.pop()}"
    head = ", ".join(map(str, allowed[:-1]))
    return f"{head} or {allowed[-1]}" if head else str(allowed[-1])


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class ServiceSpec(_Model):
    """One process of the app, like a Heroku process type or a render.yaml service."""

    name: str = Field(description="Service name, lowercase DNS label of 2-20 chars")
    image: str | None = Field(
        default=None,
        description="Image reference; default: the app ECR repository at the stack's image tag",
    )
    port: int | None = Field(default=None, ge=1, le=65535, description="Container port")
    cpu: int = Field(default=256, description="Fargate CPU units")
    memory: int = Field(default=512, description="Fargate memory in MiB")
    command: list[str] | None = Field(default=None, description="Overrides the image CMD")
    environment: dict[str, str] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(
        default_factory=dict, description="env var -> SSM parameter or Secrets Manager ARN"
    )
    health_path: str = Field(
        default="/health",
        description="Readiness: HTTP path the smoke gate waits on (may check the DB and search)",
    )
    liveness_path: str = Field(
        default="/livez",
        description=(
            "Liveness: HTTP path the load balancer checks every 15 s; must not touch the DB, "
            "or a paused Aurora clone is woken by every check"
        ),
    )
    desired_count: int = Field(default=1, ge=0, le=100)
    public: bool = Field(default=False, description="Served by the load balancer")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _SERVICE_NAME.fullmatch(v):
            raise ValueError("must be 2-20 chars of a-z, 0-9 and '-', starting with a letter")
        return v

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, v: dict[str, str]) -> dict[str, str]:
        for env, arn in v.items():
            if not _SECRET_ARN.fullmatch(arn):
                raise ValueError(
                    f"secret {env!r} must be an SSM parameter or Secrets Manager ARN, got {arn!r}"
                )
        return v

    @field_validator("health_path", "liveness_path")
    @classmethod
    def _health(cls, v: str) -> str:
        # ELBv2 CreateTargetGroup HealthCheckPath: 1-1024 chars, starts with "/".
        if not _HTTP_PATH.fullmatch(v):
            raise ValueError(
                "must be a path of 1-1024 chars starting with '/' (letters, digits and "
                "_-.$/~\"'@:+&=?%)"
            )
        return v

    @model_validator(mode="after")
    def _size(self) -> ServiceSpec:
        allowed = FARGATE_SIZES.get(self.cpu)
        if allowed is None:
            raise ValueError(
                f"cpu {self.cpu} is not a Fargate size; use one of {list(FARGATE_SIZES)}"
            )
        if self.memory not in allowed:
            raise ValueError(
                f"memory {self.memory} does not fit cpu {self.cpu}; "
                f"Fargate allows {_values(allowed)} MiB for cpu {self.cpu}"
            )
        if self.public and self.port is None:
            raise ValueError(f"public service {self.name!r} needs a port")
        return self


class AppSpec(_Model):
    """What to run: services (at least one), exactly one of them public."""

    name: str = Field(default="app", description="App name, used in image repository names")
    services: list[ServiceSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_public(self) -> AppSpec:
        names = [s.name for s in self.services]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"service names must be unique, repeated: {dupes}")
        public = [s.name for s in self.services if s.public]
        if len(public) != 1:
            raise ValueError(f"exactly one service must be public, found {public or 'none'}")
        return self

    @property
    def public_service(self) -> ServiceSpec:
        return next(s for s in self.services if s.public)


class OidcSpec(_Model):
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


class UrlProtection(_Model):
    """Who may open a preview URL. Smoke tests always get in (see components/preview.py)."""

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


class SpotSpec(_Model):
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


def _staging_ref(v: str) -> str:
    parts = v.split("/")
    if len(parts) != 3 or not all(parts):
        raise ValueError("must be a fully qualified stack reference 'org/project/staging'")
    if parts[2] != "staging":
        # Clones of prod would copy production data into an ephemeral, looser environment.
        raise ValueError(f"must reference the staging stack, never {parts[2]!r}")
    return v


class WarmSlot(_Model):
    """The pool slot `preview up` claimed for this PR (preview/pool.py Slot.warm_config): the
    preview uses its database instead of cloning one, and does not own it."""

    slot: str = Field(pattern=r"s[0-9]{4,6}")
    # Only a pool slot's own identifier (pp-pool-<slot>), so this can never point at staging or
    # prod's cluster.
    cluster_identifier: str = Field(pattern=r"pp-pool-s[0-9]{4,6}")
    endpoint: str = Field(min_length=1, max_length=255)
    secret_arn: str = Field(pattern=r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+")
    index_prefix: str = Field(pattern=r"pool-s[0-9]{4,6}-")
    security_group_id: str = Field(min_length=1, max_length=255)

    @model_validator(mode="after")
    def _same_slot(self) -> WarmSlot:
        if not self.cluster_identifier.endswith(f"-{self.slot}"):
            raise ValueError(
                f"clusterIdentifier {self.cluster_identifier!r} is not slot {self.slot}"
            )
        return self


class PreviewConfig(_Model):
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
                f"{_values(PREVIEW_LOG_RETENTION_DAYS)} days"
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
        return _staging_ref(v)

    @property
    def stack(self) -> str:
        return naming.stack_name(self.pr)

    @property
    def expires_at_iso(self) -> str:
        return self.expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class DbSpec(_Model):
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


class SearchSpec(_Model):
    # OpenSearch CreateDomain EngineVersion: "OpenSearch_X.Y" or "Elasticsearch_X.Y".
    engine_version: str = Field(
        default="OpenSearch_2.19", pattern=r"^(OpenSearch|Elasticsearch)_[0-9]{1,2}\.[0-9]{1,2}$"
    )
    # OpenSearch instance types end in ".search", e.g. t3.small.search.
    instance_type: str = Field(default="t3.small.search", pattern=r"^[a-z0-9]+\.[a-z0-9]+\.search$")
    instance_count: int = Field(default=1, ge=1, le=20)
    volume_size: int = Field(default=10, ge=10, le=3000)


class AutoscalingSpec(_Model):
    min: int = Field(default=2, ge=1)
    max: int = Field(default=6, ge=1)
    cpu_target: float = Field(default=60, gt=0, lt=100)

    @model_validator(mode="after")
    def _range(self) -> AutoscalingSpec:
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class LongLivedConfig(_Model):
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
            raise ValueError(
                f"{v} is not a CloudWatch Logs retention; use one of {_values(LOG_RETENTION_DAYS)}"
            )
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


class BootstrapConfig(_Model):
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


class PoolConfig(_Model):
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
        return _staging_ref(v)

    @field_validator("slots")
    @classmethod
    def _slots(cls, v: list[str]) -> list[str]:
        bad = [s for s in v if not _SLOT_ID.fullmatch(s)]
        if bad:
            raise ValueError(f"slot ids look like s0001; got {bad}")
        if len(set(v)) != len(v):
            raise ValueError("slot ids must be unique")
        return v


StackConfig = PreviewConfig | LongLivedConfig | BootstrapConfig | PoolConfig
_MODELS: dict[str, type[_Model]] = {
    "preview": PreviewConfig,
    "staging": LongLivedConfig,
    "prod": LongLivedConfig,
    "bootstrap": BootstrapConfig,
    "pool": PoolConfig,
}

_HINTS: dict[str, str] = {
    "pr": "the preview CLI sets it; it must equal N of the stack name pr-<N>",
    "sha": "set sha to the PR head commit (7-40 hex chars)",
    "branch": "set branch to the PR head branch name",
    "expiresAt": "set expiresAt to an ISO-8601 UTC time such as 2030-01-31T12:00:00Z",
    "stagingStack": "set stagingStack to 'org/preview-platform/staging'",
    "app": "describe the app under 'app: {services: [...]}' (see preview.yaml)",
    "loadBalancing": "use 'shared' (default) or 'dedicated'",
    "search": "use 'shared' (default) or 'dedicated' on previews; an object on staging/prod",
    "urlProtection": (
        "use {mode: public} | {mode: ipAllowlist, cidrs: [...]} | {mode: oidc, oidc: {...}}"
    ),
    "spot": "use {enabled: true, onDemandBase: 0}",
    "domainName": "set domainName to the app's public host name",
    "hostedZoneId": "set hostedZoneId to the Route53 zone id holding domainName",
    "previewZone": "staging: set previewZone (e.g. preview.example.com); prod: remove it",
    "githubOrg": "set githubOrg to the GitHub organization or user",
    "githubRepo": "set githubRepo to the repository name",
    "size": "lower size (or previewCap), or raise dbClusterQuota after a Service Quotas increase",
    "slots": "leave slots to `preview pool refill` (ids s0001, s0002, ...)",
    "warmSlot": "leave warmSlot to `preview up` (it copies the claimed slot from the pool table)",
}
# Keys whose values are structured: Pulumi stores them JSON-encoded.
_OBJECT_KEYS = {
    "app",
    "urlProtection",
    "spot",
    "db",
    "search",
    "autoscaling",
    "slots",
    "warmSlot",
}


def _decode(key: str, value: Any) -> Any:
    if isinstance(value, str) and (key in _OBJECT_KEYS or key in {"pr", "azCount", "natPerAz"}):
        stripped = value.strip()
        if stripped[:1] in "{[" or stripped.isdigit() or stripped in ("true", "false"):
            try:
                return json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"{NAMESPACE}:{key}", f"is not valid JSON ({exc.msg})", _hint(key)
                ) from None
    return value


def _hint(key: str) -> str:
    return _HINTS.get(key, f"correct {key} (see Pulumi.staging.yaml and preview.yaml for examples)")


def _strip_namespace(raw: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        ns, sep, short = key.partition(":")
        if sep and ns != NAMESPACE:
            continue  # other namespaces (aws:region, ...) are not ours
        out[short if sep else key] = value
    return out


def load(stack: str, raw: Mapping[str, Any]) -> StackConfig:
    """Validate the raw config of `stack`; raise ConfigError naming the first bad key."""
    try:
        sid = naming.parse_stack(stack)
    except naming.NamingError as exc:
        raise ConfigError("stack", exc.message, exc.hint) from None
    values = {k: _decode(k, v) for k, v in _strip_namespace(raw).items()}
    model = _MODELS[sid.kind]
    if model is LongLivedConfig:
        values.setdefault("kind", sid.kind)
    if values.get("kind") not in (None, sid.kind):
        raise ConfigError(
            f"{NAMESPACE}:kind",
            f"is {values['kind']!r} but stack {stack!r} is a {sid.kind} stack",
            f"remove kind or set it to {sid.kind!r}",
        )
    known = {f.alias or n for n, f in model.model_fields.items()}
    values.pop(SECRET_KEY, None)  # read by __main__ with require_secret, never into the model
    for key in values:
        if key not in known:
            raise ConfigError(
                f"{NAMESPACE}:{key}",
                f"is not a {sid.kind} setting",
                f"remove it; {sid.kind} stacks accept {sorted(known - {'kind'})}",
            )
    try:
        cfg = model.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        top = loc[0] if loc else "?"
        path = ".".join(loc) if loc else "?"
        msg = (
            "is required" if err["type"] == "missing" else err["msg"].removeprefix("Value error, ")
        )
        raise ConfigError(f"{NAMESPACE}:{path}", msg, _hint(top)) from None
    if isinstance(cfg, PreviewConfig) and cfg.pr != sid.pr:
        raise ConfigError(
            f"{NAMESPACE}:pr",
            f"is {cfg.pr} but the stack is {stack!r}",
            f"set pr to {sid.pr} or deploy to stack pr-{cfg.pr}",
        )
    if isinstance(cfg, PoolConfig):
        _check_pool_quota(cfg)
    return cfg  # type: ignore[return-value]


def _check_pool_quota(cfg: PoolConfig) -> None:
    need = cfg.size + 1 + cfg.preview_cap + cfg.long_lived_clusters
    if need > cfg.db_cluster_quota:
        raise ConfigError(
            f"{NAMESPACE}:size",
            f"size {cfg.size} + 1 (refresh) + previewCap {cfg.preview_cap} + longLivedClusters "
            f"{cfg.long_lived_clusters} = {need} DB clusters exceeds dbClusterQuota "
            f"{cfg.db_cluster_quota}",
            _hint("size"),
        )
