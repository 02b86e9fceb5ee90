"""The preview-platform Pulumi program: one program, three kinds of stack.

* `staging` / `prod`: the long-lived environment (stacks/long_lived.py); staging also owns what
  previews share and exports it.
* `pr-<N>`: a preview built on staging's outputs (stacks/preview.py).
* `bootstrap`: the GitHub OIDC identity (stacks/bootstrap.py).
* `pool`: the warm database pool of staging clones previews claim (stacks/pool.py).

The stack name decides the kind; config is read once into components.config and validated
before any resource is registered.
"""

from __future__ import annotations

import pulumi

from components import config as cfgmod
from stacks import runtime


def main() -> None:
    stack = pulumi.get_stack()
    cfg = runtime.load_config(stack)
    if isinstance(cfg, cfgmod.BootstrapConfig):
        from stacks import bootstrap

        bootstrap.build(cfg)
    elif isinstance(cfg, cfgmod.PreviewConfig):
        from stacks import preview

        preview.build(cfg, stack)
    elif isinstance(cfg, cfgmod.PoolConfig):
        from stacks import pool

        pool.build(cfg, stack)
    else:
        from stacks import long_lived

        long_lived.build(cfg, stack)


main()
