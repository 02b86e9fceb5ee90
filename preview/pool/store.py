"""The claims store: one DynamoDB item per pool slot, every state change a conditional write.

`Slot` is the item, `Expect` the condition of one write, `ClaimStore` the port and
`DynamoClaims` its boto3 adapter (the item encoding helpers are below it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from contracts.errors import UnavailableError, UsageError

State = Literal["provisioning", "free", "claimed", "retiring"]
STATES: tuple[State, ...] = ("provisioning", "free", "claimed", "retiring")
# Attribute names of the slot item (also the DynamoDB schema; the key is `slot`).
CLAIM_FIELDS = ("claim_pr", "claim_run", "claimed_at", "lease_expires_at")


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
    # The slot's seeder (components/pool.py): seeds its indices, and cleans them before the
    # slot is destroyed.
    seed_machine_arn: str = ""
    seed_log_group: str = ""
    claim_pr: int | None = None
    claim_run: str = ""
    claimed_at: int | None = None
    lease_expires_at: int | None = None

    def warm_config(self) -> dict[str, str | bool]:
        """What a pr-<N> stack needs to use this slot (stack config key `warmSlot`)."""
        return {
            "slot": self.slot,
            "clusterIdentifier": self.cluster_identifier,
            "endpoint": self.endpoint,
            "secretArn": self.secret_arn,
            "indexPrefix": self.index_prefix,
            "securityGroupId": self.security_group_id,
            # Seeded by its seeder before it turned free (slots made before seeders were not).
            "seeded": bool(self.seed_machine_arn),
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
