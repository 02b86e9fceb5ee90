"""Stack listing and locks on a DIY backend (s3://, file://), read from keys the CLI writes.

Locks. A DIY backend marks an update in progress with one JSON file per holder under
`.pulumi/locks/organization/<project>/<stack>/<uuid>.json` holding `pid`, `username`,
`hostname` and `timestamp`; `lock()` reads it and `break_lock()` deletes exactly that file.

Listing. `pulumi stack ls` reads the checkpoint of every stack of the project, which the preview
role may not do for `prod` or `bootstrap` (IAM denies the GetObject, and the whole listing
fails). So `list_stacks()` lists the checkpoint *keys* under `.pulumi/stacks/<project>/` itself
(s3:ListBucket, no object is read): the name comes from the key, the last update from the
object's modification time, "in progress" from the lock keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse

from preview.automation.model import LockInfo, StackSummary, parse_time

SCHEMES = ("file", "s3")
_STACKS = ".pulumi/stacks"
_LOCKS = ".pulumi/locks/organization"


class DiyBackend:
    """The state of one project in a `file://` directory or an `s3://` bucket."""

    def __init__(self, backend_url: str, project: str, env: Mapping[str, str]) -> None:
        self.url = urlparse(backend_url)
        self.project = project
        self.env = env
        base = (self.url.netloc + self.url.path) if self.is_file else self.url.path.lstrip("/")
        # Path (file://) or key prefix (s3://) of the backend's `.pulumi` directory's parent.
        self.base = base.rstrip("/")

    @property
    def is_file(self) -> bool:
        return self.url.scheme == "file"

    def _dir(self, *parts: str) -> str:
        return "/".join(p for p in (self.base, *parts) if p)

    def list_stacks(self) -> list[StackSummary]:
        """Stacks of the project from the checkpoint keys alone (see the module docstring)."""
        stacks_dir = self._dir(_STACKS, self.project)
        locks_dir = self._dir(_LOCKS, self.project)
        checkpoints: dict[str, datetime] = {}
        locked: set[str] = set()
        if self.is_file:
            root = Path(stacks_dir)
            for f in root.iterdir() if root.is_dir() else []:
                name = _checkpoint_name(f.name)
                if name:
                    checkpoints[name] = datetime.fromtimestamp(f.stat().st_mtime, UTC)
            lroot = Path(locks_dir)
            for d in lroot.iterdir() if lroot.is_dir() else []:
                if any(d.glob("*.json")):
                    locked.add(d.name)
        else:
            s3 = self.s3()
            for obj in _list_keys(s3, self.url.netloc, stacks_dir + "/"):
                name = _checkpoint_name(obj["Key"][len(stacks_dir) + 1 :])
                if name:
                    checkpoints[name] = obj["LastModified"]
            for obj in _list_keys(s3, self.url.netloc, locks_dir + "/"):
                rest = obj["Key"][len(locks_dir) + 1 :]
                if rest.endswith(".json") and "/" in rest:
                    locked.add(rest.split("/", 1)[0])
        return [
            StackSummary(
                name=name,
                last_update=parse_time(when),
                update_in_progress=name in locked,
                resource_count=None,
            )
            for name, when in sorted(checkpoints.items())
        ]

    def lock(self, stack: str) -> LockInfo | None:
        lock_dir = self._dir(_LOCKS, self.project, stack)
        if self.is_file:
            files = sorted(Path(lock_dir).glob("*.json")) if Path(lock_dir).is_dir() else []
            return _parse_lock(files[0].read_text(), str(files[0])) if files else None
        s3 = self.s3()
        keys = sorted(
            o["Key"]
            for o in _list_keys(s3, self.url.netloc, lock_dir + "/")
            if o["Key"].endswith(".json")
        )
        if not keys:
            return None
        body = s3.get_object(Bucket=self.url.netloc, Key=keys[0])["Body"].read().decode()
        return _parse_lock(body, keys[0])

    def break_lock(self, lock: LockInfo) -> None:
        if self.is_file:
            Path(lock.key).unlink(missing_ok=True)
        else:
            self.s3().delete_object(Bucket=self.url.netloc, Key=lock.key)

    def s3(self) -> Any:
        """An S3 client for the backend bucket, honouring the URL's endpoint/region parameters
        (the query string the Pulumi CLI itself understands: endpoint, disableSSL, region,
        s3ForcePathStyle) and the credentials in `env`."""
        import boto3
        from botocore.config import Config

        query = dict(parse_qsl(self.url.query))
        kwargs: dict[str, Any] = {}
        if query.get("endpoint"):
            scheme = "http" if query.get("disableSSL", "").lower() == "true" else "https"
            endpoint = query["endpoint"]
            kwargs["endpoint_url"] = endpoint if "://" in endpoint else f"{scheme}://{endpoint}"
        if query.get("region") or self.env.get("AWS_REGION"):
            kwargs["region_name"] = query.get("region") or self.env.get("AWS_REGION")
        if query.get("s3ForcePathStyle", "").lower() == "true":
            kwargs["config"] = Config(s3={"addressing_style": "path"})
        for key, env in (
            ("aws_access_key_id", "AWS_ACCESS_KEY_ID"),
            ("aws_secret_access_key", "AWS_SECRET_ACCESS_KEY"),
            ("aws_session_token", "AWS_SESSION_TOKEN"),
        ):
            if self.env.get(env):
                kwargs[key] = self.env[env]
        # A fresh session reads the credentials the environment holds now (boto3's default
        # session caches the first ones it resolved).
        return boto3.session.Session().client("s3", **kwargs)


def _list_keys(s3: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out.extend(page.get("Contents", []))
    return out


def _checkpoint_name(filename: str) -> str | None:
    """`pr-12.json` or `pr-12.json.gz` -> `pr-12`; backups, history and subfolders -> None."""
    if "/" in filename:
        return None
    for suffix in (".json", ".json.gz"):
        if filename.endswith(suffix):
            return filename[: -len(suffix)] or None
    return None


def _parse_lock(text: str, key: str) -> LockInfo:
    data = json.loads(text)
    host = str(data.get("hostname", ""))
    return LockInfo(
        holder=f"{data.get('username', '?')}@{host}",
        hostname=host,
        pid=int(data.get("pid", 0)),
        acquired_at=parse_time(data.get("timestamp")) or datetime.fromtimestamp(0, UTC),
        key=key,
    )
