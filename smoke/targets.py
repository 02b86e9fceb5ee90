"""What a smoke gate (or a pool slot's seeder) runs against: `SmokeTargets`, checked before
any definition is built, and the health-check retry schedule computed from it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from contracts.constants import SEED_TIMEOUT_S
from contracts.errors import UsageError


@dataclass(frozen=True)
class SmokeTargets:
    """What the smoke gate of one preview runs against.

    Fields typed `Any` take plain values or `pulumi.Output`s; they are copied into the definition
    as they are. The int/float settings must be plain Python numbers: the retry schedule is
    computed from them.
    """

    cluster_arn: Any
    tools_task_definition_arn: Any
    tools_container_name: Any
    subnets: Any
    security_groups: Any
    execution_role_arn: Any
    # The gate's health Lambda, the app's URLs and its sha. All None: a seeder (`seed_only`),
    # which only seeds or cleans its indices (the warm pool's slots, components/pool.py).
    health_function_arn: Any = None
    base_url: Any = None
    health_url: Any = None
    expected_sha: Any = None
    task_role_arn: Any = None
    assign_public_ip: bool = False
    # Path of the app's search spec inside the tools image, passed to `preview sync --spec`.
    sync_spec: Any = "/app/search-spec.yaml"
    # Put before `sync ...`/`smoke ...` in the container command. The tools image
    # (Dockerfile.tools) has ENTRYPOINT ["preview"], so the override is the subcommand alone; an
    # image without that entrypoint needs ("preview",).
    command_prefix: Sequence[str] = ()
    # The app's health path, passed to the suite as --health-path (its default is /health).
    health_path: str | None = None
    # Extra container environment for the sync task, e.g. PREVIEW_SYNC_INDEX_PREFIX.
    sync_environment: Mapping[str, Any] = field(default_factory=dict)
    # Extra container environment for the smoke task, e.g. PREVIEW_SMOKE_SEARCH_QUERY.
    smoke_environment: Mapping[str, Any] = field(default_factory=dict)
    # Extra arguments appended to `preview smoke --base-url URL --expected-sha SHA`.
    smoke_args: Sequence[Any] = ()
    health_deadline_seconds: int = 600
    health_interval_seconds: int = 5
    health_backoff_rate: float = 1.5
    health_max_delay_seconds: int = 30
    health_request_timeout_seconds: int = 5
    seed_timeout_seconds: int = SEED_TIMEOUT_S
    smoke_timeout_seconds: int = 900
    cleanup_timeout_seconds: int = 600
    partition: str = "aws"

    def __post_init__(self) -> None:
        gate = (self.health_function_arn, self.base_url, self.health_url, self.expected_sha)
        if any(v is None for v in gate) and any(v is not None for v in gate):
            raise UsageError(
                "SmokeTargets: health_function_arn, base_url, health_url and expected_sha go "
                "together",
                hint="set all four for a smoke gate, or none for a seeder",
            )
        _require_int(self, "health_deadline_seconds", minimum=1)
        _require_int(self, "health_interval_seconds", minimum=1)
        _require_int(self, "health_max_delay_seconds", minimum=self.health_interval_seconds)
        _require_int(self, "health_request_timeout_seconds", minimum=1, maximum=60)
        _require_int(self, "seed_timeout_seconds", minimum=60)
        _require_int(self, "smoke_timeout_seconds", minimum=60)
        _require_int(self, "cleanup_timeout_seconds", minimum=60)
        rate = self.health_backoff_rate
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 1.0 <= rate <= 10.0:
            raise UsageError(
                f"SmokeTargets.health_backoff_rate must be a number from 1.0 to 10.0, got {rate!r}",
                hint="Step Functions rejects BackoffRate outside [1.0, 10.0]; use e.g. 1.5",
            )


def seed_only(t: SmokeTargets) -> bool:
    """A seeder: seeds (or cleans) the indices, no health check and no smoke suite."""
    return t.health_function_arn is None


def _require_int(t: SmokeTargets, name: str, *, minimum: int, maximum: int | None = None) -> None:
    value = getattr(t, name)
    top = "" if maximum is None else f" and at most {maximum}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(
            f"SmokeTargets.{name} must be a plain int, got {type(value).__name__}",
            hint="retry counts are computed in Python, so pass a number, not a pulumi Output",
        )
    if value < minimum or (maximum is not None and value > maximum):
        raise UsageError(
            f"SmokeTargets.{name} must be at least {minimum}{top}, got {value}",
            hint=f"set {name} to a value in range",
        )


def health_retry_delays(t: SmokeTargets) -> list[int]:
    """Seconds Step Functions waits before each retry of WaitHealthy.

    Mirrors the Retry fields: IntervalSeconds grown by BackoffRate, capped at MaxDelaySeconds.
    There are as many retries as it takes for the waits to add up to the deadline.
    """
    delays: list[int] = []
    delay = float(t.health_interval_seconds)
    while sum(delays) < t.health_deadline_seconds:
        delays.append(min(int(delay), t.health_max_delay_seconds))
        delay *= t.health_backoff_rate
    return delays
