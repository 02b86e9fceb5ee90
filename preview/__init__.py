"""The `preview` CLI: plans, deploys, reports on and reaps per-PR preview environments."""
