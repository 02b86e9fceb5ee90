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
made by a `Provisioner` (the `pool` stack via the Pulumi Automation API, `PoolStack`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from contracts.errors import UnavailableError, UsageError

State = Literal["provisioning", "free", "claimed", "retiring"]
STATES: tuple[State, ...] = ("provisioning", "free", "claimed", "retiring")
# Attribute names of the slot item (also the DynamoDB schema; the key is `slot`).
CLAIM_FIELDS = ("claim_pr", "claim_run", "claimed_at", "lease_expires_at")
# Each round is one scan and a conditional write per free slot seen; a round is lost only when
# every one of those slots went to another claimer, so the pool drains long before this.
MAX_CLAIM_ROUNDS = 50


@dataclass(frozen=True)
class Slot:
    """One pool slot as the claims store holds it (times are epoch seconds, UTC)."""

    slot: str
    state: State
    created_at: int
    staging_deployed_at: int = 0
    cluster_identifier: str = ""
    endpoint: str = ""
    secret_arn: str = ""
    index_prefix: str = ""
    security_group_id: str = ""
    claim_pr: int | None = None
    claim_run: str = ""
    claimed_at: int | None = None
    lease_expires_at: int | None = None

    def warm_config(self) -> dict[str, str]:
        """What a pr-<N> stack needs to use this slot (stack config key `warmSlot`)."""
        return {
            "slot": self.slot,
            "clusterIdentifier": self.cluster_identifier,
            "endpoint": self.endpoint,
            "secretArn": self.secret_arn,
            "indexPrefix": self.index_prefix,
            "securityGroupId": self.security_group_id,
        }


@dataclass(frozen=True)
class Expect:
    """The condition of one conditional write: the item exists in `state` and, if given, is
    claimed by `pr`, has a lease ending before `lease_before`, or was created at `created_at`."""

    state: State
    pr: int | None = None
    lease_before: int | None = None
    created_at: int | None = None


class ClaimStore(Protocol):
    """Slot items with conditional writes (implemented by `DynamoClaims`)."""

    def scan(self) -> list[Slot]:
        """Every slot, read consistently."""
        ...

    def create(self, slot: Slot) -> bool:
        """Write a new item; False when an item with that key exists already."""
        ...

    def update(
        self, slot: str, expect: Expect, set_: Mapping[str, Any], remove: Iterable[str] = ()
    ) -> bool:
        """Set/remove attributes iff `expect` holds; False when it does not."""
        ...

    def delete(self, slot: str, expect: Expect) -> bool: ...


@dataclass(frozen=True)
class SlotInfo:
    """What the pool stack reports about one provisioned slot (its outputs)."""

    cluster_identifier: str
    endpoint: str
    secret_arn: str
    index_prefix: str
    security_group_id: str


class Provisioner(Protocol):
    """Makes the pool stack hold exactly `slots` (creating new clones, destroying dropped ones)
    and returns the outputs of every slot it holds. Raises on failure; slots it already held
    and still holds are left as they were."""

    def apply(self, slots: Sequence[str]) -> dict[str, SlotInfo]: ...


# --- the claims store over DynamoDB --------------------------------------------------------


class DynamoClaims:
    """`ClaimStore` over one DynamoDB table (partition key `slot`, string).

    Every state change is an UpdateItem/PutItem/DeleteItem with a ConditionExpression; reads
    are consistent scans (a pool is a few dozen items)."""

    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self.table = table

    @staticmethod
    def key_schema() -> dict[str, Any]:
        """CreateTable arguments the `pool` stack (components/pool.py) uses as well."""
        return {
            "AttributeDefinitions": [{"AttributeName": "slot", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "slot", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }

    def scan(self) -> list[Slot]:
        items: list[Slot] = []
        kwargs: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True}
        while True:
            page = self._call("scan", lambda: self._db.scan(**kwargs))
            items += [_from_item(i) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return sorted(items, key=lambda s: s.slot)
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def create(self, slot: Slot) -> bool:
        return self._conditional(
            "put",
            lambda: self._db.put_item(
                TableName=self.table,
                Item=_to_item(slot),
                ConditionExpression="attribute_not_exists(#slot)",
                ExpressionAttributeNames={"#slot": "slot"},
            ),
        )

    def update(
        self, slot: str, expect: Expect, set_: Mapping[str, Any], remove: Iterable[str] = ()
    ) -> bool:
        names, values, cond = _condition(expect)
        parts = []
        sets = []
        for i, (k, v) in enumerate(sorted(set_.items())):
            names[f"#s{i}"] = k
            values[f":s{i}"] = _attr(v)
            sets.append(f"#s{i} = :s{i}")
        if sets:
            parts.append("SET " + ", ".join(sets))
        rem = []
        for i, k in enumerate(sorted(set(remove) - set(set_))):
            names[f"#r{i}"] = k
            rem.append(f"#r{i}")
        if rem:
            parts.append("REMOVE " + ", ".join(rem))
        return self._conditional(
            "update",
            lambda: self._db.update_item(
                TableName=self.table,
                Key={"slot": {"S": slot}},
                UpdateExpression=" ".join(parts),
                ConditionExpression=cond,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            ),
        )

    def delete(self, slot: str, expect: Expect) -> bool:
        names, values, cond = _condition(expect)
        return self._conditional(
            "delete",
            lambda: self._db.delete_item(
                TableName=self.table,
                Key={"slot": {"S": slot}},
                ConditionExpression=cond,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            ),
        )

    def _conditional(self, what: str, fn: Callable[[], Any]) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._call(what, fn)
        except _Conditional:
            return False
        except ClientError:  # pragma: no cover - _call converts every ClientError
            raise
        return True

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn()
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "?"))
            if code == "ConditionalCheckFailedException":
                raise _Conditional() from None
            if code == "ResourceNotFoundException":
                raise UsageError(
                    f"pool table {self.table!r} does not exist",
                    hint="deploy the pool stack (`pulumi up --stack pool`) or set "
                    "PREVIEW_POOL_TABLE to its table",
                ) from None
            if code in ("AccessDenied", "AccessDeniedException"):
                raise UsageError(
                    f"AWS denied dynamodb {what} on {self.table!r} ({code})",
                    hint="grant the role the pool's DynamoDB calls (bootstrap stack)",
                ) from None
            raise UnavailableError(
                f"AWS failed to {what} pool table {self.table!r}: {code}", hint="re-run later"
            ) from None
        except BotoCoreError as exc:
            raise UnavailableError(
                f"cannot reach DynamoDB for pool table {self.table!r}: {exc}", hint="re-run later"
            ) from None


class _Conditional(Exception):
    """A condition expression did not hold (someone else changed the item first)."""


_NUMBERS = {"created_at", "staging_deployed_at", "claim_pr", "claimed_at", "lease_expires_at"}


def _attr(value: Any) -> dict[str, str]:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"pool item values are int or str, got {value!r}")
    return {"N": str(value)} if isinstance(value, int) else {"S": value}


