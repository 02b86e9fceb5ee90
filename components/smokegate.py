"""SmokeGate: the Step Functions state machine that decides whether a preview is ready.

A seeder (args.app None, the warm pool's per slot) is the same without the Lambda and the
smoke step: it seeds or cleans its indices only.

Creates: the health-check aws.lambda_.Function (smoke/health.py, in the private subnets so its
requests leave through the NAT IPs that URL protection lets in) with its role and log group, a
tools aws.ecs.TaskDefinition (runs `preview sync` and `preview smoke`) with its execution role,
and the aws.sfn.StateMachine whose definition and role policy come from smoke/definition.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components import fargate, iam, naming
from components.logs import log_group
from contracts.constants import PROJECT, TOOLS_CONTAINER, TOOLS_LOG_PREFIX
from smoke.definition import SmokeTargets, build_definition, build_role_policy

# The Lambda's source is package data of `smoke`, found wherever that package is installed.
HEALTH_SOURCE = Path(str(resources.files("smoke").joinpath("health.py")))


@dataclass(frozen=True)
class SmokeGateArgs:
    stack: str
    cluster_arn: pulumi.Input[str]
    tools_image: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_ids: Sequence[pulumi.Input[str]]
    task_role_arn: pulumi.Input[str]
    region: str
    tags: dict[str, str]
    log_retention_days: int
    sync_environment: dict[str, pulumi.Input[str]]
    # The app this gate checks. None: a seeder (the warm pool's), no health Lambda or smoke.
    app: GateApp | None = None
    db_secret_arn: pulumi.Input[str] | None = None
    # Previews may only create roles under the bootstrap stack's permissions boundary.
    permissions_boundary: pulumi.Input[str] | None = None
    # Tells apart several gates of one stack in their physical names (the pool's slot ids).
    label: str = ""


@dataclass(frozen=True)
class GateApp:
    """The preview app a smoke gate waits for and tests."""

    base_url: pulumi.Input[str]
    health_path: str
    expected_sha: str

    def __post_init__(self) -> None:
        if not self.health_path.startswith("/"):
            raise ValueError("GateApp.health_path must start with '/'")


class SmokeGate(pulumi.ComponentResource):
    state_machine_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: SmokeGateArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:smokegate:SmokeGate", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        self._prefix = "-".join(filter(None, (naming.resource_prefix(args.stack), args.label)))
        self._kind = "smoke" if args.app is not None else "seed"
        logs = log_group(
            f"{name}-logs",
            "/".join(filter(None, (f"/{PROJECT}", args.stack, args.label, self._kind))),
            args.log_retention_days,
            args.tags,
            self._child,
        )
        health = self._create_health_check() if args.app is not None else None
        execution = self._role(
            "tools-execution",
            iam.ECS_TASKS,
            managed={f"{name}-tools-execution-managed": iam.ECS_EXECUTION_POLICY},
        )
        tools = self._create_tools_task(execution, logs)
        gate: dict[str, Any] = {}
        if args.app is not None and health is not None:
            app = args.app
            gate = {
                "health_function_arn": health.arn,
                "base_url": app.base_url,
                "health_url": pulumi.Output.concat(app.base_url, app.health_path),
                "expected_sha": app.expected_sha,
                "health_path": app.health_path,
            }
        targets = SmokeTargets(
            cluster_arn=args.cluster_arn,
            tools_task_definition_arn=tools.arn,
            tools_container_name=TOOLS_CONTAINER,
            subnets=args.subnet_ids,
            security_groups=args.security_group_ids,
            execution_role_arn=execution.arn,
            task_role_arn=args.task_role_arn,
            **gate,
        )
        machine = self._create_state_machine(targets)
        self.state_machine_arn = machine.arn
        self.log_group_name = logs.name
        self.register_outputs({"state_machine_arn": machine.arn, "log_group_name": logs.name})

    def _role(self, role: str, service: str, managed: dict[str, str] | None = None) -> aws.iam.Role:
        return iam.service_role(
            f"{self._name}-{role}",
            service,
            boundary=self._args.permissions_boundary,
            tags=self._args.tags,
            opts=self._child,
            managed=managed,
        )

    def _create_health_check(self) -> aws.lambda_.Function:
        """The health Lambda, in the private subnets (it leaves through the NAT IPs)."""
        name, args = self._name, self._args
        lambda_role = self._role("health-role", iam.LAMBDA)
        # Kept apart from service_role(managed=...): the function must depend on it.
        eni_access = aws.iam.RolePolicyAttachment(
            f"{name}-health-vpc",
            role=lambda_role.name,
            policy_arn=iam.LAMBDA_VPC_POLICY,
            opts=self._child,
        )
        function_name = naming.dns_label(self._prefix, "health")
        log_group(
            f"{name}-health-logs",
            f"/aws/lambda/{function_name}",
            args.log_retention_days,
            args.tags,
            self._child,
        )
        return aws.lambda_.Function(
            f"{name}-health",
            name=function_name,
            runtime="python3.12",
            handler="health.handler",
            code=pulumi.AssetArchive({"health.py": pulumi.FileAsset(str(HEALTH_SOURCE))}),
            role=lambda_role.arn,
            timeout=30,
            memory_size=128,
            vpc_config={
                "subnet_ids": args.subnet_ids,
                "security_group_ids": args.security_group_ids,
            },
            tags=args.tags,
            # Lambda refuses a VPC function whose role cannot manage ENIs yet: attach first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[eni_access]),
        )

    def _create_tools_task(
        self, execution: aws.iam.Role, logs: aws.cloudwatch.LogGroup
    ) -> aws.ecs.TaskDefinition:
        """The tools task (`preview sync`, `preview smoke`), with the database credentials."""
        name, args = self._name, self._args
        secrets: list[dict[str, Any]] = []
        if args.db_secret_arn is not None:
            iam.allow_policy(
                f"{name}-tools-execution-secret",
                execution,
                "secretsmanager:GetSecretValue",
                args.db_secret_arn,
                self._child,
            )
            # The clone keeps staging's master credentials.
            secrets = iam.db_secret_env(args.db_secret_arn, "PREVIEW_SYNC_DB_")
        tools = fargate.container(
            TOOLS_CONTAINER,
            args.tools_image,
            args.sync_environment,
            secrets,
            log_group=logs.name,
            region=args.region,
            stream_prefix=TOOLS_LOG_PREFIX,
        )
        return fargate.task_definition(
            f"{name}-tools",
            family=naming.dns_label(self._prefix, "tools"),
            cpu=512,
            memory=1024,
            execution_role_arn=execution.arn,
            task_role_arn=args.task_role_arn,
            containers=[tools],
            tags=args.tags,
            opts=self._child,
        )

    def _create_state_machine(self, targets: SmokeTargets) -> aws.sfn.StateMachine:
        name = self._name
        sfn_role = self._role("sfn-role", iam.STEP_FUNCTIONS)
        policy = aws.iam.RolePolicy(
            f"{name}-sfn-policy",
            role=sfn_role.id,
            policy=pulumi.Output.json_dumps(build_role_policy(targets)),
            opts=self._child,
        )
        return aws.sfn.StateMachine(
            f"{name}-machine",
            name=naming.dns_label(self._prefix, self._kind),
            role_arn=sfn_role.arn,
            definition=pulumi.Output.json_dumps(build_definition(targets)),
            tags=self._args.tags,
            # The role must carry its policy before the first execution starts.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
