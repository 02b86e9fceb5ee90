"""The Pulumi program's stack kinds, one module each, each `build(cfg, stack)`."""
