"""doorstep's writes to OptimoRoute, order by order (contracts/optimoroute.md §5.1, §5.3):
instructions as the order's notes, a disposition as a `[doorstep]` line in the failed order's
notes, a redelivery as a new order `<delivery id>-R<n>` marked with the delivery id, and the
customer's notifications off (`notificationPreference: dont_notify`, §10 ❓). Each one reads
the order first and changes only what differs, so a second run changes nothing; each is read
back with `get_orders`."""

from __future__ import annotations

from datetime import date
from typing import Any

from doorstep.connectors.base import NotReadBack, Write
from doorstep.connectors.http import PlatformError
from doorstep.connectors.optimoroute import orders as o
from doorstep.connectors.optimoroute.account import Account
from doorstep.connectors.optimoroute.client import PLATFORM, chunks

QUIET = "dont_notify"
MAX_REDELIVERIES = 50  # how many `-R<n>` numbers are looked for before making a new one
_COPIED = ("type", "duration", "timeWindows", "priority", "email", "phone", "load1", "load2",
           "load3", "load4", "skills", "vehicleFeatures", "customField1", "customField2",
           "customField3", "customField4", "customFields")
_LOCATION = ("address", "latitude", "longitude", "locationName", "locationNo", "notes")


def current_order(acct: Account, delivery_id: str) -> str:
    """The order the delivery stands for now (its latest redelivery, else its own number)."""
    return acct.book.platform_ids("delivery", [delivery_id]).get(delivery_id, delivery_id)


def read(acct: Account, order_no: str) -> dict[str, Any]:
    found = acct.client.get_orders([order_no]).get(order_no)
    if found is None:
        raise PlatformError(PLATFORM, 200, f"order {order_no} not found", "ERR_ORD_NOT_FOUND")
    return {**o.as_dict(found.get("data")), "id": found.get("id")}


def update(acct: Account, order_no: str, fields: dict[str, Any]) -> None:
    """§5.1 UPDATE: only the fields sent change, and a missing order is an error, not new."""
    acct.client.post("create_order", {"operation": "UPDATE", "orderNo": order_no, **fields})


def instructions(acct: Account, write: Write) -> dict[str, Any]:
    order_no = current_order(acct, write.payload["delivery_id"])
    data = read(acct, order_no)
    wanted = str(write.payload.get("instructions") or "").strip()
    ours = [line for line in str(data.get("notes") or "").splitlines()
            if line.startswith(o.NOTE_PREFIX)]
    notes = "\n".join([wanted, *ours]).strip()
    if o.instructions(data.get("notes")) != (wanted or None):
        update(acct, order_no, {"notes": notes})
        data = read(acct, order_no)
    if o.instructions(data.get("notes")) != (wanted or None):
        raise NotReadBack(f"order {order_no} notes read back as {data.get('notes')!r}")
    return {"orderNo": order_no, "notes": data.get("notes")}


def disposition(acct: Account, write: Write) -> dict[str, Any]:
    p = write.payload
    order_no = _attempted_order(acct, p["delivery_id"], p.get("redelivery_date"))
    line = f"{o.NOTE_PREFIX}disposition: {p['disposition']}"
    if p.get("redelivery_date"):
        line += f" on {p['redelivery_date']}"
    if p.get("notes"):
        line += f" ({' '.join(str(p['notes']).split())})"
    line = line[:500]
    data = read(acct, order_no)
    notes = str(data.get("notes") or "")
    if line not in notes.splitlines():
        update(acct, order_no, {"notes": f"{notes.rstrip()}\n{line}".strip()})
        data = read(acct, order_no)
    if line not in str(data.get("notes") or "").splitlines():
        raise NotReadBack(f"order {order_no} notes do not show {line!r}")
    return {"orderNo": order_no, "notes": data.get("notes")}


