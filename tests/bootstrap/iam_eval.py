"""Moved to tests/authz/iam_eval.py (strict: unknown actions, operators and keys fail)."""

from tests.authz.iam_eval import allowed, decide, lint, request

__all__ = ["allowed", "decide", "lint", "request"]
