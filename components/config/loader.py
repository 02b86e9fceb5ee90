"""`load(stack, raw)`: the raw `preview-platform:*` values of a stack into its typed config."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from components import naming
from components.config.base import SECRET_KEY, ConfigModel
from components.config.long_lived import LongLivedConfig
from components.config.pool import BootstrapConfig, PoolConfig
from components.config.preview import PreviewConfig
from contracts.constants import NAMESPACE
from contracts.errors import ConfigError

StackConfig = PreviewConfig | LongLivedConfig | BootstrapConfig | PoolConfig
_MODELS: dict[str, type[ConfigModel]] = {
    "preview": PreviewConfig,
    "staging": LongLivedConfig,
    "prod": LongLivedConfig,
    "bootstrap": BootstrapConfig,
    "pool": PoolConfig,
}

_HINTS: dict[str, str] = {
    "pr": "the preview CLI sets it; it must equal N of the stack name pr-<N>",
    "sha": "set sha to the PR head commit (7-40 hex chars)",
    "branch": "set branch to the PR head branch name",
    "expiresAt": "set expiresAt to an ISO-8601 UTC time such as 2030-01-31T12:00:00Z",
    "stagingStack": "set stagingStack to 'org/preview-platform/staging'",
    "app": "describe the app under 'app: {services: [...]}' (see preview.yaml)",
    "loadBalancing": "use 'shared' (default) or 'dedicated'",
    "search": "use 'shared' (default) or 'dedicated' on previews; an object on staging/prod",
    "urlProtection": (
        "use {mode: public} | {mode: ipAllowlist, cidrs: [...]} | {mode: oidc, oidc: {...}}"
    ),
    "spot": "use {enabled: true, onDemandBase: 0}",
    "domainName": "set domainName to the app's public host name",
    "hostedZoneId": "set hostedZoneId to the Route53 zone id holding domainName",
    "previewZone": "staging: set previewZone (e.g. preview.example.com); prod: remove it",
    "githubOrg": "set githubOrg to the GitHub organization or user",
    "githubRepo": "set githubRepo to the repository name",
    "size": "lower size (or previewCap), or raise dbClusterQuota after a Service Quotas increase",
    "slots": "leave slots to `preview pool refill` (ids s0001, s0002, ...)",
    "warmSlot": "leave warmSlot to `preview up` (it copies the claimed slot from the pool table)",
}
# Keys whose values are structured: Pulumi stores them JSON-encoded.
_OBJECT_KEYS = {
    "app",
    "urlProtection",
    "spot",
    "db",
    "search",
    "autoscaling",
    "slots",
    "warmSlot",
}


def _decode(key: str, value: Any) -> Any:
    if isinstance(value, str) and (key in _OBJECT_KEYS or key in {"pr", "azCount", "natPerAz"}):
        stripped = value.strip()
        if stripped[:1] in "{[" or stripped.isdigit() or stripped in ("true", "false"):
            try:
                return json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"{NAMESPACE}:{key}", f"is not valid JSON ({exc.msg})", _hint(key)
                ) from None
    return value


def _hint(key: str) -> str:
    return _HINTS.get(key, f"correct {key} (see Pulumi.staging.yaml and preview.yaml for examples)")


def _strip_namespace(raw: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        ns, sep, short = key.partition(":")
        if sep and ns != NAMESPACE:
            continue  # other namespaces (aws:region, ...) are not ours
        out[short if sep else key] = value
    return out


def load(stack: str, raw: Mapping[str, Any]) -> StackConfig:
    """Validate the raw config of `stack`; raise ConfigError naming the first bad key."""
    try:
        sid = naming.parse_stack(stack)
    except naming.NamingError as exc:
        raise ConfigError("stack", exc.message, exc.hint) from None
    values = {k: _decode(k, v) for k, v in _strip_namespace(raw).items()}
    model = _MODELS[sid.kind]
    if model is LongLivedConfig:
        values.setdefault("kind", sid.kind)
    if values.get("kind") not in (None, sid.kind):
        raise ConfigError(
            f"{NAMESPACE}:kind",
            f"is {values['kind']!r} but stack {stack!r} is a {sid.kind} stack",
            f"remove kind or set it to {sid.kind!r}",
        )
    known = {f.alias or n for n, f in model.model_fields.items()}
    values.pop(SECRET_KEY, None)  # read by __main__ with require_secret, never into the model
    for key in values:
        if key not in known:
            raise ConfigError(
                f"{NAMESPACE}:{key}",
                f"is not a {sid.kind} setting",
                f"remove it; {sid.kind} stacks accept {sorted(known - {'kind'})}",
            )
    try:
        cfg = model.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        top = loc[0] if loc else "?"
        path = ".".join(loc) if loc else "?"
        msg = (
            "is required" if err["type"] == "missing" else err["msg"].removeprefix("Value error, ")
        )
        raise ConfigError(f"{NAMESPACE}:{path}", msg, _hint(top)) from None
    if isinstance(cfg, PreviewConfig) and cfg.pr != sid.pr:
        raise ConfigError(
            f"{NAMESPACE}:pr",
            f"is {cfg.pr} but the stack is {stack!r}",
            f"set pr to {sid.pr} or deploy to stack pr-{cfg.pr}",
        )
    if isinstance(cfg, PoolConfig):
        _check_pool_quota(cfg)
    return cfg  # type: ignore[return-value]


def _check_pool_quota(cfg: PoolConfig) -> None:
    need = cfg.size + 1 + cfg.preview_cap + cfg.long_lived_clusters
    if need > cfg.db_cluster_quota:
        raise ConfigError(
            f"{NAMESPACE}:size",
            f"size {cfg.size} + 1 (refresh) + previewCap {cfg.preview_cap} + longLivedClusters "
            f"{cfg.long_lived_clusters} = {need} DB clusters exceeds dbClusterQuota "
            f"{cfg.db_cluster_quota}",
            _hint("size"),
        )
