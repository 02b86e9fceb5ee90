from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from preview.ports import Deps
from preview.settings import Settings
from tests.cli.fakes import Clock, FakeAutomation, FakeIndices, FakeReporter, FakeSmoke

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every boto3 client made inside the test talks to moto (Step Functions runs its ASL)."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        repository="acme/shop",
        config_template=REPO_ROOT / "preview.yaml",
        cap=5,
        ttl_hours=48,
        lock_wait_s=600,
        lock_stale_s=4 * 3600,
        retries=4,
        backoff_s=2,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_deps(settings: Settings, clock: Clock) -> Callable[..., Deps]:
    def make(**overrides: Any) -> Deps:
        automation = overrides.pop("automation", None) or FakeAutomation(clock)
        s = overrides.pop("settings", settings)
        deps = Deps(
            settings=s,
            automation=automation,
            reporter=overrides.pop("reporter", FakeReporter()),
            smoke=overrides.pop("smoke", FakeSmoke()),
            indices=overrides.pop("indices", FakeIndices()),
            now=clock.now,
            sleep=clock.sleep,
            out=overrides.pop("out", lambda line: None),
            # pid 999999 plays the dead holder in the fault matrix; every other pid is alive.
            pid_alive=overrides.pop("pid_alive", lambda pid: pid != 999_999),
            host="runner-here",
            **overrides,
        )
        return deps

    return make
