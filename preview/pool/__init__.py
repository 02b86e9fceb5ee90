"""The warm database pool: clones of staging made ahead of time, claimed atomically by previews.

A slot is one copy-on-write clone of staging (paused `db.serverless` instance, 0 ACU) owned by
the long-lived `pool` stack, plus one item in a DynamoDB table (the claims store) that says who
may use it. The rules, each proved against moto's DynamoDB in tests/pool/:

Claim. `claim(pr, run, lease)` moves one `free` slot to `claimed` with a conditional update
(`#state = free`). DynamoDB evaluates the condition and writes the item as one atomic step (AWS:
"Condition expressions", DynamoDB Developer Guide), so of any number of racing claimers exactly
one wins a slot; the others see ConditionalCheckFailed and try the next one. A PR that already
holds a slot gets it back (re-runs and pushes are idempotent). No free slot: `None`, and the
caller takes the cold path (a clone in the pr-<N> stack).

Lease. A claim carries the PR, the run and `lease_expires_at`. `up` claims with a short lease
(longer than its job can run), then `renew`s it to the preview's expiry once deployed, and every
push renews it again. A lease that runs out means the run died or the preview expired: `expire`
ends the claim. The slot is never handed to another PR: the dead run may have written to it.

Never reused dirty. Releasing (PR closed), expiring or reclaiming (the reaper finds the PR
closed) all move a slot to `retiring`; `refill` destroys retiring slots and makes fresh ones,
cloned from staging as it is then.

Freshness. `refresh` replaces free slots older than `max_age` or made before staging's last
deploy one at a time: the fresh slot is made and marked free before the stale one is retired,
so the pool never drops below its free count. A refill whose stack update fails leaves the new
slots `provisioning` (the next refill finishes them) and every other slot as it was.

The store is a Protocol (`ClaimStore`) with one adapter, `DynamoClaims` (boto3). Slot clones are

Modules: `store` (Slot, Expect, ClaimStore, DynamoClaims), `claims` (claim, renew, release,
expire, reclaim), `refill` (refill, refresh, PoolPolicy, Provisioner), `status` (status, rows),
`stack` (PoolStack, the pool template). This package re-exports their public names.
"""

from __future__ import annotations

from preview.pool.claims import (
    MAX_CLAIM_ROUNDS,
    claim,
    expire,
    held_by,
    reclaim,
    release,
    renew,
)
from preview.pool.refill import (
    PoolPolicy,
    Provisioner,
    RefillResult,
    SlotInfo,
    new_slot_ids,
    refill,
    refresh,
    stale,
)
from preview.pool.stack import PoolStack, load_pool_template, policy_of, pool_config
from preview.pool.status import Status, rows, status
from preview.pool.store import (
    CLAIM_FIELDS,
    STATES,
    ClaimStore,
    DynamoClaims,
    Expect,
    Slot,
    State,
)

__all__ = [
    "CLAIM_FIELDS",
    "MAX_CLAIM_ROUNDS",
    "STATES",
    "ClaimStore",
    "DynamoClaims",
    "Expect",
    "PoolPolicy",
    "PoolStack",
    "Provisioner",
    "RefillResult",
    "Slot",
    "SlotInfo",
    "State",
    "Status",
    "claim",
    "expire",
    "held_by",
    "load_pool_template",
    "new_slot_ids",
    "policy_of",
    "pool_config",
    "reclaim",
    "refill",
    "refresh",
    "release",
    "renew",
    "rows",
    "stale",
    "status",
]
