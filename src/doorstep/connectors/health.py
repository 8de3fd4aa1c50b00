"""Whether each platform answered lately: a readiness warning while it does not, and a record
of when it came back (the sync after that catches up)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from doorstep.store import cursors

if TYPE_CHECKING:
    from doorstep.runtime import Runtime


def _name(platform: str) -> str:
    return f"platform:{platform}:health"


def record(rt: Runtime, platform: str, error: str | None) -> None:
    """After a call to the platform: `error` is None when it answered."""
    now = rt.clock.now()
    with rt.db.transaction() as s:
        previous = _read(cursors.get(s, _name(platform)))
        state = {"ok": error is None, "checked_at": now.isoformat(),
                 "error": error[:300] if error else None,
                 "failing_since": None if error is None else (
                     previous.get("failing_since") or now.isoformat())}
        cursors.put(s, _name(platform), json.dumps(state), now)


def state(rt: Runtime, platform: str) -> dict[str, Any]:
    with rt.db.reading() as s:
        return _read(cursors.get(s, _name(platform)))


def warnings(rt: Runtime, platforms: list[str]) -> dict[str, str]:
    """platform -> what is wrong with it, for the platforms that did not answer last time."""
    out: dict[str, str] = {}
    for platform in platforms:
        st = state(rt, platform)
        if st and not st.get("ok"):
            since = datetime.fromisoformat(st["failing_since"]).strftime("%H:%M UTC")
            out[platform] = f"unreachable since {since}: {st.get('error')}"
    return out


def _read(raw: str | None) -> dict[str, Any]:
    return json.loads(raw) if raw else {}