def _to_item(slot: Slot) -> dict[str, dict[str, str]]:
    return {
        k: _attr(v)
        for k, v in slot.__dict__.items()
        if v is not None and not (isinstance(v, str) and v == "" and k != "slot")
    }


def _from_item(item: Mapping[str, Mapping[str, str]]) -> Slot:
    values: dict[str, Any] = {}
    for k, v in item.items():
        if k not in Slot.__dataclass_fields__:
            continue
        values[k] = int(v["N"]) if "N" in v else v.get("S", "")
    return Slot(**values)


def _condition(expect: Expect) -> tuple[dict[str, str], dict[str, Any], str]:
    names = {"#state": "state"}
    values: dict[str, Any] = {":state": {"S": expect.state}}
    parts = ["#state = :state"]
    if expect.pr is not None:
        names["#pr"] = "claim_pr"
        values[":pr"] = {"N": str(expect.pr)}
        parts.append("#pr = :pr")
    if expect.lease_before is not None:
        names["#lease"] = "lease_expires_at"
        values[":lease"] = {"N": str(expect.lease_before)}
        parts.append("#lease < :lease")
    if expect.created_at is not None:
        names["#created"] = "created_at"
        values[":created"] = {"N": str(expect.created_at)}
        parts.append("#created = :created")
    return names, values, " AND ".join(parts)


