"""Records every AWS API call the code makes, per principal, from botocore's own events.

Every botocore client created while a `Recorder` is installed gets a `provide-client-params`
handler: botocore emits it for each API call with the operation model and the caller's
parameters, before anything is sent (so a resource about to be deleted can still be looked up).
Calls are attributed to the principal the test says is running (`recorder.acting(...)`); calls
made by moto's Step Functions interpreter are what the state machine's role would call.
Calls with no principal (test setup against moto) are not recorded.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.session

STATE_MACHINE = "smoke-state-machine"
_MOTO_SFN = "moto.stepfunctions.parser"


@dataclass(frozen=True)
class ApiCall:
    principal: str
    service: str  # botocore's service name (e.g. "stepfunctions")
    operation: str  # the API operation (e.g. "StartExecution")
    params: dict[str, Any]
    # Tags of the resources the call names (ARN -> tags), read before the call ran.
    tags: dict[str, dict[str, str]] = field(default_factory=dict)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        # Called with each call as it is made (before AWS/moto sees it), e.g. to read the tags
        # of the resources it names; calls it makes are not recorded.
        self.on_call: Callable[[ApiCall], None] | None = None
        self._principal: str | None = None
        self._machine = STATE_MACHINE
        self._lock = threading.Lock()
        self._quiet = threading.local()

    @contextmanager
    def acting(self, principal: str, machine: str = STATE_MACHINE) -> Iterator[None]:
        """Calls made inside are made by `principal` (in any thread: the code under test may
        use a thread pool); moto's Step Functions interpreter is the role `machine` names."""
        previous = self._principal, self._machine
        self._principal, self._machine = principal, machine
        try:
            yield
        finally:
            self._principal, self._machine = previous

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Calls made by the recorder itself (tag look-ups) are not recorded."""
        self._quiet.on = True
        try:
            yield
        finally:
            self._quiet.on = False

    def _who(self) -> str | None:
        if getattr(self._quiet, "on", False):
            return None
        frame = sys._getframe(2)
        while frame is not None:
            if frame.f_globals.get("__name__", "").startswith(_MOTO_SFN):
                return self._machine if self._principal else None
            frame = frame.f_back  # type: ignore[assignment]
        return self._principal

    def _on_call(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        who = self._who()
        if who is None:
            return
        call = ApiCall(who, model.service_model.service_name, model.name, dict(params))
        with self._lock:
            self.calls.append(call)
        if self.on_call is not None:
            with self.quiet():
                self.on_call(call)

    @contextmanager
    def installed(self) -> Iterator[Recorder]:
        """Hook every botocore client created inside (boto3.client, Session().client, moto's)."""
        original = botocore.session.Session.create_client
        recorder = self

        def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
            client = original(session, *args, **kwargs)
            client.meta.events.register("provide-client-params.*.*", recorder._on_call)
            return client

        botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
        try:
            yield self
        finally:
            botocore.session.Session.create_client = original  # type: ignore[method-assign]
