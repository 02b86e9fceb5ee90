"""Every physical name the platform creates, derived from the stack and PR number.

Pure Python (no pulumi import) so the CLI, the reaper and tests can share it cheaply.
AWS limits that bite: ALB / target group names <= 32 chars of [a-zA-Z0-9-]; DNS labels <= 63;
RDS identifiers start with a letter, <= 63, no "--", no trailing hyphen. When a name must be
shortened, a hash of the full name is appended so two different inputs never collapse to the same
truncated name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from contracts.constants import BOOTSTRAP, LONG_LIVED, SHORT_PROJECT
from contracts.errors import NamingError

MAX_PR = 10**9
# The warm database pool (components/pool.py): long-lived, never a clone source.
POOL = "pool"

Kind = Literal["preview", "staging", "prod", "bootstrap", "pool"]

_PREVIEW_RE = re.compile(r"pr-([1-9][0-9]{0,9})")
_HASH_LEN = 6


@dataclass(frozen=True)
class StackId:
    """What a stack name means: its environment kind and, for previews, the PR number."""

    name: str
    kind: Kind
    pr: int | None = None

    @property
    def is_preview(self) -> bool:
        return self.kind == "preview"


def _check_pr(pr: int) -> int:
    if isinstance(pr, bool) or not isinstance(pr, int) or not 1 <= pr <= MAX_PR:
        raise NamingError(
            f"PR number {pr!r} is out of range",
            hint=f"use the pull request number, an integer from 1 to {MAX_PR}",
        )
    return pr


def stack_name(pr: int) -> str:
    """Stack name of the preview of PR `pr`: `pr-<N>`."""
    return f"pr-{_check_pr(pr)}"


def parse_stack(name: str) -> StackId:
    """Classify a stack name: `staging`, `prod`, `bootstrap` or `pr-<N>`; anything else fails.

    A fully qualified name (`org/project/stack`) is accepted; only its last segment counts.
    """
    short = name.rsplit("/", 1)[-1]
    if short in LONG_LIVED:
        return StackId(short, "staging" if short == "staging" else "prod")
    if short == BOOTSTRAP:
        return StackId(short, "bootstrap")
    if short == POOL:
        return StackId(short, "pool")
    match = _PREVIEW_RE.fullmatch(short)
    if match:
        return StackId(short, "preview", _check_pr(int(match.group(1))))
    raise NamingError(
        f"stack name {name!r} is not one this program knows",
        hint=f"use 'staging', 'prod', 'bootstrap', 'pool' or 'pr-<N>' with N from 1 to {MAX_PR}",
    )


def short_hash(text: str, length: int = _HASH_LEN) -> str:
    """Deterministic lowercase hex digest: same input, same suffix, on every machine."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def _slug(text: str) -> str:
    """Lowercase, [a-z0-9-] only, single hyphens, no hyphen at either end."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower())
    return slug.strip("-")


def _fit(slug: str, original: str, limit: int) -> str:
    """Truncate `slug` to `limit`, appending a hash of `original` when anything was cut."""
    if len(slug) <= limit and slug:
        return slug
    suffix = short_hash(original)
    head = slug[: limit - len(suffix) - 1].strip("-")
    return f"{head}-{suffix}" if head else suffix


def dns_label(*parts: str) -> str:
    """One DNS label (RFC 1123): [a-z0-9-], <= 63, no hyphen at either end, never empty."""
    original = "-".join(parts)
    return _fit(_slug(original), original, 63)


def lb_name(*parts: str) -> str:
    """ALB or target-group name: <= 32, [a-z0-9-], no hyphen at either end, not `internal-...`."""
    original = "-".join(parts)
    slug = _slug(original)
    if slug.startswith("internal-"):
        slug = f"x{slug}"
    return _fit(slug, original, 32)


def rds_identifier(*parts: str) -> str:
    """RDS cluster/instance identifier: starts with a letter, <= 63, no `--`, no trailing `-`."""
    original = "-".join(parts)
    slug = _slug(original)
    if not slug or not slug[0].isalpha():
        slug = f"db-{slug}" if slug else "db"
    return _fit(slug, original, 63)


def resource_prefix(stack: str) -> str:
    """Prefix of every physical name of a stack: `pp-<stack>` (e.g. `pp-pr-12`, `pp-staging`)."""
    return dns_label(SHORT_PROJECT, parse_stack(stack).name)


def hostname(pr: int, zone: str) -> str:
    """Public host of a preview: `pr-<N>.<zone>`; one label so the wildcard cert covers it."""
    zone = zone.strip().rstrip(".").lower()
    if (
        not zone
        or len(zone) > 200
        or not all(
            re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", label) for label in zone.split(".")
        )
    ):
        raise NamingError(
            f"preview zone {zone!r} is not a valid DNS name",
            hint="set previewZone to a domain such as preview.example.com",
        )
    host = f"{stack_name(pr)}.{zone}"
    if len(host) > 128:
        raise NamingError(
            f"host {host!r} exceeds the ALB host-header limit of 128 characters",
            hint="use a shorter previewZone",
        )
    return host


# Image tags of PR builds; the ECR lifecycle policy (components/registry.py) expires only these,
# so a long-lived stack must never run an image tagged with this prefix.
PR_IMAGE_TAG_PREFIX = "pr-"


def pr_image_tag(sha: str) -> str:
    """Image tag of a PR build: `pr-<sha>` (the tag preview.yml pushes)."""
    return f"{PR_IMAGE_TAG_PREFIX}{sha}"


def index_prefix(pr: int) -> str:
    """OpenSearch index prefix of a preview on the shared domain: `pr-<N>-`."""
    return f"{stack_name(pr)}-"


def environment_index_prefix(env: str) -> str:
    """Index prefix of a long-lived stack's own indices: `<env>-` (`staging-`). A grant on
    `staging-*` cannot reach a preview's `pr-<N>-*` indices on the same domain."""
    if not re.fullmatch(r"[a-z][a-z0-9]*", env) or env == "pr":
        raise ValueError(f"environment {env!r} cannot prefix indices")
    return f"{env}-"


