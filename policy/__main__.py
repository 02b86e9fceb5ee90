"""Pulumi policy pack entry: `pulumi preview --policy-pack policy`. Never import from tests:
building the PolicyPack starts a gRPC server that does not return."""

import sys
from pathlib import Path

# Pulumi runs this file with the pack directory as the working directory; the rules import the
# `components` package from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pulumi_policy import PolicyPack

from contracts.constants import PROJECT
from policy.rules import POLICIES

PolicyPack(name=f"{PROJECT}-safety", policies=list(POLICIES))
