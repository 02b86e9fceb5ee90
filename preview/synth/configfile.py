"""Stack config for `preview synth`: a Pulumi stack file or the `preview.yaml` template.

Keys of our namespace are kept short (`app`, not `preview-platform:app`) so that overriding one
(as the naive design does) never leaves a second, namespaced copy behind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from preview.errors import UsageError

REPO = Path(__file__).resolve().parents[2]
NAMESPACE = "preview-platform"
PR_TEMPLATE = "preview.yaml"
DEFAULT_STAGING_STACK = "organization/preview-platform/staging"
# A synth is not tied to a commit; any well-formed sha satisfies the config model.
FAKE_SHA = "0000000000000000000000000000000000000000"
FAKE_TTL = timedelta(hours=72)
# Stand-in for `secure:` values, which cannot be decrypted offline.
SECRET_PLACEHOLDER = "synth-placeholder-secret"
SECRET_KEY_RE = re.compile(r"(?i)(password|secret|token|private_?key|passphrase|credential)")


class ConfigFileError(UsageError):
    """The config file is missing or not a Pulumi stack file."""


def short_key(key: str) -> str:
    ns, sep, rest = key.partition(":")
    return rest if sep and ns == NAMESPACE else key


def read_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` map of a Pulumi stack file, keys shortened, `secure:` values stood in for."""
    import yaml

    if not path.is_file():
        raise ConfigFileError(
            f"config file {str(path)!r} not found",
            hint="pass --config with a Pulumi stack file, or run from the repository root",
        )
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigFileError(
            f"config file {str(path)!r} is not valid YAML ({exc})",
            hint="fix the YAML syntax at the position shown",
        ) from None
    if doc is None:
        doc = {}
    config = doc.get("config", {}) if isinstance(doc, dict) else None
    if not isinstance(config, dict):
        raise ConfigFileError(
            f"config file {str(path)!r} has no 'config:' map",
            hint="write it like a Pulumi stack file: 'config:' followed by key: value lines",
        )
    out: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            value = SECRET_PLACEHOLDER
        out[short_key(str(key))] = value
    return out


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
    config.update(
        pr=pr,
        sha=sha,
        branch=branch or f"pr-{pr}",
        expiresAt=expiry.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
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
