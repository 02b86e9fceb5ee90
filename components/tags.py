"""The one place tags are merged. Every taggable resource gets `tags=` built here.

Previews carry `preview:pr`, `preview:sha`, `preview:expires-at` and `managed-by`, which the
reaper uses to find orphans; long-lived stacks carry `environment` and `managed-by`.
"""

from __future__ import annotations

from collections.abc import Mapping

from components import naming
from contracts.constants import MANAGED_BY, TAG_EXPIRES_AT, TAG_MANAGED_BY, TAG_PR, TAG_SHA

PREVIEW_KEYS = (TAG_PR, TAG_SHA, TAG_EXPIRES_AT, TAG_MANAGED_BY)


def preview_tags(pr: int, sha: str, expires_at: str, branch: str = "") -> dict[str, str]:
    """Required tags of every preview resource (values sanitised to what AWS accepts)."""
    tags = {
        "preview:pr": str(pr),
        "preview:sha": naming.tag_value(sha),
        "preview:expires-at": naming.tag_value(expires_at),
        "managed-by": MANAGED_BY,
        "environment": naming.stack_name(pr),
    }
    if branch:
        tags["preview:branch"] = naming.tag_value(branch)
    return tags


TAG_POOL_SLOT = "preview:pool-slot"


def pool_tags(slot: str | None = None) -> dict[str, str]:
    """Tags of the warm pool (stack `pool`); a slot's resources also name their slot, which is
    how the reaper tells a pool clone from a preview's (it never carries `preview:pr`)."""
    tags = {"environment": "pool", "managed-by": MANAGED_BY}
    if slot:
        tags[TAG_POOL_SLOT] = slot
    return tags


def long_lived_tags(environment: str) -> dict[str, str]:
    return {"environment": environment, "managed-by": MANAGED_BY}


def merge(required: Mapping[str, str], extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """`extra` (e.g. a Name tag) plus `required`; required keys always win."""
    return {**(extra or {}), **required}


def named(required: Mapping[str, str], name: str) -> dict[str, str]:
    """Tags with a `Name` (shown in the EC2 console) for VPC-level resources."""
    return merge(required, {"Name": naming.tag_value(name)})
