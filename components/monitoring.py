"""Monitoring: alarms of a long-lived environment, an SNS topic they notify, and a dashboard.

Creates: aws.sns.Topic (+ email subscription), aws.cloudwatch.MetricAlarm on ECS CPU per
service, ALB target p95 latency and 5xx rate (metric math), an aws.cloudwatch.LogMetricFilter
counting ERROR/FATAL lines with its alarm, and aws.cloudwatch.Dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import naming
from contracts.constants import PROJECT

ERROR_PATTERN = "?ERROR ?FATAL"


@dataclass(frozen=True)
class MonitoringArgs:
    stack: str
    cluster_name: pulumi.Input[str]
    service_names: dict[str, pulumi.Input[str]]
    alb_arn_suffix: pulumi.Input[str]
    target_group_arn_suffix: pulumi.Input[str]
    log_group_name: pulumi.Input[str]
    tags: dict[str, str]
    region: str
    alarm_email: str | None = None
    cpu_threshold: float = 80
    p95_latency_seconds: float = 1.0
    error_rate_percent: float = 5


class Monitoring(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:monitoring:Monitoring", name, None, opts)
        prefix = naming.resource_prefix(args.stack)
        topic = self._create_topic(name, prefix, args)
        notify = [topic.arn]
        common: dict[str, Any] = {
            "alarm_actions": notify,
            "ok_actions": notify,
            "treat_missing_data": "notBreaching",
            "tags": args.tags,
        }
        self._create_cpu_alarms(name, prefix, args, common)
        self._create_target_alarms(name, prefix, args, common)
        metric_namespace = f"{PROJECT}/{args.stack}"
        self._create_error_line_alarm(name, prefix, args, metric_namespace, common)
        self._create_dashboard(name, prefix, args, metric_namespace)
        self.topic_arn = topic.arn
        self.register_outputs({"topic_arn": topic.arn})

    def _create_topic(self, name: str, prefix: str, args: MonitoringArgs) -> aws.sns.Topic:
        child = pulumi.ResourceOptions(parent=self)
        topic = aws.sns.Topic(f"{name}-alarms", name=f"{prefix}-alarms", tags=args.tags, opts=child)
        if args.alarm_email:
            aws.sns.TopicSubscription(
                f"{name}-email",
                topic=topic.arn,
                protocol="email",
                endpoint=args.alarm_email,
                opts=child,
            )
        return topic

    def _create_cpu_alarms(
        self, name: str, prefix: str, args: MonitoringArgs, common: dict[str, Any]
    ) -> None:
        for svc, svc_name in sorted(args.service_names.items()):
            aws.cloudwatch.MetricAlarm(
                f"{name}-{svc}-cpu",
                name=f"{prefix}-{svc}-cpu-high",
                namespace="AWS/ECS",
                metric_name="CPUUtilization",
                dimensions={"ClusterName": args.cluster_name, "ServiceName": svc_name},
                statistic="Average",
                period=60,
                evaluation_periods=5,
                threshold=args.cpu_threshold,
                comparison_operator="GreaterThanThreshold",
                **common,
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _create_target_alarms(
        self, name: str, prefix: str, args: MonitoringArgs, common: dict[str, Any]
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        lb_dims = {"LoadBalancer": args.alb_arn_suffix, "TargetGroup": args.target_group_arn_suffix}
        aws.cloudwatch.MetricAlarm(
            f"{name}-p95",
            name=f"{prefix}-target-p95-latency",
            namespace="AWS/ApplicationELB",
            metric_name="TargetResponseTime",
            dimensions=lb_dims,
            extended_statistic="p95",
            period=60,
            evaluation_periods=5,
            threshold=args.p95_latency_seconds,
            comparison_operator="GreaterThanThreshold",
            **common,
            opts=child,
        )
        aws.cloudwatch.MetricAlarm(
            f"{name}-5xx",
            name=f"{prefix}-target-5xx-rate",
            evaluation_periods=3,
            threshold=args.error_rate_percent,
            comparison_operator="GreaterThanThreshold",
            metric_queries=[
                _alb_sum("errors", "HTTPCode_Target_5XX_Count", lb_dims),
                _alb_sum("requests", "RequestCount", lb_dims),
                {
                    "id": "rate",
                    "expression": "100 * errors / MAX([requests, 1])",
                    "label": "5xx %",
                    "return_data": True,
                },
            ],
            **common,
            opts=child,
        )

    def _create_error_line_alarm(
        self,
        name: str,
        prefix: str,
        args: MonitoringArgs,
        metric_namespace: str,
        common: dict[str, Any],
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        aws.cloudwatch.LogMetricFilter(
            f"{name}-errors",
            name=f"{prefix}-error-lines",
            log_group_name=args.log_group_name,
            pattern=ERROR_PATTERN,
            metric_transformation={
                "name": "ErrorLines",
                "namespace": metric_namespace,
                "value": "1",
                "default_value": "0",
            },
            opts=child,
        )
        aws.cloudwatch.MetricAlarm(
            f"{name}-error-lines",
            name=f"{prefix}-error-log-lines",
            namespace=metric_namespace,
            metric_name="ErrorLines",
            statistic="Sum",
            period=300,
            evaluation_periods=1,
            threshold=10,
            comparison_operator="GreaterThanThreshold",
            **common,
            opts=child,
        )

    def _create_dashboard(
        self, name: str, prefix: str, args: MonitoringArgs, metric_namespace: str
    ) -> None:
        alb = args.alb_arn_suffix
        panels: list[tuple[str, list[list[Any]], str]] = [
            (
                "Target p95 latency (s)",
                [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", alb]],
                "p95",
            ),
            (
                "Target 5xx",
                [["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", alb]],
                "Sum",
            ),
            ("Error log lines", [[metric_namespace, "ErrorLines"]], "Sum"),
        ]
        widgets = [
            {
                "type": "metric",
                "width": 12,
                "height": 6,
                "properties": {
                    "title": title,
                    "region": args.region,
                    "metrics": metrics,
                    "stat": stat,
                    "period": 60,
                },
            }
            for title, metrics, stat in panels
        ]
        aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=prefix,
            dashboard_body=pulumi.Output.json_dumps({"widgets": widgets}),
            opts=pulumi.ResourceOptions(parent=self),
        )


def _alb_sum(mid: str, metric_name: str, dimensions: dict[str, Any]) -> Any:
    """An ALB metric summed per minute: an input of the 5xx-rate expression, not returned."""
    return {
        "id": mid,
        "return_data": False,
        "metric": {
            "namespace": "AWS/ApplicationELB",
            "metric_name": metric_name,
            "dimensions": dimensions,
            "period": 60,
            "stat": "Sum",
        },
    }
