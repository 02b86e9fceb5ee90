"""OpenSearch requests as AWS authorizes them, judged on the calls the code really makes.

* `RecordingProxy`: a loopback HTTP proxy in front of the real test node; every request the code
  sends through it is recorded as (method, path) under the caller's label.
* `es_action` / `es_resources`: Amazon OpenSearch Service authorizes each HTTP request as action
  `es:ESHttp<Method>` on `arn:aws:es:<region>:<account>:domain/<name>/<path>`, a request to `/`
  on `domain/<name>/` (Developer Guide, "Identity and Access Management in Amazon OpenSearch
  Service": resource-based policies, subresources). A multi-index path (`/a,b/_search`) is
  matched by AWS as the literal string; here the literal path AND each index alone must be
  allowed, so the model is never laxer than AWS.
* `decide`: one request of one principal, same account. Deny if any applicable statement of the
  identity policies, the permissions boundary or the domain access policy denies. Otherwise the
  boundary must allow (IAM policy evaluation logic), an identity policy must allow (or the
  domain policy must name the role itself), and the domain access policy must hold an Allow that
  applies to the principal: a `:root` principal only delegates to IAM (IAM User Guide, Principal
  element), and requiring the domain's Allow as well is stricter than AWS's same-account union.
* Read from the synthesized graph (`preview.synth.harness.synthesize`): the task role of each ECS
  container, its inline policies and boundary (bootstrap stack), the OpenSearch domain its
  environment points at (by endpoint host) and that domain's access policy.

Not modelled, so the evaluation raises `Undecidable` (the test fails, never passes): NotAction,
NotResource, NotPrincipal, principals other than AWS account/role ARNs or "*", condition
operators tests/bootstrap/iam_eval.py lacks (it raises), managed policies not listed in
`MANAGED_WITHOUT_ES`, a container whose endpoint is no domain of the graph.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from preview.synth.harness import ACCOUNT, Synth, _plausible_state
from tests.bootstrap.iam_eval import allowed

METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE", "PATCH")
# AWS managed policies a task or Lambda role may carry: none grants an es: action (their
# documents list ecr:/logs:/ec2: actions only), so they add nothing to an OpenSearch decision.
MANAGED_WITHOUT_ES = {
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
}
_UNSUPPORTED_KEYS = ("NotAction", "NotResource", "NotPrincipal")


class Undecidable(AssertionError):
    """The evaluator does not model something this decision depends on."""


# --- recording -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query string, percent-decoded


class RecordingProxy:
    """`with RecordingProxy(upstream) as proxy:` point a client at `proxy.url`; `proxy.requests`
    holds what reached the node, in order. Bodies and answers pass through unchanged."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> RecordingProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with proxy._lock:
                    proxy.requests.append(
                        Request(self.command, unquote(urlsplit(self.path).path) or "/")
                    )
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=120)
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "connection", "transfer-encoding")
                }
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for key, value in resp.getheaders():
                    if key.lower() not in ("connection", "transfer-encoding", "content-length"):
                        self.send_header(key, value)
                declared = resp.getheader("Content-Length")
                send_length = declared if self.command == "HEAD" and declared else str(len(data))
                self.send_header("Content-Length", send_length)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


# --- request → action, resources -------------------------------------------------------------


def es_action(method: str) -> str:
    if method not in METHODS:
        raise Undecidable(f"HTTP method {method} has no es:ESHttp action")
    return f"es:ESHttp{method.capitalize()}"


def es_resource(domain_arn: str, path: str) -> str:
    """`/` → `domain/<name>/`; `/a/b` → `domain/<name>/a/b`."""
    return f"{domain_arn}/{path.lstrip('/')}"


def es_resources(domain_arn: str, path: str) -> list[str]:
    """The literal resource, plus one per index of a comma-separated first segment."""
    literal = es_resource(domain_arn, path)
    first, _, rest = path.lstrip("/").partition("/")
    if "," not in first:
        return [literal]
    tail = f"/{rest}" if rest else ""
    return [literal, *(es_resource(domain_arn, f"/{i}{tail}") for i in first.split(",") if i)]


