"""The typed configuration model: every stack's config is read once into one of these.

Pure pydantic (no pulumi import). `load(stack, raw)` takes the stack name and the raw
`preview-platform:*` config values (strings as Pulumi stores them; objects JSON-encoded) and
returns a `PreviewConfig`, `LongLivedConfig`, `BootstrapConfig` or `PoolConfig`, or raises
`ConfigError` naming the key and the fix before any resource exists.

One module per stack kind (`preview`, `long_lived`, `pool` with bootstrap), the app that all of
them run (`app`), the shared base (`base`) and the reader (`loader`).
"""

from components.config.app import FARGATE_SIZES, AppSpec, ServiceSpec
from components.config.base import SECRET_KEY
from components.config.loader import StackConfig, load
from components.config.long_lived import (
    LOG_RETENTION_DAYS,
    AutoscalingSpec,
    DbSpec,
    LongLivedConfig,
    SearchSpec,
)
from components.config.pool import DEFAULT_DB_CLUSTER_QUOTA, BootstrapConfig, PoolConfig
from components.config.preview import (
    PREVIEW_LOG_RETENTION_DAYS,
    OidcSpec,
    PreviewConfig,
    SpotSpec,
    UrlProtection,
    WarmSlot,
)
from contracts.errors import ConfigError

__all__ = [
    "DEFAULT_DB_CLUSTER_QUOTA",
    "FARGATE_SIZES",
    "LOG_RETENTION_DAYS",
    "PREVIEW_LOG_RETENTION_DAYS",
    "SECRET_KEY",
    "AppSpec",
    "AutoscalingSpec",
    "BootstrapConfig",
    "ConfigError",
    "DbSpec",
    "LongLivedConfig",
    "OidcSpec",
    "PoolConfig",
    "PreviewConfig",
    "SearchSpec",
    "ServiceSpec",
    "SpotSpec",
    "StackConfig",
    "UrlProtection",
    "WarmSlot",
    "load",
]
