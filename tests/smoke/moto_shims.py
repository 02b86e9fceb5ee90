"""Test-only patches that make moto's Step Functions interpreter run our state machine as AWS does.

* ECS `.sync` casing (moto 5.2.x, moto#10076): moto's ASL interpreter calls boto3's `run_task`
  with the PascalCase Step Functions parameters (`Cluster`, ...) because its parameter/response
  normalisation hooks are empty, so every `ecs:runTask.sync` fails with cause `'Cluster'`.
  `ecs_sync_casing` routes parameters through botocore's input shape and responses back through
  the output shape, which is what AWS does.
* Container exit codes: moto's ECS tasks never run anything and always exit 0.
  `container_exit_codes` sets the exit code of each task from its overridden command, the way a
  real container would report it.
* Lambda runtime: moto's docker-less Lambda backend echoes the payload back. `lambda_runtime`
  runs a Python handler in-process instead and, like the AWS Python runtime, turns an uncaught
  exception into a function error whose `errorType` is the exception class name. Results queued
  through moto's lambda-simple response API still take precedence (plain stubbing).
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from botocore.model import OperationModel
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.ecs import models as ecs_models
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs import (  # noqa: E501
    StateTaskServiceEcs,
)

_SESSION = botocore.session.get_session()


def _operation(service: str, action: str) -> OperationModel:
    model = _SESSION.get_service_model(service)
    for name in model.operation_names:
        if xform_name(name) == action:
            return model.operation_model(name)
    raise KeyError(f"{service} has no operation {action}")


def _task_operation(
    state: Any, boto_service_name: str | None, service_action_name: str | None
) -> OperationModel:
    """The botocore operation an ECS task state calls (its service and action, resolved as
    moto's interpreter resolves them)."""
    service = state._get_boto_service_name(boto_service_name=boto_service_name)
    action = state._get_boto_service_action(service_action_name=service_action_name)
    return _operation(service, action)


def _normalise_parameters(
    self: Any,
    parameters: dict[str, Any],
    boto_service_name: str | None = None,
    service_action_name: str | None = None,
) -> None:
    shape = _task_operation(self, boto_service_name, service_action_name).input_shape
    if shape is not None:
        self._to_boto_request(parameters, shape)


def _normalise_response(
    self: Any,
    response: Any,
    boto_service_name: str | None = None,
    service_action_name: str | None = None,
) -> None:
    shape = _task_operation(self, boto_service_name, service_action_name).output_shape
    if shape is not None:
        self._from_boto_response(response, shape)


@contextmanager
def immediate_ecs_tasks() -> Iterator[None]:
    """Tasks stop on the first DescribeTasks instead of walking four states, 0.5 s per poll."""
    from moto.moto_api import state_manager

    state_manager.set_transition("ecs::task", {"progression": "immediate"})
    try:
        yield
    finally:
        state_manager.unset_transition("ecs::task")


@contextmanager
def ecs_sync_casing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StateTaskServiceEcs, "_normalise_parameters", _normalise_parameters)
        patch.setattr(StateTaskServiceEcs, "_normalise_response", _normalise_response)
        yield


@contextmanager
def container_exit_codes(
    exit_code: Callable[[list[str], dict[str, str], str], int],
) -> Iterator[None]:
    """Give each new moto ECS task the exit code `exit_code(command, environment, task_arn)`.

    Command and environment are those of the task's first container override, as a container
    would see them.
    """
    original = ecs_models.Task.__init__

    def init(task: Any, *args: Any, **kwargs: Any) -> None:
        original(task, *args, **kwargs)
        override = (task.overrides.get("containerOverrides") or [{}])[0]
        command = override.get("command") or task.containers[0].command or []
        env = {item["name"]: item["value"] for item in override.get("environment") or []}
        task.containers[0].exitCode = exit_code(list(command), env, task.task_arn)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ecs_models.Task, "__init__", init)
        yield


@contextmanager
def lambda_runtime(handler: Callable[[dict[str, Any], Any], Any]) -> Iterator[list[dict[str, Any]]]:
    """Run `handler` for every invoke of moto's docker-less Lambda; yields the events it got."""
    original = LambdaSimpleBackend.invoke
    events: list[dict[str, Any]] = []

    def invoke(
        backend: LambdaSimpleBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> str | bytes | None:
        if backend.lambda_simple_results_queue:
            return original(backend, function_name, qualifier, body, headers, response_headers)
        event = json.loads(body or "{}")
        events.append(event)
        try:
            return json.dumps(handler(event, None)).encode()
        except Exception as exc:
            response_headers["x-amz-function-error"] = "Unhandled"
            error = {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            return json.dumps(error).encode()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LambdaSimpleBackend, "invoke", invoke)
        yield events