# --- claims --------------------------------------------------------------------------------


def held_by(store: ClaimStore, pr: int) -> Slot | None:
    return next((s for s in store.scan() if s.state == "claimed" and s.claim_pr == pr), None)


def claim(
    store: ClaimStore,
    pr: int,
    run: str,
    lease_s: int,
    now: int,
    *,
    shuffle: Callable[[list[Slot]], None] = random.shuffle,
) -> Slot | None:
    """One slot for `pr` (the one it holds, else a free one), or None when the pool is empty.

    Free slots are tried in random order so racing claimers spread over the pool instead of all
    fighting for the first item; each attempt is a conditional update that only one can win.
    """
    if lease_s <= 0:
        raise UsageError(
            f"pool lease of {lease_s}s is not positive", hint="set PREVIEW_POOL_LEASE_MINUTES >= 1"
        )
    for _ in range(MAX_CLAIM_ROUNDS):
        slots = store.scan()
        mine = next((s for s in slots if s.state == "claimed" and s.claim_pr == pr), None)
        if mine is not None:
            renewed = renew(store, pr, now + lease_s, run=run, slots=[mine])
            if renewed is not None:
                return renewed
            continue  # the claim ended under us (reaped); look again
        free = [s for s in slots if s.state == "free"]
        if not free:
            return None
        shuffle(free)
        claim_set = {
            "state": "claimed",
            "claim_pr": pr,
            "claim_run": run or "-",
            "claimed_at": now,
            "lease_expires_at": now + lease_s,
        }
        for s in free:
            if store.update(s.slot, Expect("free"), claim_set):
                return replace(
                    s,
                    state="claimed",
                    claim_pr=pr,
                    claim_run=run or "-",
                    claimed_at=now,
                    lease_expires_at=now + lease_s,
                )
        # Every free slot we saw went to someone else; the next scan decides whether any is left.
    raise UnavailableError(
        f"pool: no claim settled after {MAX_CLAIM_ROUNDS} rounds of lost races",
        hint="re-run; if it persists, check the table with `preview pool status`",
    )


def renew(
    store: ClaimStore,
    pr: int,
    lease_expires_at: int,
    *,
    run: str = "",
    slots: Sequence[Slot] | None = None,
) -> Slot | None:
    """Extend the lease of the slot `pr` holds; None when it holds none (any more)."""
    for s in slots if slots is not None else store.scan():
        if s.state != "claimed" or s.claim_pr != pr:
            continue
        set_: dict[str, Any] = {"lease_expires_at": lease_expires_at}
        if run:
            set_["claim_run"] = run
        if store.update(s.slot, Expect("claimed", pr=pr), set_):
            return replace(s, lease_expires_at=lease_expires_at, claim_run=run or s.claim_run)
    return None


def release(store: ClaimStore, pr: int) -> list[str]:
    """End `pr`'s claim: its slot is retired (refill destroys and replaces it). Idempotent."""
    done = []
    for s in store.scan():
        if (
            s.state == "claimed"
            and s.claim_pr == pr
            and _retire(store, s, Expect("claimed", pr=pr))
        ):
            done.append(s.slot)
    return done


def expire(store: ClaimStore, now: int) -> list[Slot]:
    """Retire every slot whose lease ran out (its run died or its preview expired)."""
    out = []
    for s in store.scan():
        lapsed = s.lease_expires_at is not None and s.lease_expires_at < now
        expect = Expect("claimed", pr=s.claim_pr, lease_before=now)
        if s.state == "claimed" and lapsed and _retire(store, s, expect):
            out.append(s)
    return out


def reclaim(store: ClaimStore, open_prs: set[int]) -> list[Slot]:
    """Retire every slot claimed by a PR that is no longer open (the reaper's job)."""
    out = []
    for s in store.scan():
        closed = s.claim_pr is not None and s.claim_pr not in open_prs
        if s.state == "claimed" and closed and _retire(store, s, Expect("claimed", pr=s.claim_pr)):
            out.append(s)
    return out


