"""AWS credentials outlive the job that uses them.

Three numbers must agree for every job that assumes a role: the job's `timeout-minutes`, the
`role-duration-seconds` it asks `configure-aws-credentials` for (default 3600 s), and the role's
`MaxSessionDuration` (IAM refuses a longer request; default 3600 s). If the credentials expire
before the job's timeout, `pulumi up`/`destroy` fail half-way with ExpiredToken and leave the
stack locked or half done.
"""

from __future__ import annotations

import re
from typing import Any

from tests.workflows.invariants import WORKFLOWS, load

# configure-aws-credentials' default for role-duration-seconds when the token is an OIDC one.
ACTION_DEFAULT_DURATION_S = 3600
# Which bootstrap role a workflow variable names (README: copy the exported ARNs).
ROLE_OF_VARIABLE = {
    "PREVIEW_ROLE_ARN": "preview",
    "REAPER_ROLE_ARN": "reaper",
    "STAGING_ROLE_ARN": "staging",
    "PROD_ROLE_ARN": "prod",
}


def _max_sessions() -> dict[str, int]:
    """MaxSessionDuration of each role as the bootstrap program creates it."""
    from preview.synth import harness

    synth = harness.synthesize(
        "bootstrap", {"githubOrg": "acme", "githubRepo": "shop", "aws:region": "us-east-1"}
    )
    return {
        role: int(synth.get("aws:iam/role:Role", f"github-{role}").inputs["maxSessionDuration"])
        for role in ROLE_OF_VARIABLE.values()
    }


def _credential_steps() -> list[tuple[str, int, str, int]]:
    """(workflow/job, timeout s, role, requested duration s) of every role assumption."""
    out = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job_id, job in load(path).get("jobs", {}).items():
            for step in job.get("steps", []):
                uses = str(step.get("uses", ""))
                if not uses.startswith("aws-actions/configure-aws-credentials@"):
                    continue
                with_: dict[str, Any] = step.get("with", {})
                var = re.search(r"vars\.(\w+)", str(with_.get("role-to-assume", "")))
                assert var and var.group(1) in ROLE_OF_VARIABLE, (path.name, job_id, with_)
                duration = int(with_.get("role-duration-seconds", ACTION_DEFAULT_DURATION_S))
                timeout = int(job.get("timeout-minutes", 360)) * 60
                out.append(
                    (f"{path.name}/{job_id}", timeout, ROLE_OF_VARIABLE[var.group(1)], duration)
                )
    return out


def test_credentials_last_as_long_as_each_job_and_the_role_allows_it() -> None:
    """timeout-minutes <= role-duration-seconds <= the role's MaxSessionDuration, per job."""
    max_session = _max_sessions()
    steps = _credential_steps()
    assert {role for _, _, role, _ in steps} == set(ROLE_OF_VARIABLE.values())
    problems = []
    for where, timeout, role, duration in steps:
        if duration < timeout:
            problems.append(
                f"{where}: credentials last {duration}s but the job may run {timeout}s "
                "(set role-duration-seconds)"
            )
        if duration > max_session[role]:
            problems.append(
                f"{where}: asks for {duration}s but role {role} allows {max_session[role]}s "
                "(raise max_session_seconds in components/bootstrap.py)"
            )
    assert not problems, "\n".join(problems)
