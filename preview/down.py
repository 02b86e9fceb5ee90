"""`preview down`: tear the PR's preview down, drop it from the queue, hand its slot on."""

from __future__ import annotations

from dataclasses import replace

from preview.domain import DownResult
from preview.planning import stack_name
from preview.ports import Deps
from preview.queue import dequeue, unqueue
from preview.teardown import teardown


def down(deps: Deps, pr: int) -> DownResult:
    stack = stack_name(pr)
    result = teardown(deps, pr, reason="the pull request was closed", stack=stack)
    unqueue(deps, pr)
    return replace(result, dequeued=tuple(dequeue(deps)))
