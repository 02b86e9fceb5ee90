"""The preview CLI on an S3 state backend as the real preview and reaper roles.

moto runs with IAM enforcement (INITIAL_NO_AUTH_ACTION_COUNT): the first calls make an admin
user, everything after is judged by the caller's policies. The bucket holds the README's layout
(one project; stacks bootstrap, staging, prod, pr-1, pr-2), written by the real CLI as admin.
The preview and reaper roles carry the inline policies that the bootstrap program synthesizes
(preview.synth.harness over __main__.py, stack `bootstrap`), and the CLI runs with credentials from
moto's STS for them.

What moto models and what it does not, and so what is judged where:
* moto judges S3 per action and object ARN (GetObject on `prod.json` is AccessDenied): the
  CLI's own requests are authorized by moto, for real.
* moto treats a condition whose key a request lacks as *met*, and a statement whose condition
  fails as a *deny*: the prod guard (`Deny * on * if aws:ResourceTag/environment=prod`) would
  deny every call. In AWS, state requests carry none of the condition keys the policy uses
  (aws:ResourceTag/*, aws:RequestTag/*, route53:*, iam:*), so none of the conditioned
  statements applies to them. The roles get the synthesized policy without its conditioned
  statements, and `test_every_recorded_state_request_is_allowed_by_the_full_policy` judges
  each S3 request moto recorded against the *full* synthesized policy with tests/bootstrap's
  evaluator, which implements AWS's rule for missing keys.
* moto does not check AssumeRole against a web-identity trust; the roles trust the admin user
  here (the trust policies themselves are tested in tests/bootstrap).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import boto3
import pulumi
import pytest
from click.testing import CliRunner, Result

from preview.automation import PulumiAutomation
from preview.cli import cli
from tests.bootstrap.iam_eval import allowed
from tests.cli.github_double import GitHubDouble
from tests.engine.conftest import PASSPHRASE, PROJECT
from tests.engine.services import REGION, ROOT, MotoServer, ServiceError, start_moto

pytestmark = pytest.mark.engine

BUCKET = "acme-state"
ACCOUNT = "123456789012"
TOKEN = "ghs_engine0test0token0value"
SHAS = {"pr-1": "1111111aaaa", "pr-2": "2222222bbbb"}


def _synthesized_policies() -> dict[str, dict[str, Any]]:
    """The roles' inline policies as the bootstrap program creates them."""
    from preview.synth import harness

    synth = harness.synthesize(
        "bootstrap",
        {
            "githubOrg": "acme",
            "githubRepo": "shop",
            "stateBucket": BUCKET,
            "previewZone": "preview.acme.dev",
            "aws:region": REGION,
        },
    )
    out = {}
    for role in ("preview", "reaper"):
        doc = synth.get("aws:iam/rolePolicy:RolePolicy", f"github-{role}-policy").inputs["policy"]
        out[role] = json.loads(doc)
    return out


def _as_moto_sees_it(policy: dict[str, Any]) -> dict[str, Any]:
    """The synthesized policy minus its conditioned statements (see the module docstring), and
    with the tagging API's actions also under moto's name for them: AWS authorizes
    `tag:GetResources`, moto names the action after the SigV4 signing name, `tagging:`."""
    statements = []
    for s in policy["Statement"]:
        if "Condition" in s:
            continue
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        aliases = [f"tagging:{a[4:]}" for a in actions if a.startswith("tag:")]
        statements.append({**s, "Action": actions + aliases})
    return {**policy, "Statement": statements}


def _client(service: str, server: MotoServer, creds: dict[str, str]) -> Any:
    return boto3.client(service, endpoint_url=server.url, region_name=REGION, **creds)


def _keys(c: dict[str, str]) -> dict[str, str]:
    return {
        "aws_access_key_id": c["AccessKeyId"],
        "aws_secret_access_key": c["SecretAccessKey"],
        **({"aws_session_token": c["SessionToken"]} if "SessionToken" in c else {}),
    }


