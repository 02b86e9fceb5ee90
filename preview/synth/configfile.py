"""Stack config for `preview synth`: a Pulumi stack file or the `preview.yaml` template.

Files are read by `preview.stackconfig` (the one reader, also behind `preview up`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from contracts.constants import DEFAULT_STAGING_STACK
from preview.stackconfig import SECRET_PLACEHOLDER, cli_keys, read_stack_file

REPO = Path(__file__).resolve().parents[2]
PR_TEMPLATE = "preview.yaml"
# A synth is not tied to a commit; any well-formed sha satisfies the config model.
FAKE_SHA = "0000000000000000000000000000000000000000"
FAKE_TTL = timedelta(hours=72)
SECRET_KEY_RE = re.compile(r"(?i)(password|secret|token|private_?key|passphrase|credential)")


def pr_config(
    pr: int,
    *,
    template: Path | None = None,
    sha: str = FAKE_SHA,
    branch: str | None = None,
    expires_at: datetime | None = None,
    staging_stack: str | None = None,
) -> dict[str, Any]:
    """Config of stack `pr-<pr>`: the template plus the keys the preview CLI sets.

    `stagingStack` stays as the template has it unless given; a bare template gets a default.
    """
    config = read_stack_file(template or REPO / PR_TEMPLATE)
    expiry = expires_at or datetime.now(UTC).replace(microsecond=0) + FAKE_TTL
    config.update(cli_keys(pr, sha, branch or f"pr-{pr}", expiry))
    if staging_stack is not None or "stagingStack" not in config:
        config["stagingStack"] = staging_stack or DEFAULT_STAGING_STACK
    return config


def stack_file_config(stack: str, path: Path | None = None) -> dict[str, Any]:
    return read_stack_file(path or REPO / f"Pulumi.{stack}.yaml")


def naive_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The naive design: a dedicated ALB and a dedicated search domain per preview."""
    return {**config, "loadBalancing": "dedicated", "search": "dedicated"}


def secret_values(config: Mapping[str, Any]) -> frozenset[str]:
    """Config values that must never be printed: secret-looking keys and `secure:` stand-ins."""
    found: set[str] = set()
    for key, value in config.items():
        if isinstance(value, str) and len(value) >= 4 and SECRET_KEY_RE.search(key):
            found.add(value)
    found.add(SECRET_PLACEHOLDER)
    return frozenset(found)


def region_of(config: Mapping[str, Any], default: str) -> str:
    value = config.get("aws:region")
    return value if isinstance(value, str) and value else default
