"""AWS input rules of the compute family: ECR, ECS (Fargate sizes, container definitions),
Lambda, Step Functions, SNS and Application Auto Scaling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.constraints.checks import Rule, int_range, json_doc, one_of, text

# ECS cluster, service, task family and container names: up to 255 letters, digits, hyphens,
# underscores. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
ECS_NAME = r"[a-zA-Z0-9_-]+"

# Fargate task-level cpu -> memory (MiB) values.
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html
# ("512 (0.5 GB), 1024 (1 GB), 2048 (2 GB) - Available cpu values: 256 (.25 vCPU)", ...)
FARGATE_MEMORY: dict[int, set[int]] = {
    256: {512, 1024, 2048},
    512: {1024, 2048, 3072, 4096},
    1024: set(range(2048, 8193, 1024)),
    2048: set(range(4096, 16385, 1024)),
    4096: set(range(8192, 30721, 1024)),
    8192: set(range(16384, 61441, 4096)),
    16384: set(range(32768, 122881, 8192)),
}


def _fargate_size(inputs: dict[str, Any]) -> str | None:
    if "FARGATE" not in (inputs.get("requiresCompatibilities") or []):
        return None
    try:
        cpu, memory = int(inputs.get("cpu", "")), int(inputs.get("memory", ""))
    except ValueError:
        return f"cpu {inputs.get('cpu')!r} / memory {inputs.get('memory')!r} are not integers"
    allowed = FARGATE_MEMORY.get(cpu)
    if allowed is None:
        return f"cpu {cpu} is not a Fargate size; allowed {sorted(FARGATE_MEMORY)}"
    if memory not in allowed:
        return f"memory {memory} MiB does not fit Fargate cpu {cpu}; allowed {sorted(allowed)}"
    return None


def _containers(doc: Any) -> str | None:
    # RegisterTaskDefinition ContainerDefinition.name: "Up to 255 letters (uppercase and
    # lowercase), numbers, underscores, and hyphens"; environment names must be unique.
    for c in doc:
        if problem := text(255, ECS_NAME)(c.get("name")):
            return f"container name {problem}"
        names = [e["name"] for e in c.get("environment", [])] + [
            s["name"] for s in c.get("secrets", [])
        ]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            return f"container {c['name']!r} sets {dupes} twice (environment/secrets)"
        logs = (c.get("logConfiguration") or {}).get("options") or {}
        if "awslogs-group" in logs and (
            problem := text(512, r"[\.\-_/#A-Za-z0-9]+")(logs["awslogs-group"])
        ):
            return f"awslogs-group {problem}"
    return None


def _states(doc: Any, path: str = "States") -> Iterator[tuple[str, Any]]:
    for name, state in (doc.get("States") or {}).items():
        yield name, state
        for branch in state.get("Branches", []) or []:
            yield from _states(branch)
        if "ItemProcessor" in state:
            yield from _states(state["ItemProcessor"])


def _state_machine(doc: Any) -> str | None:
    # Amazon States Language: state names are at most 80 Unicode characters; StartAt must name
    # a state. https://states-language.net/spec.html#states-fields
    if doc.get("StartAt") not in (doc.get("States") or {}):
        return f"StartAt {doc.get('StartAt')!r} names no state"
    for name, _ in _states(doc):
        if len(name) > 80:
            return f"state name {name!r} exceeds 80 chars"
    return None


def _lifecycle(doc: Any) -> str | None:
    # ECR lifecycle policy properties:
    # https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html
    # unique rulePriority; a tagStatus "any" rule must have the highest rulePriority; "tagged"
    # needs tagPrefixList or tagPatternList, "untagged" must have neither; countNumber > 0;
    # sinceImagePushed needs countUnit "days"; at most four wildcards per pattern.
    rules = doc.get("rules") or []
    prios = [r.get("rulePriority") for r in rules]
    if not rules or len(set(prios)) != len(prios):
        return f"rulePriority values must be unique and present, got {prios}"
    for r in rules:
        sel = r.get("selection") or {}
        status = sel.get("tagStatus")
        lists = [k for k in ("tagPrefixList", "tagPatternList") if sel.get(k)]
        if status not in ("tagged", "untagged", "any"):
            return f"tagStatus {status!r} is not tagged/untagged/any"
        if status == "tagged" and not lists:
            return "a tagged rule needs tagPrefixList or tagPatternList"
        if status != "tagged" and lists:
            return f"a {status} rule must not have {lists}"
        if status == "any" and r.get("rulePriority") != max(prios):
            return "the tagStatus any rule must have the highest rulePriority"
        if any(p.count("*") > 4 for p in sel.get("tagPatternList") or []):
            return "a tag pattern may hold at most four wildcards"
        count_type = sel.get("countType")
        if count_type not in ("imageCountMoreThan", "sinceImagePushed"):
            return f"countType {count_type!r} is not imageCountMoreThan/sinceImagePushed"
        if count_type == "sinceImagePushed" and sel.get("countUnit") != "days":
            return "sinceImagePushed needs countUnit days"
        if not isinstance(sel.get("countNumber"), int) or sel["countNumber"] < 1:
            return f"countNumber {sel.get('countNumber')!r} must be a positive integer"
        if (r.get("action") or {}).get("type") != "expire":
            return "action type must be expire"
    return None


_ECS_SRC = "ECS API CreateCluster/CreateService/RegisterTaskDefinition: <=255 [a-zA-Z0-9_-]"


RULES: dict[str, list[Rule]] = {
    # ---- ECR
    "aws:ecr/repository:Repository": [
        # CreateRepository repositoryName: 2-256,
        # (?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*
        Rule(
            "name",
            text(256, r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*", min_len=2),
            "ECR API CreateRepository repositoryName",
        ),
        Rule("imageTagMutability", one_of("MUTABLE", "IMMUTABLE"), "ECR imageTagMutability"),
    ],
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": [
        Rule("policy", json_doc(_lifecycle), "ECR lifecycle policy parameters"),
        Rule("policy", text(30720), "ECR PutLifecyclePolicy lifecyclePolicyText 100-30720"),
    ],
    # ---- ECS
    "aws:ecs/cluster:Cluster": [
        Rule("name", text(255, ECS_NAME), _ECS_SRC),
        Rule("settings[].name", one_of("containerInsights"), "ECS ClusterSetting name"),
        Rule(
            "settings[].value",
            one_of("enhanced", "enabled", "disabled"),
            "ECS ClusterSetting value",
        ),
    ],
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": [
        Rule("clusterName", text(255, ECS_NAME), _ECS_SRC),
        Rule(
            "capacityProviders[]",
            one_of("FARGATE", "FARGATE_SPOT"),
            "ECS PutClusterCapacityProviders: Fargate providers",
        ),
    ],
    "aws:ecs/service:Service": [
        Rule("name", text(255, ECS_NAME), _ECS_SRC),
        Rule("desiredCount", int_range(0, 5000), "ECS CreateService desiredCount"),
        Rule(
            "deploymentMaximumPercent",
            int_range(100, 200),
            "ECS DeploymentConfiguration maximumPercent (rolling, Fargate) 100..200",
        ),
        Rule(
            "deploymentMinimumHealthyPercent",
            int_range(0, 100),
            "ECS DeploymentConfiguration minimumHealthyPercent 0..100",
        ),
        Rule(
            "healthCheckGracePeriodSeconds",
            int_range(0, 2_147_483_647),
            "ECS CreateService healthCheckGracePeriodSeconds",
        ),
        Rule(
            "capacityProviderStrategies[].base",
            int_range(0, 100_000),
            "ECS CapacityProviderStrategyItem base 0..100000",
        ),
        Rule(
            "capacityProviderStrategies[].weight",
            int_range(0, 1000),
            "ECS CapacityProviderStrategyItem weight 0..1000",
        ),
        Rule("loadBalancers[].containerPort", int_range(1, 65535), "ECS LoadBalancer port"),
        Rule("propagateTags", one_of("SERVICE", "TASK_DEFINITION", "NONE"), "ECS propagateTags"),
    ],
    "aws:ecs/taskDefinition:TaskDefinition": [
        Rule("family", text(255, ECS_NAME), _ECS_SRC),
        Rule("", _fargate_size, "ECS RegisterTaskDefinition Fargate cpu/memory table"),
        Rule("containerDefinitions", json_doc(_containers), "ECS ContainerDefinition name"),
        Rule("networkMode", one_of("awsvpc"), "Fargate requires networkMode awsvpc"),
    ],
    # ---- Lambda
    "aws:lambda/function:Function": [
        # CreateFunction: FunctionName 1-64 [a-zA-Z0-9-_]; Timeout 1-900; MemorySize 128-10240.
        # https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
        Rule("name", text(64, r"[a-zA-Z0-9_-]+"), "Lambda CreateFunction FunctionName"),
        Rule("timeout", int_range(1, 900), "Lambda CreateFunction Timeout"),
        Rule("memorySize", int_range(128, 10240), "Lambda CreateFunction MemorySize"),
        Rule(
            "runtime",
            one_of("python3.10", "python3.11", "python3.12", "python3.13"),
            "Lambda supported (non-deprecated) Python runtimes",
        ),
        Rule("handler", text(128, r"[^\s]+"), "Lambda CreateFunction Handler <=128"),
    ],
    "aws:lambda/permission:Permission": [],
    # ---- Step Functions / SNS / Application Auto Scaling
    "aws:sfn/stateMachine:StateMachine": [
        # CreateStateMachine name: 1-80; no whitespace, brackets, wildcards, special characters
        # ("#%\^|~`$&,;:/) or control characters.
        # https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html
        Rule(
            "name",
            text(80, r"[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]+"),
            "Step Functions CreateStateMachine name",
        ),
        Rule("definition", json_doc(_state_machine), "Amazon States Language"),
    ],
    "aws:sns/topic:Topic": [
        # CreateTopic Name: 1-256 of [A-Za-z0-9_-] (FIFO: + ".fifo").
        Rule("name", text(256, r"[A-Za-z0-9_-]+(\.fifo)?"), "SNS CreateTopic Name"),
    ],
    "aws:sns/topicSubscription:TopicSubscription": [
        Rule(
            "protocol",
            one_of(
                "http",
                "https",
                "email",
                "email-json",
                "sms",
                "sqs",
                "application",
                "lambda",
                "firehose",
            ),
            "SNS Subscribe Protocol",
        ),
        Rule("endpoint", text(2048, r"[^@\s]+@[^@\s]+\.[^@\s]+"), "SNS email endpoint address"),
    ],
    "aws:appautoscaling/target:Target": [
        Rule(
            "resourceId",
            text(1600, r"service/[a-zA-Z0-9_-]+/[a-zA-Z0-9_-]+"),
            "Application Auto Scaling ResourceId for ECS: service/<cluster>/<service>",
        ),
        Rule("minCapacity", int_range(0, 2_147_483_647), "RegisterScalableTarget MinCapacity"),
        Rule("maxCapacity", int_range(0, 2_147_483_647), "RegisterScalableTarget MaxCapacity"),
    ],
    "aws:appautoscaling/policy:Policy": [
        # PutScalingPolicy PolicyName: 1-256, [\p{Print}&&[^|:/]]+.
        Rule("name", text(256, r"[^|:/\x00-\x1f]+"), "Application Auto Scaling PolicyName"),
        Rule(
            "policyType",
            one_of("StepScaling", "TargetTrackingScaling", "PredictiveScaling"),
            "PutScalingPolicy PolicyType",
        ),
    ],
}