def _env(c: dict[str, str]) -> dict[str, str]:
    env = {"AWS_ACCESS_KEY_ID": c["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"]}
    if "SessionToken" in c:
        env["AWS_SESSION_TOKEN"] = c["SessionToken"]
    return {**env, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}


def _stack_program(name: str) -> Any:
    def program() -> None:
        pulumi.ComponentResource("platform:test:Stack", name)
        pulumi.export("environment", name)
        if name.startswith("pr-"):
            pulumi.export("pr", int(name[3:]))
            pulumi.export("sha", SHAS[name])
            pulumi.export("expiresAt", "2099-01-01T00:00:00Z")
            pulumi.export("url", f"https://{name}.preview.acme.dev")

    return program


def preview_program() -> None:
    """The injected stand-in for __main__.py in `preview up`: it reads staging's outputs
    through a StackReference, as the real preview program does."""
    cfg = pulumi.Config()
    pr = cfg.require_int("pr")
    pulumi.ComponentResource("platform:test:Preview", f"pr-{pr}")
    staging = pulumi.StackReference(f"organization/{PROJECT}/staging")
    pulumi.export("pr", pr)
    pulumi.export("sha", cfg.require("sha"))
    pulumi.export("expiresAt", cfg.require("expiresAt"))
    pulumi.export("environment", staging.get_output("environment"))
    pulumi.export("url", f"https://pr-{pr}.preview.acme.dev")


