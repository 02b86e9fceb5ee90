"""AppServices: the app's processes as ECS Fargate services.

Creates: aws.cloudwatch.LogGroup, an execution role (image pull, logs, the app's secrets) and a
task role (the app's own AWS access), and per service an aws.ecs.TaskDefinition and an
aws.ecs.Service with the deployment circuit breaker and rollback. Spot by default with an
optional on-demand base; target-tracking CPU autoscaling when `autoscaling` is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components import fargate, iam, naming
from components.config import AppSpec, ServiceSpec
from components.logs import log_group
from contracts.constants import PROJECT


@dataclass(frozen=True)
class Autoscaling:
    min: int
    max: int
    cpu_target: float


@dataclass(frozen=True)
class AppServicesArgs:
    stack: str
    app: AppSpec
    image_repository_url: pulumi.Input[str]
    image_tag: str
    cluster_arn: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_ids: Sequence[pulumi.Input[str]]
    target_group_arn: pulumi.Input[str]
    region: str
    tags: dict[str, str]
    log_retention_days: int
    environment: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    task_policy_json: pulumi.Input[str] | None = None
    # RDS-managed master secret: its username/password become DB_USER/DB_PASSWORD.
    db_secret_arn: pulumi.Input[str] | None = None
    # Previews may only create roles under the bootstrap stack's permissions boundary.
    permissions_boundary: pulumi.Input[str] | None = None
    spot: bool = True
    on_demand_base: int = 0
    autoscaling: Autoscaling | None = None

    def __post_init__(self) -> None:
        if not self.subnet_ids or not self.security_group_ids:
            raise ValueError("AppServicesArgs: subnet_ids and security_group_ids are required")
        if self.log_retention_days < 1:
            raise ValueError("AppServicesArgs.log_retention_days: at least 1 day")


class AppServices(pulumi.ComponentResource):
    service_names: dict[str, pulumi.Output[str]]
    log_group_name: pulumi.Output[str]
    task_role_arn: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AppServicesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:service:AppServices", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix = naming.resource_prefix(args.stack)
        self.log_group = log_group(
            f"{name}-logs",
            f"/{PROJECT}/{args.stack}/app",
            args.log_retention_days,
            args.tags,
            child,
        )
        self.execution_role = self._role(
            name, "execution", args, {f"{name}-execution-managed": iam.ECS_EXECUTION_POLICY}
        )
        app_secrets = sorted({a for s in args.app.services for a in s.secrets.values()})
        # Each store's read action on its own ARNs only: ssm:GetParameters cannot apply to a
        # Secrets Manager ARN (nor the other way round), so a mixed grant is half dead.
        grants: list[tuple[str, list[pulumi.Input[str]]]] = [
            ("ssm:GetParameters", [a for a in app_secrets if a.split(":")[2] == "ssm"]),
            (
                "secretsmanager:GetSecretValue",
                [a for a in app_secrets if a.split(":")[2] == "secretsmanager"]
                + ([args.db_secret_arn] if args.db_secret_arn is not None else []),
            ),
        ]
        if any(arns for _, arns in grants):
            iam.allow_statements(
                f"{name}-execution-secrets",
                self.execution_role,
                [(action, arns) for action, arns in grants if arns],
                child,
            )
        self.task_role = self._role(name, "task", args)
        if args.task_policy_json is not None:
            aws.iam.RolePolicy(
                f"{name}-task-access",
                role=self.task_role.id,
                policy=args.task_policy_json,
                opts=child,
            )
        self.service_names = {}
        for spec in args.app.services:
            self.service_names[spec.name] = self._create_service(name, prefix, spec, args)
        self.log_group_name = self.log_group.name
        self.task_role_arn = self.task_role.arn
        self.execution_role_arn = self.execution_role.arn
        self.register_outputs(
            {
                "service_names": self.service_names,
                "log_group_name": self.log_group_name,
                "task_role_arn": self.task_role_arn,
            }
        )

    def _role(
        self,
        name: str,
        role: str,
        args: AppServicesArgs,
        managed: dict[str, str] | None = None,
    ) -> aws.iam.Role:
        return iam.service_role(
            f"{name}-{role}",
            iam.ECS_TASKS,
            boundary=args.permissions_boundary,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
            managed=managed,
        )

    def _container(self, spec: ServiceSpec, args: AppServicesArgs) -> dict[str, Any]:
        image: pulumi.Input[str] = spec.image or pulumi.Output.concat(
            args.image_repository_url, ":", args.image_tag
        )
        secrets: list[dict[str, Any]] = [
            {"name": k, "valueFrom": v} for k, v in sorted(spec.secrets.items())
        ]
        if args.db_secret_arn is not None:
            secrets += iam.db_secret_env(args.db_secret_arn, "DB_", skip=list(spec.secrets))
        container = fargate.container(
            spec.name,
            image,
            {**args.environment, **spec.environment},
            secrets,
            log_group=self.log_group.name,
            region=args.region,
            stream_prefix=spec.name,
        )
        if spec.command:
            container["command"] = spec.command
        if spec.port is not None:
            container["portMappings"] = [{"containerPort": spec.port, "protocol": "tcp"}]
        return container

    def _create_service(
        self, name: str, prefix: str, spec: ServiceSpec, args: AppServicesArgs
    ) -> pulumi.Output[str]:
        child = pulumi.ResourceOptions(parent=self)
        task = fargate.task_definition(
            f"{name}-{spec.name}-task",
            family=naming.dns_label(prefix, spec.name),
            cpu=spec.cpu,
            memory=spec.memory,
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            containers=[self._container(spec, args)],
            tags=args.tags,
            opts=child,
        )
        load_balancers: list[Any] = (
            [
                {
                    "target_group_arn": args.target_group_arn,
                    "container_name": spec.name,
                    "container_port": spec.port,
                }
            ]
            if spec.public
            else []
        )
        service = aws.ecs.Service(
            f"{name}-{spec.name}",
            name=spec.name,
            cluster=args.cluster_arn,
            task_definition=task.arn,
            desired_count=spec.desired_count,
            capacity_provider_strategies=_capacity_strategies(args),
            network_configuration={
                "subnets": args.subnet_ids,
                "security_groups": args.security_group_ids,
                "assign_public_ip": False,
            },
            load_balancers=load_balancers,
            health_check_grace_period_seconds=60 if spec.public else None,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            tags=args.tags,
            opts=child,
        )
        # A service scaled to 0 on purpose (e.g. an unused worker) must not be scaled back up.
        if args.autoscaling is not None and spec.desired_count > 0:
            self._create_autoscaling(name, spec, args, args.autoscaling, service)
        return service.name

    def _create_autoscaling(
        self,
        name: str,
        spec: ServiceSpec,
        args: AppServicesArgs,
        scale: Autoscaling,
        service: aws.ecs.Service,
    ) -> None:
        """Target-tracking on average CPU, never below the service's own desired count."""
        child = pulumi.ResourceOptions(parent=self)
        target = aws.appautoscaling.Target(
            f"{name}-{spec.name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", args.cluster_name, "/", service.name),
            min_capacity=max(scale.min, spec.desired_count),
            max_capacity=max(scale.max, spec.desired_count),
            tags=args.tags,
            opts=child,
        )
        aws.appautoscaling.Policy(
            f"{name}-{spec.name}-cpu",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": scale.cpu_target,
                "predefined_metric_specification": {
                    "predefined_metric_type": "ECSServiceAverageCPUUtilization"
                },
                "scale_in_cooldown": 120,
                "scale_out_cooldown": 60,
            },
            opts=child,
        )


def _capacity_strategies(args: AppServicesArgs) -> list[Any]:
    """Spot with an on-demand base, or on-demand only."""
    if args.spot:
        return [
            {"capacity_provider": "FARGATE", "base": args.on_demand_base, "weight": 0},
            {"capacity_provider": "FARGATE_SPOT", "weight": 1},
        ]
    return [{"capacity_provider": "FARGATE", "base": 0, "weight": 1}]
