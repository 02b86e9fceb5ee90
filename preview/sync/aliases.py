"""The aliases and versions of `preview sync`'s indices, moved and deleted with index-scoped
calls only (`/<prefix>.../...`), the only paths a preview's role is granted on a shared domain."""

from __future__ import annotations

import re

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import NotFoundError, TransportError

from contracts.errors import UnavailableError
from preview.sync.client import Progress, check_prefix, describe_error, hint_for, stderr_progress


def _version_pattern(prefix: str, name: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(prefix + name)}-\d{{20}}$")


def _versions(client: OpenSearch, prefix: str, name: str) -> list[str]:
    pattern = _version_pattern(prefix, name)
    try:
        found = client.indices.get(index=f"{prefix}{name}-*", params={"expand_wildcards": "all"})
    except NotFoundError:
        return []
    return sorted(i for i in found if pattern.match(i))


def alias_holders(client: OpenSearch, alias: str) -> list[str]:
    # GET /<alias>/_alias/<alias>, not GET /_alias/<alias>: AWS authorizes a request on
    # `domain/<name>/<path>`, and a preview's role is granted its own `<prefix>*` paths only.
    try:
        return sorted(client.indices.get_alias(index=alias, name=alias))
    except NotFoundError:
        return []


def swap_aliases(client: OpenSearch, moves: dict[str, str], progress: Progress) -> None:
    """Point every alias of `moves` (alias → new index) at its new index: all of them or none.

    Index-scoped calls only: POST /_aliases would swap atomically, but it is a cluster-level path,
    and granting it lets a role move or remove any alias of the shared domain, other previews'
    included. So the run first adds every alias to its new index (PUT /<new>/_alias/<alias>),
    then removes the old holders (DELETE /<old>/_alias/<alias>); in between an alias reads two
    complete versions, never a missing or partial one.

    A failed add is judged by the live aliases, read back before anything is deleted: a reply
    lost after the add applied counts as done; an add certainly not applied undoes the run's
    adds and deletes its new indices (the old aliases stay as they were); an outcome that cannot
    be read deletes nothing (an alias must never point at a deleted index).
    """
    old = {
        alias: [i for i in alias_holders(client, alias) if i != new] for alias, new in moves.items()
    }
    added: list[tuple[str, str]] = []
    for alias, index in moves.items():
        try:
            client.indices.put_alias(index=index, name=alias)
        except (OSConnectionError, TransportError) as exc:
            state = _add_outcome(client, alias, index)
            if state == "unknown":
                raise _kept(
                    f"the alias swap's outcome is unknown ({describe_error(exc)}; the live "
                    "aliases could not be read back), so",
                    moves,
                    "; it deletes versions no alias holds",
                ) from None
            if state == "not applied":
                _undo_adds(client, added, moves, exc)
            progress(f"warning: the reply to adding {alias} was lost ({describe_error(exc)}); "
                     "the live aliases show it applied")  # fmt: skip
        added.append((alias, index))
    for alias, holders in old.items():
        for index in holders:
            try:
                client.indices.delete_alias(index=index, name=alias)
            except NotFoundError:
                pass  # removed meanwhile (its index deleted): that is the goal
            except (OSConnectionError, TransportError) as exc:
                # Published: the alias also still reads the older complete version until the
                # next run, which removes every holder but its own.
                progress(f"warning: {alias} still holds {index}: {describe_error(exc)}")


def _add_outcome(client: OpenSearch, alias: str, index: str) -> str:
    """'applied', 'not applied' or 'unknown' (the live alias could not be read)."""
    try:
        return "applied" if index in alias_holders(client, alias) else "not applied"
    except (OSConnectionError, TransportError):
        return "unknown"


def _kept(why: str, moves: dict[str, str], hint_tail: str = "") -> UnavailableError:
    """The swap stopped where deleting anything could leave an alias on a deleted index."""
    return UnavailableError(
        f"{why} nothing was deleted; new indices kept: {sorted(moves.values())}",
        hint=f"re-run `preview sync` once OpenSearch answers{hint_tail}",
    )


def _undo_adds(
    client: OpenSearch, added: list[tuple[str, str]], moves: dict[str, str], failure: Exception
) -> None:
    """Take the run's adds back, then delete its new indices; raise why the run did not publish."""
    try:
        for alias, index in added:
            client.indices.delete_alias(index=index, name=alias)
    except (OSConnectionError, TransportError) as exc:
        raise _kept(
            f"OpenSearch did not move every alias ({describe_error(failure)}) and undoing the "
            f"others failed ({describe_error(exc)});",
            moves,
        ) from None
    for index in moves.values():
        delete_quietly(client, index)
    raise UnavailableError(
        f"OpenSearch did not move the aliases: {describe_error(failure)}; every alias still "
        "points at its previous index and the new indices were deleted",
        hint=hint_for(failure),
    )


def delete_unaliased_versions(
    client: OpenSearch, prefix: str, name: str, alias: str, keep: str, progress: Progress
) -> list[str]:
    """Delete older versions of one index, re-reading the live alias first: never its holder."""
    deleted: list[str] = []
    try:
        live = set(alias_holders(client, alias))
        for old in _versions(client, prefix, name):
            if old != keep and old not in live:
                client.indices.delete(index=old)
                deleted.append(old)
    except (OSConnectionError, TransportError) as exc:
        # The run is published; a leftover version only costs space until the next run.
        progress(f"warning: could not delete older versions of {alias}: {describe_error(exc)}")
    return deleted


def delete_quietly(client: OpenSearch, index: str) -> None:
    try:
        client.indices.delete(index=index, params={"ignore_unavailable": "true"})
    except Exception as exc:
        stderr_progress(f"warning: could not delete half-built index {index}: {exc}")


def delete_prefix(client: OpenSearch, prefix: str) -> list[str]:
    """Delete every index whose name starts with `prefix` (aliases go with them)."""
    check_prefix(prefix)
    try:
        found = client.indices.get(index=f"{prefix}*", params={"expand_wildcards": "all"})
    except NotFoundError:
        return []
    names = sorted(i for i in found if i.startswith(prefix))
    # Explicit names, never a wildcard delete: shared domains set destructive_requires_name.
    for i in range(0, len(names), 50):
        client.indices.delete(index=",".join(names[i : i + 50]))
    return names
