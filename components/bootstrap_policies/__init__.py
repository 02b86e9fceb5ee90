"""The IAM documents of stack `bootstrap` (components/bootstrap.py), as data-building functions.

* `preview.preview_policy`: inline policy of the preview and reaper roles (its IAM part in
  `preview_iam`);
* `pool.pool_policy`, `pool.pool_seeder_policy`: the reaper's managed policies for the warm
  pool and its slots' seeders;
* `boundary.boundary_policy`: the boundary of every role inside a preview;
* `deploy.deploy_policy`: the IAM part of the staging and prod deploy roles;
* `statements`: the statement builders, `trust_policy` and the groups documents share.
"""

from components.bootstrap_policies.boundary import boundary_policy
from components.bootstrap_policies.deploy import deploy_policy
from components.bootstrap_policies.pool import pool_policy, pool_seeder_policy
from components.bootstrap_policies.preview import preview_policy
from components.bootstrap_policies.statements import trust_policy

__all__ = [
    "boundary_policy",
    "deploy_policy",
    "pool_policy",
    "pool_seeder_policy",
    "preview_policy",
    "trust_policy",
]
