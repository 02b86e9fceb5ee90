"""What to run: the app and its services (the `app` key of every stack but bootstrap)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from components.config.base import ConfigModel, describe_values

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
_SECRET_ARN = re.compile(r"arn:aws[a-z-]*:(ssm|secretsmanager):[a-z0-9-]+:\d{12}:.+")
_SERVICE_NAME = re.compile(r"[a-z][a-z0-9-]{0,18}[a-z0-9]")
_HTTP_PATH = re.compile(r"/[A-Za-z0-9_\-.$/~\"'@:+&=?%]{0,1023}")


class ServiceSpec(ConfigModel):
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
                f"Fargate allows {describe_values(allowed)} MiB for cpu {self.cpu}"
            )
        if self.public and self.port is None:
            raise ValueError(f"public service {self.name!r} needs a port")
        return self


class AppSpec(ConfigModel):
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
