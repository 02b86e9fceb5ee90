"""What every stack kind reads from the Pulumi runtime: its typed config, region and account."""

from __future__ import annotations

from typing import Any

import pulumi

from components import config as cfgmod
from contracts.constants import NAMESPACE


def _set_keys() -> set[str]:
    """Keys of our namespace that are set, so load() can name typos such as `loadBalacing`.

    pulumi.Config cannot list keys; the runtime keeps them in its config map (or the
    PULUMI_CONFIG environment variable). Should that internal API move, only known keys are
    read and typos go unreported, which is the SDK's own behaviour.
    """
    try:
        from pulumi.runtime import config as runtime_config

        names = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env() or {})
    except (AttributeError, ImportError, ValueError):
        return set()
    return {k.split(":", 1)[1] for k in names if k.startswith(f"{NAMESPACE}:")}


def _raw_config() -> dict[str, Any]:
    """Every key that is set or that any stack kind knows; load() rejects the ones this kind
    does not accept. Secrets are not read here (see cfgmod.SECRET_KEY)."""
    conf = pulumi.Config(NAMESPACE)
    keys = _set_keys()
    for model in (
        cfgmod.PreviewConfig,
        cfgmod.LongLivedConfig,
        cfgmod.BootstrapConfig,
        cfgmod.PoolConfig,
    ):
        keys |= {f.alias or n for n, f in model.model_fields.items()}
    keys.discard(cfgmod.SECRET_KEY)
    return {k: v for k in sorted(keys) if (v := conf.get(k)) is not None}


def load_config(stack: str) -> cfgmod.StackConfig:
    """The stack's config, validated before any resource is registered."""
    return cfgmod.load(stack, _raw_config())


def region() -> str:
    return pulumi.Config("aws").get("region") or "us-east-1"


def aws_account() -> str:
    import pulumi_aws as aws

    return aws.get_caller_identity().account_id


def two_subnets(subnet_ids: pulumi.Output[Any]) -> list[pulumi.Input[str]]:
    """The first two of staging's subnet ids (one per AZ): where a stack on it places tasks."""
    return [subnet_ids[0], subnet_ids[1]]