def _attempted_order(acct: Account, delivery_id: str, redelivery_date: str | None) -> str:
    """The order of the failed attempt: the current one, unless that is the redelivery this
    disposition asked for (made already), whose predecessor it then is."""
    current = current_order(acct, delivery_id)
    if current == delivery_id or not redelivery_date:
        return current
    data = read(acct, current)
    n = o.redelivery_number(data)
    if n and o.delivery_id(data) == delivery_id and data.get("date") == redelivery_date:
        return delivery_id if n == 1 else f"{delivery_id}-R{n - 1}"
    return current


def silence(acct: Account, write: Write) -> dict[str, Any]:
    order_no = current_order(acct, write.payload["delivery_id"])
    data = read(acct, order_no)
    if data.get("notificationPreference") != QUIET:
        update(acct, order_no, {"notificationPreference": QUIET})
        data = read(acct, order_no)
    if data.get("notificationPreference") != QUIET:
        raise NotReadBack(f"order {order_no} notificationPreference read back as "
                          f"{data.get('notificationPreference')!r}")
    return {"orderNo": order_no, "notificationPreference": QUIET}


def silence_many(acct: Account, order_nos: list[str]) -> set[str]:
    """§5.2 bulk MERGE of `notificationPreference` (no location: nothing to geocode), 500 a
    call; the orders it refused. The next sync reads the orders back and sends again any
    that still would message."""
    refused: set[str] = set()
    for part in chunks(order_nos):
        answer = acct.client.post("create_or_update_orders", {"orders": [
            {"operation": "MERGE", "orderNo": n, "notificationPreference": QUIET}
            for n in part]})
        items = answer.get("orders") or []
        refused.update(n for n, item in zip(part, items, strict=False)
                       if not (isinstance(item, dict) and item.get("success") is True))
        refused.update(part[len(items):])
    return refused


def redelivery(acct: Account, write: Write) -> dict[str, Any]:
    """A new order for the redelivery day, found again by its marker if it was made."""
    delivery_id = write.payload["delivery_id"]
    day = date.fromisoformat(write.payload["date"]).isoformat()
    numbers = [f"{delivery_id}-R{n}" for n in range(1, MAX_REDELIVERIES + 1)]
    made = {n: item.get("data") or {} for n, item in acct.client.get_orders(numbers).items()}
    ours = {n: d for n, d in made.items() if o.delivery_id(d) == delivery_id}
    existing = next((n for n, d in sorted(ours.items()) if d.get("date") == day), None)
    if existing is None:
        taken = [int(n.rsplit("-R", 1)[1]) for n in made]
        existing = f"{delivery_id}-R{max(taken, default=0) + 1}"
        acct.client.post("create_order", _redelivery_body(acct, delivery_id, existing, day,
                                                          write.payload.get("instructions")))
    data = read(acct, existing)
    if o.delivery_id(data) != delivery_id or data.get("date") != day:
        raise NotReadBack(f"order {existing} reads back as {o.field(data, o.MARKER_FIELD)!r} "
                          f"on {data.get('date')!r}")
    acct.book.link("delivery", [(delivery_id, existing)])
    return {"orderNo": existing, "id": data.get("id"), "date": day,
            "notes": data.get("notes")}


def _redelivery_body(acct: Account, delivery_id: str, order_no: str, day: str,
                     said: str | None) -> dict[str, Any]:
    """The failed order again on the new day, with the recipient's instructions."""
    source = read(acct, current_order(acct, delivery_id))
    loc = o.as_dict(source.get("location"))
    body: dict[str, Any] = {k: source[k] for k in _COPIED if source.get(k) not in (None, "")}
    body.update(operation="CREATE", orderNo=order_no, date=day,
                location={k: loc[k] for k in _LOCATION if loc.get(k) not in (None, "")})
    body.setdefault("type", "D")
    notes = str(said or "").strip() or o.instructions(source.get("notes"))
    if notes:
        body["notes"] = notes
    body[o.MARKER_FIELD] = delivery_id
    if acct.ctx.mapping.silence_platform_messages:
        body["notificationPreference"] = QUIET
    elif source.get("notificationPreference"):
        body["notificationPreference"] = source["notificationPreference"]
    return body
