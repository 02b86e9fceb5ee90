"""Settings of `preview up/down/reap/ls`, read once from the environment (prefix `PREVIEW_`).

Only pydantic is imported here so that commands can load settings without pulling in AWS or
Pulumi. `GITHUB_TOKEN` and `PULUMI_BACKEND_URL` are also read under their usual unprefixed names
because that is how GitHub Actions and Pulumi hand them over.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.constants import PROJECT
from contracts.errors import UsageError

EvictionPolicy = Literal["queue", "evict-oldest-idle"]
BACKEND_SCHEMES = ("s3", "file", "https", "http", "gs", "azblob")


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):  # a name too long for the file system, say
        return False


def _short(path: Path) -> str:
    text = str(path)
    return repr(text if len(text) <= 80 else text[:77] + "...")


class Settings(BaseSettings):
    """Everything the lifecycle commands need to know about their surroundings."""

    # allow_inf_nan=False: "inf" or "nan" as a timeout or TTL would overflow datetime arithmetic
    # far from here, so it is refused by name when read.
    model_config = SettingsConfigDict(
        env_prefix="PREVIEW_", extra="ignore", frozen=True, allow_inf_nan=False
    )

    repository: str = Field(
        default="",
        pattern=r"^$|^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$",
        description="GitHub repository 'owner/name' whose PRs get previews",
    )
    aws_region: str = Field(
        default="us-east-1",
        pattern=r"^[a-z]{2}(-[a-z]+)+-\d$",
        description="AWS region of the platform (Step Functions, tagging API)",
    )
    pulumi_backend_url: str = Field(
        default="",
        validation_alias=AliasChoices("PREVIEW_PULUMI_BACKEND_URL", "PULUMI_BACKEND_URL"),
        description="Pulumi state backend (s3://bucket, file:///path or https://api.pulumi.com)",
    )
    project: str = Field(
        default=PROJECT,
        pattern=r"^[A-Za-z0-9_.-]{1,100}$",
        description="Pulumi project name",
    )
    secrets_provider: str = Field(
        default="",
        pattern=r"^$|^passphrase$|^(awskms|azurekeyvault|gcpkms|hashivault)://\S+$",
        description=(
            "Secrets provider of new pr-<N> stacks, e.g. awskms://alias/pulumi?region=eu-west-1 "
            "(the bootstrap's secretsKmsKeyArn); empty: passphrase (PULUMI_CONFIG_PASSPHRASE)"
        ),
    )
    oidc_client_secret: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "Client secret of urlProtection oidc; `up` stores it encrypted as the stack's "
            "oidcClientSecret (CI passes it from a repository secret; never printed)"
        ),
    )
    work_dir: Path = Field(
        default=Path("."), description="Directory holding Pulumi.yaml and __main__.py"
    )
    zone: str = Field(
        default="",
        max_length=253,
        pattern=r"^$|^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        description=(
            "DNS zone of previews (pr-<N>.<zone>); used for the URL when a stack has no url "
            "output yet"
        ),
    )
    ttl_hours: float = Field(
        default=72.0,
        gt=0,
        le=24 * 90,
        description="Hours a preview lives after its last push before the reaper removes it",
    )
    cap: int = Field(default=20, ge=1, le=1000, description="Maximum number of live previews")
    eviction_policy: EvictionPolicy = Field(
        default="queue",
        description="At the cap: 'queue' the new PR, or 'evict-oldest-idle' preview to make room",
    )
    idle_hours: float = Field(
        default=24.0,
        gt=0,
        le=24 * 365,
        description="A preview with no push for this long counts as idle (eviction candidate)",
    )
    staging_stack: str = Field(
        default="",
        description=(
            "Fully qualified reference of the staging stack ('org/project/staging'); "
            "empty: the template's stagingStack"
        ),
    )
    config_template: Path = Field(
        default=Path("preview.yaml"),
        description="Config template every pr-<N> stack starts from (Pulumi stack-file format)",
    )
    app_image: str = Field(
        default="",
        pattern=r"^[^\s]{0,512}$",
        description="Image of app services that name no image (CI sets it)",
    )
    run_url: str = Field(default="", description="Link to the CI run's logs, shown in the comment")
    run_id: int | None = Field(
        default=None,
        ge=1,
        validation_alias=AliasChoices("PREVIEW_RUN_ID", "GITHUB_RUN_ID"),
        description="Workflow run that called `up`; a queued PR records it so a freed slot "
        "re-runs it",
    )
    workflow: str = Field(
        default="preview.yml",
        pattern=r"^[A-Za-z0-9._-]+\.ya?ml$",
        description="File name of the preview workflow: a queued PR without a recorded run gets "
        "the latest run of this workflow for its head commit re-run",
    )
    github_token: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices("PREVIEW_GITHUB_TOKEN", "GITHUB_TOKEN"),
        description="Token for PR comments and deployments (never printed)",
    )
    github_api_url: str = Field(
        default="https://api.github.com",
        validation_alias=AliasChoices("PREVIEW_GITHUB_API_URL", "GITHUB_API_URL"),
        description="GitHub REST base URL (GitHub Enterprise or a test double)",
    )
    lock_wait_s: float = Field(
        default=900.0,
        ge=0,
        le=24 * 3600,
        description="How long up/down wait for another update's stack lock before giving up",
    )
    lock_stale_s: float = Field(
        default=4 * 3600.0,
        gt=0,
        le=30 * 24 * 3600,
        description=(
            "Age after which a stack lock is stale (its holder is gone); must exceed the CI "
            "job timeout"
        ),
    )
    smoke_timeout_s: float = Field(
        default=1200.0,
        gt=0,
        le=24 * 3600,
        description="How long up waits for the smoke state machine",
    )
    retries: int = Field(default=5, ge=0, le=20, description="Retries of transient failures")
    backoff_s: float = Field(
        default=2.0, ge=0, le=600, description="First backoff delay; doubles on every retry"
    )
    pool_template: Path = Field(
        default=Path("Pulumi.pool.yaml"),
        description="Config of the warm-pool stack (size, lifetime, claims table); absent: no pool",
    )
    pool_stack: str = Field(default="pool", description="Name of the warm-pool stack")
    pool_table: str = Field(
        default="",
        description=(
            "DynamoDB claims table of the warm pool (claimsTable of the pool stack); set, `up` "
            "claims slots and `ls` lists them; `preview pool` defaults to the template's"
        ),
    )
    pool_lease_minutes: int = Field(
        default=60,
        ge=5,
        le=1440,
        description="Lease of a fresh claim; longer than an `up` job runs (renewed after deploy)",
    )
    step_summary: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("PREVIEW_STEP_SUMMARY", "GITHUB_STEP_SUMMARY"),
        description="File the report Markdown is appended to (GitHub Actions job summary)",
    )

    @field_validator("github_api_url", "run_url")
    @classmethod
    def _http_url(cls, v: str, info: ValidationInfo) -> str:
        if v == "" and info.field_name != "github_api_url":
            return v
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in v:
            raise ValueError(f"must be an http(s) URL like https://host, got {v!r}")
        return v

    @field_validator("pulumi_backend_url")
    @classmethod
    def _backend(cls, v: str) -> str:
        if v and urlsplit(v).scheme not in BACKEND_SCHEMES:
            raise ValueError(
                f"{v!r} is not a Pulumi backend URL (s3://bucket, file:///path, "
                "https://api.pulumi.com, gs://, azblob://)"
            )
        return v

    @field_validator("work_dir")
    @classmethod
    def _existing_dir(cls, v: Path) -> Path:
        if not _is_dir(v):
            raise ValueError(f"directory {_short(v)} does not exist")
        return v

    @field_validator("step_summary")
    @classmethod
    def _writable_file(cls, v: Path | None) -> Path | None:
        if v is None:
            return v
        if _is_dir(v):
            raise ValueError(f"{_short(v)} is a directory, not a file")
        if not _is_dir(v.parent) or len(v.name.encode()) > 255:
            raise ValueError(f"{_short(v)} cannot be created: its directory does not exist")
        return v

    @field_validator("staging_stack")
    @classmethod
    def _qualified(cls, v: str) -> str:
        if not v:
            return v
        parts = v.split("/")
        if len(parts) != 3 or not all(parts) or parts[2] != "staging":
            raise ValueError("must be a fully qualified reference 'org/project/staging'")
        return v


def env_names(field: str) -> list[str]:
    """The environment variables a field is read from, in precedence order."""
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [f"PREVIEW_{field.upper()}"]


def _field_of(loc: tuple[int | str, ...]) -> str | None:
    """The Settings field of a pydantic error location (a field name or one of its aliases)."""
    if not loc:
        return None
    head = str(loc[0])
    if head in Settings.model_fields:
        return head
    for name in Settings.model_fields:
        if head in env_names(name) or head.lower() in (n.lower() for n in env_names(name)):
            return name
    return None


def require_backend(settings: Settings) -> None:
    """Refuse before any Pulumi call when no state backend is configured."""
    if not settings.pulumi_backend_url:
        raise UsageError(
            "no Pulumi state backend configured: PULUMI_BACKEND_URL "
            "(or PREVIEW_PULUMI_BACKEND_URL) is not set",
            hint="set PULUMI_BACKEND_URL (or PREVIEW_PULUMI_BACKEND_URL) to the state backend, "
            "e.g. s3://my-pulumi-state or https://api.pulumi.com",
        )


def load_settings() -> Settings:
    """Read the settings, turning a bad value into a UsageError that names the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        field = _field_of(tuple(err["loc"]))
        if field is None:
            raise UsageError(
                f"a PREVIEW_ setting is invalid: {err['msg']}", hint="check the PREVIEW_* variables"
            ) from None
        names = env_names(field)
        var = next((n for n in names if n in os.environ), names[0])
        desc = Settings.model_fields[field].description or ""
        msg = " ".join(str(err["msg"]).removeprefix("Value error, ").split())
        raise UsageError(
            f"setting {var} is invalid: {msg}",
            hint=f"set {var} to a valid value ({desc})",
        ) from None