def search_domain_name(*parts: str) -> str:
    """OpenSearch domain name: 3-28 chars, starts with a lowercase letter, [a-z0-9-]."""
    original = "-".join(parts)
    slug = _slug(original)
    if not slug or not slug[0].isalpha():
        slug = f"os-{slug}" if slug else "os"
    name = _fit(slug, original, 28)
    return name if name[0].isalpha() else f"o{name[:27]}"


def tag_value(text: str) -> str:
    """A value any AWS tag accepts: <= 256 chars of letters, digits, spaces and `_.:/=+-@`."""
    cleaned = re.sub(r"[^\w .:/=+\-@]", "-", text, flags=re.ASCII)
    return cleaned if len(cleaned) <= 256 else f"{cleaned[:249]}-{short_hash(text)}"


# Rule priorities on the shared preview listener. Priority must be unique per listener and lie
# in 1..50000. Each preview uses two adjacent priorities (smoke bypass rule, then the host rule),
# so slot k = (pr - 1) mod SLOTS maps to (2k + 1, 2k + 2). Two live previews collide only when
# their PR numbers are congruent modulo SLOTS (24999 apart); AWS then rejects the second rule
# with PriorityInUse at deploy time, which never mis-routes traffic. `preview up` avoids even that:
# it calls `allocate_rule_priority(pr, taken)` with the bypass priorities of the live previews
# and stores the result as the `rulePriority` config key.
PRIORITY_SLOTS = 24_999


def rule_priorities(pr: int, override: int | None = None) -> tuple[int, int]:
    """(bypass, host) listener-rule priorities of a preview; `override` is the bypass priority."""
    if override is not None:
        if not 1 <= override <= 49_999:
            raise NamingError(
                f"rule priority {override} is out of range",
                hint="set rulePriority to an odd number from 1 to 49999, or leave it unset",
            )
        return override, override + 1
    slot = (_check_pr(pr) - 1) % PRIORITY_SLOTS
    return 2 * slot + 1, 2 * slot + 2


def allocate_rule_priority(pr: int, taken: Iterable[int]) -> int:
    """A bypass priority for `pr` whose pair (p, p+1) collides with no pair in `taken`.

    Starts at the PR's default slot and probes the following slots, so the result is
    deterministic for a given live set and equals the default whenever that slot is free.
    """
    used = {(t - 1) // 2 for t in taken if 1 <= t <= 49_999}
    start = (_check_pr(pr) - 1) % PRIORITY_SLOTS
    for step in range(PRIORITY_SLOTS):
        slot = (start + step) % PRIORITY_SLOTS
        if slot not in used:
            return 2 * slot + 1
    raise NamingError(
        "every listener-rule priority slot of the shared preview ALB is in use",
        hint="tear down previews or use loadBalancing: dedicated",
    )
