"""AWS input rules of the monitoring family: CloudWatch logs, metric filters, alarms, dashboards."""

from __future__ import annotations

from typing import Any

from tests.constraints.checks import Rule, int_range, json_doc, one_of, text

# CloudWatch Logs PutRetentionPolicy / CreateLogGroup retentionInDays: the only accepted values.
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip


def _dimensions(d: Any) -> str | None:
    if len(d) > 30:
        return f"{len(d)} dimensions; CloudWatch allows 30"
    for k, v in d.items():
        if not 1 <= len(k) <= 255 or not 1 <= len(str(v)) <= 1024:
            return f"dimension {k}={v!r}: name 1-255, value 1-1024 chars"
    return None


_LOGS_SRC = "CloudWatch Logs API CreateLogGroup/PutRetentionPolicy"


RULES: dict[str, list[Rule]] = {
    # ---- CloudWatch
    "aws:cloudwatch/logGroup:LogGroup": [
        # logGroupName: 1-512 chars of [\.\-_/#A-Za-z0-9]+.
        Rule("name", text(512, r"[\.\-_/#A-Za-z0-9]+"), _LOGS_SRC + " logGroupName"),
        Rule("retentionInDays", one_of(*LOG_RETENTION_DAYS), _LOGS_SRC + " retentionInDays"),
    ],
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": [
        # PutMetricFilter filterName: 1-512, "[^:*]*"; metricName/metricNamespace <=255 without
        # ":" "*" "$"; filterPattern <=1024.
        Rule("name", text(512, r"[^:*]+"), "CloudWatch Logs PutMetricFilter filterName"),
        Rule("logGroupName", text(512, r"[\.\-_/#A-Za-z0-9]+"), _LOGS_SRC + " logGroupName"),
        Rule("pattern", text(1024, min_len=0), "PutMetricFilter filterPattern <=1024"),
        Rule("metricTransformation.name", text(255, r"[^:*$]+"), "MetricTransformation name"),
        Rule(
            "metricTransformation.namespace",
            text(255, r"[^:*$]+"),
            "MetricTransformation metricNamespace",
        ),
    ],
    "aws:cloudwatch/metricAlarm:MetricAlarm": [
        # PutMetricAlarm: AlarmName 1-255; Period 10, 20, 30 or a multiple of 60;
        # EvaluationPeriods >= 1; Statistic/ComparisonOperator/TreatMissingData enumerations.
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
        Rule("name", text(255), "CloudWatch PutMetricAlarm AlarmName 1-255"),
        Rule(
            "period",
            lambda v: (
                None
                if v in (10, 20, 30) or (v % 60 == 0 and v > 0)
                else f"period {v} is not 10, 20, 30 or a multiple of 60"
            ),
            "PutMetricAlarm Period",
        ),
        Rule("evaluationPeriods", int_range(1, 10_000), "PutMetricAlarm EvaluationPeriods"),
        Rule(
            "statistic",
            one_of("SampleCount", "Average", "Sum", "Minimum", "Maximum"),
            "PutMetricAlarm Statistic",
        ),
        Rule(
            "comparisonOperator",
            one_of(
                "GreaterThanOrEqualToThreshold",
                "GreaterThanThreshold",
                "LessThanThreshold",
                "LessThanOrEqualToThreshold",
                "LessThanLowerOrGreaterThanUpperThreshold",
                "LessThanLowerThreshold",
                "GreaterThanUpperThreshold",
            ),
            "PutMetricAlarm ComparisonOperator",
        ),
        Rule(
            "treatMissingData",
            one_of("breaching", "notBreaching", "ignore", "missing"),
            "PutMetricAlarm TreatMissingData",
        ),
        Rule("metricName", text(255), "PutMetricAlarm MetricName 1-255"),
        # Dimension: Name 1-255, Value 1-1024; at most 30 dimensions per metric.
        Rule("dimensions", lambda d: _dimensions(d), "CloudWatch Dimension Name/Value"),
        Rule(
            "metricQueries[].metric.dimensions",
            lambda d: _dimensions(d),
            "CloudWatch Dimension Name/Value",
        ),
        Rule("metricQueries[].metric.metricName", text(255), "CloudWatch MetricName 1-255"),
        Rule("metricQueries[].id", text(255, r"[a-z][a-zA-Z0-9_]*"), "MetricDataQuery Id"),
        Rule("namespace", text(255, r"[^:].*"), "PutMetricAlarm Namespace 1-255, not ':'"),
    ],
    "aws:cloudwatch/dashboard:Dashboard": [
        # PutDashboard DashboardName: "only alphanumerics, dash (-), and underscore (_)", <=255.
        Rule("dashboardName", text(255, r"[A-Za-z0-9_-]+"), "CloudWatch PutDashboard"),
        Rule(
            "dashboardBody",
            json_doc(lambda d: None if "widgets" in d else "no widgets"),
            "CloudWatch dashboard body structure",
        ),
    ],
}