def _retire(store: ClaimStore, s: Slot, expect: Expect) -> bool:
    return store.update(s.slot, expect, {"state": "retiring"}, remove=CLAIM_FIELDS)


# --- refill and refresh --------------------------------------------------------------------


@dataclass(frozen=True)
class PoolPolicy:
    size: int  # free slots the pool keeps ready
    max_age_s: int  # a free slot older than this is replaced


@dataclass
class RefillResult:
    created: list[str] = field(default_factory=list)
    destroyed: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    error: str = ""


def new_slot_ids(existing: Iterable[str], count: int) -> list[str]:
    """Fresh slot ids `s0001`, `s0002`, ... after the highest one in use (never reused, so a
    replaced slot's clone and its successor never share a physical name)."""
    top = max((int(s[1:]) for s in existing if s[1:].isdigit()), default=0)
    return [f"s{top + i:04d}" for i in range(1, count + 1)]


def stale(s: Slot, policy: PoolPolicy, now: int, staging_deployed_at: int) -> bool:
    return s.created_at + policy.max_age_s <= now or s.created_at < staging_deployed_at


def refill(
    store: ClaimStore,
    provisioner: Provisioner,
    policy: PoolPolicy,
    now: int,
    staging_deployed_at: int = 0,
) -> RefillResult:
    """Bring the pool to `policy.size` free slots and destroy retired ones, in one stack update.

    New slots are written `provisioning` before the update and turn `free` after it, so a
    failed update leaves them for the next refill and never touches the slots already free.
    """
    result = RefillResult()
    slots = store.scan()
    free = [s for s in slots if s.state == "free"]
    pending = [s for s in slots if s.state == "provisioning"]
    missing = max(0, policy.size - len(free) - len(pending))
    for sid in new_slot_ids((s.slot for s in slots), missing):
        if store.create(Slot(sid, "provisioning", created_at=now)):
            pending.append(Slot(sid, "provisioning", created_at=now))
    retiring = [s.slot for s in slots if s.state == "retiring"]
    keep = [s.slot for s in slots if s.state in ("free", "claimed")]
    if not pending and not retiring:
        return result
    try:
        infos = provisioner.apply(sorted(keep + [s.slot for s in pending]))
    except Exception as exc:  # the stack update failed: what was free stays free
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    result.created = _activate(store, pending, infos, now, staging_deployed_at)
    for sid in retiring:
        if store.delete(sid, Expect("retiring")):
            result.destroyed.append(sid)
    return result


def refresh(
    store: ClaimStore,
    provisioner: Provisioner,
    policy: PoolPolicy,
    now: int,
    staging_deployed_at: int = 0,
) -> RefillResult:
    """Replace stale free slots one at a time: make a fresh one, mark it free, then retire and
    destroy the stale one. A failure stops the round with every remaining slot usable."""
    result = refill(store, provisioner, policy, now, staging_deployed_at)
    if result.error:
        return result
    for old in [s for s in store.scan() if s.state == "free"]:
        if not stale(old, policy, now, staging_deployed_at):
            continue
        slots = store.scan()
        (sid,) = new_slot_ids((s.slot for s in slots), 1)
        if not store.create(Slot(sid, "provisioning", created_at=now)):
            continue
        fresh = Slot(sid, "provisioning", created_at=now)
        holding = [s.slot for s in slots if s.state in ("free", "claimed", "retiring")]
        try:
            infos = provisioner.apply(sorted([*holding, sid]))
        except Exception as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            return result
        result.created += _activate(store, [fresh], infos, now, staging_deployed_at)
        # Only a slot still free is retired; one claimed meanwhile stays with its PR and is
        # retired on release like any other.
        if not _retire(store, old, Expect("free", created_at=old.created_at)):
            continue
        try:
            provisioner.apply(sorted(s for s in [*holding, sid] if s != old.slot))
        except Exception as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            return result
        if store.delete(old.slot, Expect("retiring")):
            result.refreshed.append(old.slot)
    return result


