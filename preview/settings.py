"""Settings of `preview up/down/reap/ls`, read once from the environment (prefix `PREVIEW_`).

Only pydantic is imported here so that commands can load settings without pulling in AWS or
Pulumi. `GITHUB_TOKEN` and `PULUMI_BACKEND_URL` are also read under their usual unprefixed names
because that is how GitHub Actions and Pulumi hand them over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.constants import PROJECT
from contracts.errors import UsageError

EvictionPolicy = Literal["queue", "evict-oldest-idle"]


class Settings(BaseSettings):
    """Everything the lifecycle commands need to know about their surroundings."""

    model_config = SettingsConfigDict(env_prefix="PREVIEW_", extra="ignore", frozen=True)

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
    project: str = Field(default=PROJECT, description="Pulumi project name")
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
        default="", description="Image of app services that name no image (CI sets it)"
    )
    run_url: str = Field(default="", description="Link to the CI run's logs, shown in the comment")
    run_id: int | None = Field(
        default=None,
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
    opensearch_url: str = Field(
        default="",
        description="Endpoint of the shared OpenSearch domain; empty: index deletion is skipped",
    )
    lock_wait_s: float = Field(
        default=900.0,
        ge=0,
        description="How long up/down wait for another update's stack lock before giving up",
    )
    lock_stale_s: float = Field(
        default=4 * 3600.0,
        gt=0,
        description=(
            "Age after which a stack lock is stale (its holder is gone); must exceed the CI "
            "job timeout"
        ),
    )
    smoke_timeout_s: float = Field(
        default=1200.0, gt=0, description="How long up waits for the smoke state machine"
    )
    retries: int = Field(default=5, ge=0, le=20, description="Retries of transient failures")
    backoff_s: float = Field(
        default=2.0, ge=0, description="First backoff delay; doubles on every retry"
    )
    step_summary: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("PREVIEW_STEP_SUMMARY", "GITHUB_STEP_SUMMARY"),
        description="File the report Markdown is appended to (GitHub Actions job summary)",
    )

    @field_validator("staging_stack")
    @classmethod
    def _qualified(cls, v: str) -> str:
        if not v:
            return v
        parts = v.split("/")
        if len(parts) != 3 or not all(parts) or parts[2] != "staging":
            raise ValueError("must be a fully qualified reference 'org/project/staging'")
        return v


def load_settings() -> Settings:
    """Read the settings, turning a bad value into a UsageError that names the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        desc = Settings.model_fields[field].description if field in Settings.model_fields else ""
        raise UsageError(
            f"setting PREVIEW_{field.upper()} is invalid: {err['msg']}",
            hint=f"set PREVIEW_{field.upper()} to a valid value ({desc})",
        ) from None
