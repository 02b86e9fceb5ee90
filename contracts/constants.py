"""Names every part agrees on: the project, the stack kinds, tag keys, the tools-task logs."""

from __future__ import annotations

PROJECT = "preview-platform"
# Config namespace (`preview-platform:<key>`) and the `managed-by` tag value: the project name.
NAMESPACE = PROJECT
MANAGED_BY = PROJECT
# Short prefix for physical names so that suffixes survive the 32-char ALB limit.
SHORT_PROJECT = "pp"

STAGING = "staging"
PROD = "prod"
BOOTSTRAP = "bootstrap"
LONG_LIVED = (STAGING, PROD)
DEFAULT_STAGING_STACK = f"organization/{PROJECT}/{STAGING}"

TAG_PR = "preview:pr"
TAG_SHA = "preview:sha"
TAG_EXPIRES_AT = "preview:expires-at"
TAG_BRANCH = "preview:branch"
TAG_MANAGED_BY = "managed-by"
TAG_ENVIRONMENT = "environment"

# The tools container and its awslogs stream prefix: the task of a failed smoke step logs to the
# stream `tools/tools/<task id>`, where `preview up` reads the smoke summary line.
TOOLS_CONTAINER = "tools"
TOOLS_LOG_PREFIX = "tools"


def tools_log_stream(task_arn: str) -> str:
    """The awslogs stream of a tools task: `<prefix>/<container>/<task id>`."""
    return f"{TOOLS_LOG_PREFIX}/{TOOLS_CONTAINER}/{task_arn.rsplit('/', 1)[-1]}"


# The smoke state machine's other entry (smoke/definition.py): this input runs only the step
# CLEANUP_STEP, `preview sync --delete-prefix` in the tools task, inside the VPC where the
# VPC-only domain answers (`preview down` runs on a GitHub-hosted runner, on the internet).
CLEANUP_STEP = "CleanupSearch"
CLEANUP_INPUT = {"action": "cleanup"}
# Smoke gate input key: `{"seeded": true}` starts at WaitHealthy (a warm slot's indices were
# seeded ahead of time by the pool's seeder).
SEEDED_INPUT = "seeded"
# How long a seed task may run (the smoke gate's and a pool seeder's SeedSearch).
SEED_TIMEOUT_S = 1800

# Set to 1 to see the traceback of an unexpected error (the CLI prints one line otherwise).
DEBUG_ENV = "PREVIEW_DEBUG"