def _activate(
    store: ClaimStore,
    pending: Sequence[Slot],
    infos: Mapping[str, SlotInfo],
    now: int,
    staging_deployed_at: int,
) -> list[str]:
    done = []
    for s in pending:
        info = infos.get(s.slot)
        if info is None:
            continue
        values = {
            "state": "free",
            "created_at": now,
            "staging_deployed_at": staging_deployed_at,
            "cluster_identifier": info.cluster_identifier,
            "endpoint": info.endpoint,
            "secret_arn": info.secret_arn,
            "index_prefix": info.index_prefix,
            "security_group_id": info.security_group_id,
        }
        if store.update(s.slot, Expect("provisioning"), values):
            done.append(s.slot)
    return done


# --- status --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    slots: list[Slot]

    def count(self, state: State) -> int:
        return sum(1 for s in self.slots if s.state == state)


def status(store: ClaimStore) -> Status:
    return Status(store.scan())


def rows(slots: Sequence[Slot], now: int) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Table of `preview pool status` / `preview ls`: slot, state, claimed by, age, lease."""
    out = []
    for s in slots:
        by = f"pr-{s.claim_pr} (run {s.claim_run})" if s.claim_pr is not None else "-"
        lease = _age(s.lease_expires_at - now) if s.lease_expires_at is not None else "-"
        out.append((s.slot, s.state, by, _age(now - s.created_at), lease, s.cluster_identifier))
    return ["SLOT", "STATE", "CLAIMED BY", "AGE", "LEASE LEFT", "CLUSTER"], out


def _age(seconds: int) -> str:
    if seconds < 0:
        return "expired"
    h, rem = divmod(seconds, 3600)
    return f"{h}h{rem // 60:02d}m" if h else f"{rem // 60}m"


# --- the pool stack as the provisioner -----------------------------------------------------


class PoolStack:
    """`Provisioner` over the `pool` Pulumi stack: its config is the template (Pulumi.pool.yaml)
    with `slots` set, applied by `pulumi up` through the Automation API adapter."""

    def __init__(self, automation: Any, template: Any, stack: str, out: Callable[[str], None]):
        self.automation = automation
        self.template = template
        self.stack = stack
        self.out = out

    def config(self, slots: Sequence[str]) -> dict[str, Any]:
        cfg = load_pool_template(self.template)
        cfg["slots"] = list(slots)
        return cfg

    def apply(self, slots: Sequence[str]) -> dict[str, SlotInfo]:
        outputs = self.automation.up(self.stack, self.config(slots), self.out)
        raw = outputs.get("slots") or {}
        return {
            sid: SlotInfo(
                cluster_identifier=str(v.get("clusterIdentifier", "")),
                endpoint=str(v.get("endpoint", "")),
                secret_arn=str(v.get("secretArn", "")),
                index_prefix=str(v.get("indexPrefix", "")),
                security_group_id=str(v.get("securityGroupId", "")),
            )
            for sid, v in raw.items()
            if isinstance(v, Mapping)
        }


def load_pool_template(path: Any) -> dict[str, Any]:
    """The pool stack's config template, validated (a ConfigError becomes a UsageError)."""
    from pathlib import Path

    from components import config as stack_cfg
    from preview.stackconfig import read_stack_file

    cfg = read_stack_file(
        Path(path),
        role="pool template",
        missing_hint="create Pulumi.pool.yaml (README, Warm pool) or set PREVIEW_POOL_TEMPLATE",
        secure_placeholder=False,
    )
    try:
        stack_cfg.load("pool", cfg)
    except stack_cfg.ConfigError as exc:
        raise UsageError(f"{path}: {exc.key} {exc.message}", hint=exc.hint) from None
    return cfg


def pool_config(path: Any) -> Any:
    """The typed PoolConfig of the template (size, lifetime, lease, table)."""
    from components import config as stack_cfg

    return stack_cfg.load("pool", load_pool_template(path))


def policy_of(cfg: Any) -> PoolPolicy:
    return PoolPolicy(size=int(cfg.size), max_age_s=int(cfg.max_age_hours * 3600))