@dataclass
class Account:
    server: MotoServer
    admin: dict[str, str]
    roles: dict[str, dict[str, str]]  # role -> STS credentials
    policies: dict[str, dict[str, Any]]
    github: GitHubDouble

    @property
    def backend(self) -> str:
        return self.server.backend_url(BUCKET)

    def cli_env(self, role: str) -> dict[str, str]:
        return {
            **_env(self.roles[role]),
            # boto3 (tagging API, lock files) talks to moto; the CLI reads the backend URL.
            "AWS_ENDPOINT_URL": self.server.url,
            "PULUMI_BACKEND_URL": self.backend,
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PREVIEW_WORK_DIR": str(ROOT),
            "PREVIEW_CONFIG_TEMPLATE": str(ROOT / "preview.yaml"),
            "PREVIEW_REPOSITORY": "acme/shop",
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_API_URL": self.github.url,
            "PREVIEW_ZONE": "preview.acme.dev",
            "PREVIEW_LOCK_WAIT_S": "30",
            "PREVIEW_RETRIES": "0",
        }


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory, pulumi_command: Any) -> Iterator[Account]:
    # 3 unauthenticated calls: the admin user, its policy, its key.
    try:
        server = start_moto(tmp_path_factory.mktemp("moto-iam"), no_auth_actions=3, record=True)
    except ServiceError as exc:
        pytest.fail(f"moto test service unavailable: {exc}", pytrace=False)
    anon = {"aws_access_key_id": "bootstrap", "aws_secret_access_key": "bootstrap"}
    iam = _client("iam", server, anon)
    iam.create_user(UserName="admin")
    admin_policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    iam.put_user_policy(
        UserName="admin", PolicyName="admin", PolicyDocument=json.dumps(admin_policy)
    )
    admin = iam.create_access_key(UserName="admin")["AccessKey"]
    akeys = _keys(admin)
    _client("s3", server, akeys).create_bucket(Bucket=BUCKET)

    # The README's layout, written by the real CLI as the admin.
    admin_env = {**_env(admin), "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE}
    for stack in ("bootstrap", "staging", "prod", "pr-1", "pr-2"):
        PulumiAutomation(
            work_dir=ROOT,
            project=PROJECT,
            backend_url=server.backend_url(BUCKET),
            env=admin_env,
            program=_stack_program(stack),
            pulumi_command=pulumi_command,
        ).up(stack, {}, lambda line: None)

    policies = _synthesized_policies()
    aiam = _client("iam", server, akeys)
    sts = _client("sts", server, akeys)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/admin"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    roles = {}
    for role, policy in policies.items():
        arn = aiam.create_role(
            RoleName=f"pp-github-{role}", AssumeRolePolicyDocument=json.dumps(trust)
        )["Role"]["Arn"]
        aiam.put_role_policy(
            RoleName=f"pp-github-{role}",
            PolicyName="state",
            PolicyDocument=json.dumps(_as_moto_sees_it(policy)),
        )
        roles[role] = sts.assume_role(RoleArn=arn, RoleSessionName=f"{role}-engine")["Credentials"]
    with GitHubDouble(token=TOKEN) as github:
        github.open_pr(1, SHAS["pr-1"])
        github.open_pr(2, SHAS["pr-2"], state="closed")
        github.open_pr(3, "3333333cccc")
        try:
            yield Account(server, admin, roles, policies, github)
        finally:
            server.stop()


def _run(account: Account, role: str, *args: str, program: Any = None) -> Result:
    runner = CliRunner()
    patch = pytest.MonkeyPatch()
    # Each command is a process of its own in CI: no boto3 default session (and its cached
    # credentials) carries over from an earlier test or role.
    patch.setattr(boto3, "DEFAULT_SESSION", None)
    if program is not None:
        # The only difference from production: the inline program instead of __main__.py.
        import preview.wiring as wiring

        real = wiring.build_deps

        def build(settings: Any, **kw: Any) -> Any:
            deps = real(settings, **kw)
            deps.automation.program = program  # type: ignore[attr-defined]
            return deps

        patch.setattr(wiring, "build_deps", build)
    try:
        return runner.invoke(cli, list(args), env=account.cli_env(role), catch_exceptions=True)
    finally:
        patch.undo()


def _ok(result: Result) -> str:
    detail = f"exit {result.exit_code}: {result.output[-3000:]}\n{result.exception!r}"
    assert result.exit_code == 0, detail
    return result.output


def test_preview_role_reads_its_stacks_but_not_prod_or_bootstrap(account: Account) -> None:
    """The boundary itself: pr-* and staging state are readable, prod and bootstrap not."""
    # A session of its own, so that these refused probes are not mistaken for the CLI's
    # requests in the recording judged below.
    arn = f"arn:aws:iam::{ACCOUNT}:role/pp-github-preview"
    sts = _client("sts", account.server, _keys(account.admin))
    probe = sts.assume_role(RoleArn=arn, RoleSessionName="probe")["Credentials"]
    s3 = _client("s3", account.server, _keys(probe))
    base = f".pulumi/stacks/{PROJECT}"
    assert s3.get_object(Bucket=BUCKET, Key=f"{base}/pr-1.json")["Body"].read()
    assert s3.get_object(Bucket=BUCKET, Key=f"{base}/staging.json")["Body"].read()
    for stack in ("prod", "bootstrap"):
        with pytest.raises(s3.exceptions.ClientError, match="AccessDenied"):
            s3.get_object(Bucket=BUCKET, Key=f"{base}/{stack}.json")
        with pytest.raises(s3.exceptions.ClientError, match="AccessDenied"):
            s3.put_object(Bucket=BUCKET, Key=f"{base}/{stack}.json", Body=b"{}")


def test_ls_as_the_preview_role(account: Account) -> None:
    out = _ok(_run(account, "preview", "ls", "--json"))
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert sorted(r["pr"] for r in rows) == [1, 2]


def test_up_then_down_as_the_preview_role(account: Account) -> None:
    """`preview up` creates pr-3 (reading staging through a StackReference), `down` removes it."""
    out = _ok(
        _run(account, "preview", "up", "--pr", "3", "--sha", "3333333cccc", program=preview_program)
    )
    assert "pr-3: ready at https://pr-3.preview.acme.dev" in out
    a = PulumiAutomation(
        work_dir=ROOT,
        project=PROJECT,
        backend_url=account.backend,
        env={**_env(account.roles["preview"]), "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE},
        program=preview_program,
    )
    assert a.outputs("pr-3")["environment"] == "staging"
    out = _ok(_run(account, "preview", "down", "--pr", "3"))
    assert "pr-3: destroyed and removed" in out
    assert "pr-3" not in {s.name for s in a.list_stacks()}


def test_reap_dry_run_as_the_reaper_role(account: Account) -> None:
    """pr-2's PR is closed: the reaper would destroy it and keeps pr-1."""
    out = _ok(_run(account, "reaper", "reap", "--dry-run"))
    lines = {ln.split()[0]: ln for ln in out.splitlines() if ln[:1].isdigit()}
    assert "would destroy" in lines["2"] and "keep" in lines["1"]


def test_outputs_of_prod_stay_denied_to_the_preview_role(account: Account) -> None:
    """Through the adapter too: prod's outputs are refused, not silently empty."""
    from contracts.errors import PreviewError

    arn = f"arn:aws:iam::{ACCOUNT}:role/pp-github-preview"
    sts = _client("sts", account.server, _keys(account.admin))
    probe = sts.assume_role(RoleArn=arn, RoleSessionName="probe")["Credentials"]  # see above
    a = PulumiAutomation(
        work_dir=ROOT,
        project=PROJECT,
        backend_url=account.backend,
        env={**_env(probe), "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE},
        program=_stack_program("prod"),
    )
    with pytest.raises(PreviewError):
        a.outputs("prod")


def _s3_action(method: str, path: str, query: dict[str, list[str]]) -> tuple[str, str]:
    """(IAM action, resource ARN) of a path-style S3 request (Service Authorization Reference:
    ListObjectsV2/HeadBucket -> s3:ListBucket on the bucket; Get/HeadObject -> s3:GetObject,
    PutObject, DeleteObject on the object; GetBucketLocation on the bucket)."""
    bucket, _, key = path.lstrip("/").partition("/")
    key = unquote(key)
    if not key:
        if "location" in query:
            return "s3:GetBucketLocation", f"arn:aws:s3:::{bucket}"
        return "s3:ListBucket", f"arn:aws:s3:::{bucket}"
    action = {
        "GET": "s3:GetObject",
        "HEAD": "s3:GetObject",
        "PUT": "s3:PutObject",
        "DELETE": "s3:DeleteObject",
    }[method]
    return action, f"arn:aws:s3:::{bucket}/{key}"


def _recorded(account: Account, role: str) -> list[tuple[str, str]]:
    """The S3 requests moto recorded that were signed with `role`'s credentials."""
    key_id = account.roles[role]["AccessKeyId"]
    out = []
    for line in account.server.recording.read_text().splitlines():
        entry = json.loads(line)
        auth = entry["headers"].get("Authorization", "")
        url = urlparse(entry["url"])
        if f"Credential={key_id}/" not in auth or not url.path.startswith(f"/{BUCKET}"):
            continue
        out.append(_s3_action(entry["method"], url.path, parse_qs(url.query)))
    return out


@pytest.mark.parametrize("role", ["preview", "reaper"])
def test_every_recorded_state_request_is_allowed_by_the_full_policy(
    account: Account, role: str
) -> None:
    """What moto cannot judge (conditions): each S3 request the CLI made as the role, judged
    by AWS's rules against the whole synthesized policy; none touched prod or bootstrap."""
    _ok(_run(account, role, "ls"))  # at least one listing and read in the recording
    requests = _recorded(account, role)
    assert {a for a, _ in requests} >= {"s3:ListBucket", "s3:GetObject"}
    policy = account.policies[role]
    refused = sorted({(a, r) for a, r in requests if not allowed(policy, a, r)})
    assert not refused, f"the {role} role would be refused by AWS: {refused}"
    foreign = sorted(
        {(a, r) for a, r in requests if a != "s3:ListBucket" and ("/prod" in r or "bootstrap" in r)}
    )
    assert not foreign, f"the {role} role touched prod or bootstrap state: {foreign}"
