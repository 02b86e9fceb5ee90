"""The one reader of Pulumi stack files and of the `preview.yaml` template, and the config of a
`pr-<N>` stack built from it.

Keys of our namespace are kept short (`app`, not `preview-platform:app`) so that overriding one
(as the naive design does) never leaves a second, namespaced copy behind; other namespaces
(`aws:region`) stay qualified. Encrypted `secure:` values cannot be decrypted offline: `synth`
gets a placeholder, `up` passes them on as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contracts.constants import NAMESPACE
from contracts.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from preview.settings import Settings

# Stand-in for `secure:` values, which cannot be decrypted offline.
SECRET_PLACEHOLDER = "synth-placeholder-secret"
STACK_FILE_HINT = "pass --config with a Pulumi stack file, or run from the repository root"
TEMPLATE_HINT = "create preview.yaml (see docs) or set PREVIEW_CONFIG_TEMPLATE to its path"


class ConfigFileError(UsageError):
    """The config file is missing or not a Pulumi stack file."""


def short_key(key: str) -> str:
    ns, sep, rest = key.partition(":")
    return rest if sep and ns == NAMESPACE else key


def read_stack_file(
    path: Path,
    *,
    role: str = "config file",
    missing_hint: str = STACK_FILE_HINT,
    secure_placeholder: bool = True,
) -> dict[str, Any]:
    """The `config:` map of a Pulumi stack file, keys shortened.

    `role` and `missing_hint` name the file as its caller knows it (a `--config` file, the
    PREVIEW_CONFIG_TEMPLATE); `secure:` values become SECRET_PLACEHOLDER unless
    `secure_placeholder` is false.
    """
    import yaml

    if not path.is_file():
        raise ConfigFileError(f"{role} {str(path)!r} not found", hint=missing_hint)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigFileError(
            f"{role} {str(path)!r} is not valid YAML ({exc})",
            hint="fix the YAML syntax at the position shown",
        ) from None
    config = doc.get("config", {}) if isinstance(doc, dict) else None
    if not isinstance(config, dict):
        raise ConfigFileError(
            f"{role} {str(path)!r} has no 'config:' map",
            hint="write it like a Pulumi stack file: 'config:' followed by key: value lines",
        )
    out: dict[str, Any] = {}
    for key, value in config.items():
        if secure_placeholder and isinstance(value, dict) and set(value) == {"secure"}:
            value = SECRET_PLACEHOLDER
        out[short_key(str(key))] = value
    return out


def cli_keys(pr: int, sha: str, branch: str, expires_at: datetime) -> dict[str, Any]:
    """The keys the preview CLI sets on every `pr-<N>` stack; they win over the template."""
    return {
        "pr": pr,
        "sha": sha,
        "branch": branch,
        "expiresAt": expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def with_app_image(config: Mapping[str, Any], image: str) -> dict[str, Any]:
    """App services that name no image run `image` (CI passes the PR's pushed app image)."""
    out = dict(config)
    if image and isinstance(out.get("app"), dict):
        app = dict(out["app"])
        app["services"] = [
            {**svc, "image": svc.get("image") or image} for svc in app.get("services", [])
        ]
        out["app"] = app
    return out


def stack_config(
    settings: Settings, pr: int, sha: str, branch: str, expires_at: datetime
) -> dict[str, Any]:
    """The `preview.yaml` template with the CLI's keys merged over it, validated."""
    from components import config as stack_cfg
    from components import naming

    template = read_stack_file(
        settings.config_template,
        role="config template",
        missing_hint=TEMPLATE_HINT,
        secure_placeholder=False,
    )
    cfg = with_app_image(template, settings.app_image)
    cfg.update(cli_keys(pr, sha, branch, expires_at))
    if settings.staging_stack:
        cfg["stagingStack"] = settings.staging_stack
    cfg.setdefault("aws:region", settings.aws_region)
    try:
        stack_cfg.load(naming.stack_name(pr), cfg)
    except ConfigError as exc:
        raise UsageError(
            f"{settings.config_template}: {exc.key} {exc.message}", hint=exc.hint
        ) from None
    return cfg
