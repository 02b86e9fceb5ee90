"""The one adapter over Pulumi's Automation API, behind the small `Automation` protocol.

The lifecycle pipeline only talks to the protocol, so an in-memory fake can drive it in tests;
`PulumiAutomation` is the real implementation (it needs the `pulumi` CLI at run time).

* `model`: the protocol, `Secret`, `LockInfo`, `StackSummary`.
* `errors`: every Automation API failure as a PreviewError (`translate`).
* `workspace`: `PulumiAutomation` (stacks, config, up/refresh/destroy/remove, outputs).
* `diy`: listing and locks on a DIY backend (s3://, file://) from the keys alone. On Pulumi
  Cloud the service itself expires dead updates, so `lock()` returns None there and the
  pipeline can only wait (it never calls `pulumi cancel`, which would kill a live update).

Callers import from here (`from preview.automation import PulumiAutomation`), which is also
where tests replace the real adapter.
"""

from preview.automation.errors import (
    CommandFailed,
    StackLocked,
    StackNotFound,
    TransientError,
    translate,
)
from preview.automation.model import (
    Automation,
    LockInfo,
    Output,
    Program,
    Secret,
    StackSummary,
    this_host,
)
from preview.automation.workspace import PulumiAutomation, StackFactory

__all__ = [
    "Automation",
    "CommandFailed",
    "LockInfo",
    "Output",
    "Program",
    "PulumiAutomation",
    "Secret",
    "StackFactory",
    "StackLocked",
    "StackNotFound",
    "StackSummary",
    "TransientError",
    "this_host",
    "translate",
]
