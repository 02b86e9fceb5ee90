"""The ECR lifecycle policy never expires an image a long-lived stack runs or may roll back to.

The policy is read from the real staging program; the tags come from what the workflows push
(.github/workflows/preview.yml for PRs, prod.yml for staging/prod). `evaluate` applies ECR's
documented lifecycle semantics to a simulated repository history:
https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html
* rules are evaluated from the lowest rulePriority; an image that matches the tagging
  requirements of a rule is never expired by a rule with a higher rulePriority number;
* `tagPrefixList` / `tagPatternList` select images that carry a tag matching every listed
  prefix/pattern; `untagged` selects images with no tag; `any` selects all;
* `imageCountMoreThan N` expires the selected images beyond the N most recently pushed;
  `sinceImagePushed N days` expires the selected images pushed more than N days ago.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preview.settings import Settings
from preview.synth.harness import Synth

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


@dataclass(frozen=True)
class Image:
    digest: str
    tags: tuple[str, ...]
    pushed_day: float


def _matches(image: Image, selection: dict[str, Any]) -> bool:
    status = selection["tagStatus"]
    if status == "any":
        return True
    if status == "untagged":
        return not image.tags
    prefixes = selection.get("tagPrefixList") or []
    patterns = selection.get("tagPatternList") or []
    return (
        bool(image.tags)
        and all(any(t.startswith(p) for t in image.tags) for p in prefixes)
        and all(any(fnmatch.fnmatchcase(t, p) for t in image.tags) for p in patterns)
    )


def evaluate(policy: dict[str, Any], images: list[Image], today: float) -> set[str]:
    """Digests ECR expires under `policy` on day `today`."""
    expired: set[str] = set()
    claimed: set[str] = set()  # matched by a higher-priority rule
    for rule in sorted(policy["rules"], key=lambda r: r["rulePriority"]):
        sel = rule["selection"]
        chosen = [i for i in images if i.digest not in claimed and _matches(i, sel)]
        claimed |= {i.digest for i in chosen}
        if sel["countType"] == "imageCountMoreThan":
            newest_first = sorted(chosen, key=lambda i: i.pushed_day, reverse=True)
            expired |= {i.digest for i in newest_first[sel["countNumber"] :]}
        else:
            expired |= {i.digest for i in chosen if today - i.pushed_day > sel["countNumber"]}
    return expired


def _pushed_tag(workflow: str, repo_var: str) -> str:
    """The tag a workflow pushes to `repo_var`, with `{sha}` for the commit."""
    text = (WORKFLOWS / workflow).read_text()
    match = re.search(
        rf"{repo_var} *\}}+:(?P<tag>[^\s\"'$]*(\$\{{\{{[^}}]*\}}\}}|\$\{{\w+\}})?)", text
    )
    assert match, f"{workflow} pushes no tag to {repo_var}"
    tag = match.group("tag")
    return re.sub(r"\$\{\{ *steps\.sha\.outputs\.sha *\}\}|\$\{SHA\}", "{sha}", tag)


def _policy(staging_synth: Synth, repo: str) -> dict[str, Any]:
    policy = staging_synth.get(
        "aws:ecr/lifecyclePolicy:LifecyclePolicy", f"registry-{repo}-lifecycle"
    )
    return json.loads(policy.inputs["policy"])


def _history(pr_tag: str, release_tag: str, days: int) -> tuple[list[Image], list[Image]]:
    """A busy repository: one staging release a day and 30 PR pushes a day."""
    releases, prs = [], []
    for day in range(days):
        sha = f"{day:040x}"
        releases.append(Image(f"rel-{day}", (release_tag.format(sha=sha),), day))
        for n in range(30):
            psha = f"{day:020x}{n:020x}"
            prs.append(Image(f"pr-{day}-{n}", (pr_tag.format(sha=psha),), day + n / 30))
    return releases, prs


def test_workflows_tag_pr_builds_apart_from_releases() -> None:
    """PR builds carry a prefix that long-lived releases never carry, so a rule can tell them
    apart (both used the bare sha before, so no policy could)."""
    pr_tag = _pushed_tag("preview.yml", "APP_REPO")
    release_tag = _pushed_tag("prod.yml", "APP_ECR_REPOSITORY")
    assert pr_tag != release_tag
    assert _pushed_tag("preview.yml", "TOOLS_REPO") == pr_tag


def test_pr_pushes_never_expire_staging_or_rollback_images(staging_synth: Synth) -> None:
    """200 days of staging releases and 6000 PR pushes: every release image (the one staging
    runs and every one it may roll back to) survives, in the app and the tools repository."""
    pr_tag = _pushed_tag("preview.yml", "APP_REPO")
    release_tag = _pushed_tag("prod.yml", "APP_ECR_REPOSITORY")
    releases, prs = _history(pr_tag, release_tag, 200)
    pinned = Image("tools-v1", ("v1",), 0)  # toolsImageTag default
    for repo in ("app", "tools"):
        expired = evaluate(_policy(staging_synth, repo), [*releases, *prs, pinned], today=200)
        kept = [i.tags[0] for i in [*releases, pinned] if i.digest in expired]
        assert not kept, f"{repo}: release images expired: {kept[:3]}..."
        assert expired, f"{repo}: PR images must still be cleaned up"


def test_a_live_preview_keeps_its_image_for_its_whole_ttl(staging_synth: Synth) -> None:
    """A preview may run (and restart tasks from) its last push's image until its TTL ends:
    no PR image younger than the longest TTL is expired, however many PRs push after it."""
    longest_ttl_days = Settings.model_fields["ttl_hours"].metadata[1].le / 24
    pr_tag = _pushed_tag("preview.yml", "APP_REPO")
    release_tag = _pushed_tag("prod.yml", "APP_ECR_REPOSITORY")
    releases, prs = _history(pr_tag, release_tag, 200)
    expired = evaluate(_policy(staging_synth, "app"), [*releases, *prs], today=200)
    young = [i for i in prs if 200 - i.pushed_day <= longest_ttl_days and i.digest in expired]
    assert not young
