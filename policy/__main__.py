"""Pulumi policy pack entry: `pulumi preview --policy-pack policy`. Never import from tests."""

from pulumi_policy import PolicyPack

from policy.rules import POLICIES

PolicyPack(name="preview-platform-safety", policies=list(POLICIES))