# --- the graph -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    stack: str
    name: str
    arn: str
    endpoint: str
    access_policy: dict[str, Any]
    vpc_only: bool


@dataclass(frozen=True)
class Caller:
    """One container of an ECS task definition: who calls, as which role, with which settings."""

    stack: str
    task: str  # task definition resource name
    container: str
    role: str  # role resource name
    role_arn: str
    env: dict[str, str]
    identity: tuple[dict[str, Any], ...]
    boundary_arn: str | None

    @property
    def principal(self) -> str:
        return f"{self.stack}:{self.role}"


def _doc(value: Any) -> dict[str, Any]:
    doc = json.loads(value) if isinstance(value, str) else value
    if not isinstance(doc, dict) or "Statement" not in doc:
        raise Undecidable(f"not a policy document: {value!r:.200}")
    return doc


def domains(stack: str, synth: Synth) -> list[Domain]:
    out = []
    for r in synth.of_type("aws:opensearch/domain:Domain"):
        state = _plausible_state(r.type, r.name, r.inputs)
        policy = r.inputs.get("accessPolicies")
        if not policy:
            raise Undecidable(f"{stack}: domain {r.name} has no access policy in the graph")
        out.append(
            Domain(
                stack=stack,
                name=str(state["domainName"]),
                arn=str(state["arn"]),
                endpoint=str(state["endpoint"]),
                access_policy=_doc(policy),
                vpc_only=bool((r.inputs.get("vpcOptions") or {}).get("subnetIds")),
            )
        )
    return out


def _role_arn(name: str, inputs: Mapping[str, Any]) -> str:
    return str(_plausible_state("aws:iam/role:Role", name, dict(inputs))["arn"])


def task_callers(stack: str, synth: Synth) -> list[Caller]:
    roles = {_role_arn(r.name, r.inputs): r for r in synth.of_type("aws:iam/role:Role")}
    inline = synth.of_type("aws:iam/rolePolicy:RolePolicy")
    attached = synth.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    callers = []
    for task in synth.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        role_arn = task.inputs.get("taskRoleArn")
        if role_arn is None:
            continue  # no task role: the container cannot sign requests at all
        role = roles.get(str(role_arn))
        if role is None:
            raise Undecidable(f"{stack}: task {task.name} names role {role_arn}, not in the graph")
        ids = {f"{role.name}-id", role.name, str(role.inputs.get("name", role.name))}
        identity = tuple(_doc(p.inputs["policy"]) for p in inline if p.inputs.get("role") in ids)
        for a in attached:
            if a.inputs.get("role") in ids and a.inputs.get("policyArn") not in MANAGED_WITHOUT_ES:
                raise Undecidable(f"{stack}: role {role.name} has managed {a.inputs['policyArn']}")
        containers = task.inputs["containerDefinitions"]
        for c in json.loads(containers) if isinstance(containers, str) else containers:
            env = {e["name"]: str(e["value"]) for e in c.get("environment", [])}
            callers.append(
                Caller(
                    stack=stack,
                    task=task.name,
                    container=str(c["name"]),
                    role=role.name,
                    role_arn=str(role_arn),
                    env=env,
                    identity=identity,
                    boundary_arn=role.inputs.get("permissionsBoundary"),
                )
            )
    return callers


def policies_by_arn(synth: Synth) -> dict[str, dict[str, Any]]:
    """Customer managed policies of a graph (the bootstrap stack's boundary), by their ARN."""
    out = {}
    for r in synth.of_type("aws:iam/policy:Policy"):
        name = r.inputs.get("name", r.name)
        out[f"arn:aws:iam::{ACCOUNT}:policy/{name}"] = _doc(r.inputs["policy"])
    return out


# --- the decision ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    allowed: bool
    why: str
    granted_by: tuple[str, ...] = field(default=())


