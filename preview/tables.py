"""Plain text tables for `preview ls` and `preview reap`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from preview.domain import Preview


def table(headers: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """A plain, aligned text table."""
    head = [str(h) for h in headers]
    body = [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in body]
    return "\n".join(lines)


def _age(delta: timedelta) -> str:
    secs = int(delta.total_seconds())
    sign = "-" if secs < 0 else ""
    secs = abs(secs)
    if secs >= 86400:
        return f"{sign}{secs // 86400}d{(secs % 86400) // 3600}h"
    if secs >= 3600:
        return f"{sign}{secs // 3600}h{(secs % 3600) // 60}m"
    return f"{sign}{secs // 60}m"


def ls_table(rows: list[Preview], now: datetime) -> tuple[list[str], list[list[str]]]:
    """Headers and cells of `preview ls`: age since the last update, time left until expiry."""
    headers = ["PR", "SHA", "AGE", "EXPIRES IN", "URL", "SMOKE", "COST/DAY"]
    cells = [
        [
            str(p.pr),
            p.sha[:12],
            _age(now - p.updated_at) if p.updated_at else "?",
            _age(p.expires_at - now) if p.expires_at else "?",
            p.url or "-",
            p.smoke or "-",
            f"${p.cost_per_day_usd:.2f}" if p.cost_per_day_usd is not None else "-",
        ]
        for p in rows
    ]
    return headers, cells
