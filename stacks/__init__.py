"""The Pulumi program's stack kinds, one module each, each `build(cfg, stack)` from named steps.

`__main__.py` reads the config once (`stacks.runtime.load_config`) and dispatches on its type:
`bootstrap` (GitHub OIDC identity), `long_lived` (staging / prod), `preview` (pr-<N>),
`pool` (the warm database pool).
Imports run downward only: components and contracts, never the CLI (`preview`).
"""