def _check_supported(doc: Mapping[str, Any], what: str) -> None:
    for s in doc["Statement"]:
        for key in _UNSUPPORTED_KEYS:
            if key in s:
                raise Undecidable(f"{what}: {key} is not modelled")


def _principals(stmt: Mapping[str, Any]) -> list[str]:
    p = stmt.get("Principal")
    if p == "*":
        return ["*"]
    if not isinstance(p, dict) or set(p) != {"AWS"}:
        raise Undecidable(f"domain policy principal {p!r} is not modelled")
    values = p["AWS"] if isinstance(p["AWS"], list) else [p["AWS"]]
    return [str(v) for v in values]


def _split_resource_policy(
    policy: Mapping[str, Any], role_arn: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(statements naming the role itself or "*", statements naming its account)."""
    direct: list[Any] = []
    account: list[Any] = []
    for s in policy["Statement"]:
        for p in _principals(s):
            if p in ("*", role_arn):
                direct.append(s)
            elif p in (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root"):
                account.append(s)

    # Judged as identity-style documents: the principal is already matched, so drop the key.
    def bare(stmts: list[Any]) -> dict[str, Any]:
        return {"Statement": [{k: v for k, v in s.items() if k != "Principal"} for s in stmts]}

    return bare(direct), bare(account)


def _denies(doc: Mapping[str, Any], action: str, resource: str) -> bool:
    deny_only = {
        "Statement": [{**s, "Effect": "Allow"} for s in doc["Statement"] if s["Effect"] == "Deny"]
    }
    return allowed(deny_only, action, resource)


def _granting(docs: Sequence[Mapping[str, Any]], action: str, resource: str) -> list[str]:
    """The Resource patterns of Allow statements that match (how a grant reads in the docs)."""
    out = []
    for doc in docs:
        for s in doc["Statement"]:
            res = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
            for pattern in res:
                if s["Effect"] == "Allow" and allowed(
                    {"Statement": [{**s, "Resource": pattern}]}, action, resource
                ):
                    out.append(str(pattern))
    return out


def decide(
    caller: Caller,
    request: Request,
    domain: Domain,
    boundaries: Mapping[str, Mapping[str, Any]],
) -> Decision:
    action = es_action(request.method)
    boundary: Mapping[str, Any] | None = None
    if caller.boundary_arn is not None:
        if caller.boundary_arn not in boundaries:
            raise Undecidable(f"{caller.principal}: boundary {caller.boundary_arn} not in a graph")
        boundary = boundaries[caller.boundary_arn]
        _check_supported(boundary, "boundary")
    for doc in caller.identity:
        _check_supported(doc, f"{caller.principal} identity policy")
    _check_supported(domain.access_policy, f"{domain.name} access policy")
    direct, account = _split_resource_policy(domain.access_policy, caller.role_arn)
    identity = {"Statement": [s for d in caller.identity for s in d["Statement"]]}
    granted: list[str] = []
    for resource in es_resources(domain.arn, request.path):
        docs: list[Mapping[str, Any]] = [identity, direct, account]
        if boundary is not None:
            docs.append(boundary)
        if any(_denies(d, action, resource) for d in docs):
            return Decision(False, f"explicit Deny of {action} on {resource}")
        if boundary is not None and not allowed(boundary, action, resource):
            return Decision(False, f"permissions boundary does not allow {action} on {resource}")
        by_identity = allowed(identity, action, resource)
        if not (by_identity or allowed(direct, action, resource)):
            return Decision(False, f"no identity policy allows {action} on {resource}")
        if not (allowed(direct, action, resource) or allowed(account, action, resource)):
            return Decision(
                False, f"the domain access policy does not allow {action} on {resource}"
            )
        granted = _granting([identity if by_identity else direct], action, resource)
    return Decision(True, "allowed", tuple(granted))


def domain_for(caller: Caller, url_key: str, known: Sequence[Domain]) -> Domain:
    host = urlsplit(caller.env[url_key]).hostname
    for d in known:
        if d.endpoint == host:
            return d
    raise Undecidable(f"{caller.principal}: {url_key} host {host} is no domain of the graph")
