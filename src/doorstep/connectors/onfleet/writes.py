"""What doorstep writes back to Onfleet about a delivery (contracts/onfleet.md §5.2, §5.3,
§7.3, §7.7): its disposition, a new task for a redelivery, the recipient's instructions, and
Onfleet's own SMS to the recipient turned off. Each looks first and writes only what differs
(so doing it again changes nothing), then reads back what it wrote."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from doorstep.connectors.base import NotReadBack, Write
from doorstep.connectors.http import PlatformError
from doorstep.connectors.onfleet import assign, loader
from doorstep.connectors.onfleet import tasks as t
from doorstep.connectors.onfleet.directory import (
    DELIVERY_MARKER,
    REDELIVERY_MARKER,
    REDELIVERY_OF,
    Obj,
    instant,
    meta,
)
from doorstep.connectors.onfleet.keeping import SOURCE
from doorstep.store import platform_links
from doorstep.store.platform_writes import WriteKind

if TYPE_CHECKING:
    from doorstep.connectors.onfleet.connector import OnfleetConnector

DISPOSITION = "doorstep_disposition"
INSTRUCTIONS = "doorstep_instructions"
# A redelivery of a task without a window gets this local window on its day.
REDELIVERY_HOURS = (time(8, 0), time(20, 0))
MAX_NOTES = 10_000
META_FIELDS = ("name", "type", "subtype", "value", "visibility")


def make(c: OnfleetConnector, write: Write) -> dict[str, Any]:
    if write.kind is WriteKind.ASSIGN_ROUTE:
        return assign.assign_route(c, write.payload)
    handlers = {WriteKind.DISPOSITION: disposition, WriteKind.REDELIVERY: redeliver,
                WriteKind.INSTRUCTIONS: instruct, WriteKind.SILENCE_RECIPIENT: silence}
    return handlers[write.kind](c, write.payload)


def get_task(c: OnfleetConnector, task_id: str) -> Obj:
    task = c.client.json("GET", f"/tasks/{loader.path_id(task_id)}")
    if not isinstance(task, dict) or task.get("id") != task_id:
        raise PlatformError(SOURCE, 200, f"GET /tasks/{task_id}: not that task")
    return task


def task_of(c: OnfleetConnector, delivery_id: str) -> Obj:
    """The delivery's task now: the newest one it is linked to."""
    with c.rt.db.reading() as s:
        task_id = platform_links.platform_id(s, SOURCE, "delivery", delivery_id)
    if task_id is None:
        raise PlatformError(SOURCE, 404, f"delivery {delivery_id} has no Onfleet task")
    return get_task(c, task_id)


def with_meta(task: Obj, name: str, kind: str, value: Any) -> list[Obj]:
    """§7.7: a PUT replaces the whole array, so the others are sent back as they were."""
    kept = [{k: m[k] for k in META_FIELDS if k in m} for m in task.get("metadata") or []
            if isinstance(m, dict) and m.get("name") != name]
    return [*kept, {"name": name, "type": kind, "value": value, "visibility": ["api"]}]


def _set_meta(c: OnfleetConnector, task: Obj, name: str, kind: str, value: Any) -> Obj:
    if meta(task, name) != value:
        c.client.json("PUT", f"/tasks/{loader.path_id(task['id'])}",
                      json={"metadata": with_meta(task, name, kind, value)})
    shown = get_task(c, task["id"])
    if meta(shown, name) != value:
        raise NotReadBack(f"task {task['id']} metadata {name} reads {meta(shown, name)!r}")
    return shown


def disposition(c: OnfleetConnector, p: dict[str, Any]) -> dict[str, Any]:
    """On the attempt's task: the disposition in its metadata (a finished task takes nothing
    else, §5.3) and, while it is not finished, a line in its notes for the driver."""
    task = task_of(c, p["delivery_id"])
    earlier = meta(task, REDELIVERY_OF)
    if isinstance(earlier, str) and not t.is_done(task):
        task = get_task(c, earlier)  # decided about the failed attempt, not the new one
    value = {k: p[k] for k in ("disposition", "redelivery_date", "notes") if p.get(k)}
    shown = _set_meta(c, task, DISPOSITION, "object", value)
    if not t.is_done(shown):
        line = f"doorstep: {value['disposition']}" + (
            f" on {value['redelivery_date']}" if value.get("redelivery_date") else "")
        notes = str(shown.get("notes") or "")
        if line not in notes:
            c.client.json("PUT", f"/tasks/{loader.path_id(shown['id'])}",
                          json={"notes": f"{notes}\n{line}".strip()[-MAX_NOTES:]})
            if line not in str(get_task(c, shown["id"]).get("notes") or ""):
                raise NotReadBack(f"task {shown['id']} notes do not hold the disposition")
    return {"task": shown["id"], DISPOSITION: value}


def _window(c: OnfleetConnector, task: Obj, day: date) -> tuple[int, int]:
    """The original window's local times on the new day, else the day's working hours."""
    depot = c.directory.task_depot(task)
    tz = c.directory.timezone(depot)
    start, end = instant(task.get("completeAfter")), instant(task.get("completeBefore"))
    if start and end and end > start:
        first = datetime.combine(day, start.astimezone(tz).timetz().replace(tzinfo=None), tz)
        return int(first.timestamp() * 1000), int((first + (end - start)).timestamp() * 1000)
    a, b = (datetime.combine(day, x, tz) for x in REDELIVERY_HOURS)
    return int(a.timestamp() * 1000), int(b.timestamp() * 1000)


def _new_task_body(c: OnfleetConnector, original: Obj, p: dict[str, Any], marker: str
                   ) -> dict[str, Any]:
    after, before = _window(c, original, date.fromisoformat(p["date"]))
    keep = [{k: m[k] for k in META_FIELDS if k in m} for m in original.get("metadata") or []
            if isinstance(m, dict) and not str(m.get("name", "")).startswith("doorstep_")]
    body: dict[str, Any] = {
        "destination": original["destination"]["id"], "completeAfter": after,
        "completeBefore": before,
        "notes": (p.get("instructions") or original.get("notes") or "")[:MAX_NOTES],
        "metadata": [*keep, *({"name": n, "type": "string", "value": v, "visibility": ["api"]}
                              for n, v in ((DELIVERY_MARKER, p["delivery_id"]),
                                           (REDELIVERY_MARKER, marker),
                                           (REDELIVERY_OF, original["id"])))]}
    people = [r for r in original.get("recipients") or [] if isinstance(r, dict)]
    if people and isinstance(people[0].get("id"), str):
        body["recipients"] = [people[0]["id"]]
    if c.mapping.silence_platform_messages:
        body["recipientSkipSMSNotifications"] = True
    for name in ("quantity", "serviceTime"):
        if isinstance(original.get(name), int | float) and not isinstance(original[name], bool):
            body[name] = original[name]
    team = assign.team_of(c, original)
    if team is not None:  # back to the depot's team for dispatch to plan
        body["container"] = {"type": "TEAM", "team": team}
    return body


def redeliver(c: OnfleetConnector, p: dict[str, Any]) -> dict[str, Any]:
    """A new task for the delivery on the day asked, found by its marker if it was made
    already; the delivery is linked to it."""
    marker = f"{p['delivery_id']}:{p['date']}"
    found = c.client.json("POST", "/tasks/metadata", json=[
        {"name": REDELIVERY_MARKER, "type": "string", "value": marker}])
    made = next((x for x in found or [] if isinstance(x, dict)), None)
    if made is None:
        original = task_of(c, p["delivery_id"])
        loader.for_tasks(c, [original])
        made = c.client.json("POST", "/tasks", json=_new_task_body(c, original, p, marker))
        if not isinstance(made, dict) or not isinstance(made.get("id"), str):
            raise PlatformError(SOURCE, 200, "POST /tasks did not answer a task")
    with c.rt.db.transaction() as s:
        platform_links.put(s, SOURCE, "delivery", p["delivery_id"], made["id"], c.rt.clock.now())
    shown = get_task(c, made["id"])
    if meta(shown, REDELIVERY_MARKER) != marker or \
            meta(shown, DELIVERY_MARKER) != p["delivery_id"]:
        raise NotReadBack(f"task {made['id']} does not carry the redelivery's markers")
    day = instant(shown.get("completeAfter"))
    return {"task": shown["id"], "shortId": shown.get("shortId"),
            "completeAfter": day.isoformat() if day else None, "notes": shown.get("notes")}


def instruct(c: OnfleetConnector, p: dict[str, Any]) -> dict[str, Any]:
    """The task's notes are what its driver reads; a finished task keeps them in metadata."""
    task = task_of(c, p["delivery_id"])
    text = str(p.get("instructions") or "")[:MAX_NOTES]
    if t.is_done(task):
        shown = _set_meta(c, task, INSTRUCTIONS, "string", text)
        return {"task": shown["id"], INSTRUCTIONS: meta(shown, INSTRUCTIONS)}
    if (task.get("notes") or "") != text:
        c.client.json("PUT", f"/tasks/{loader.path_id(task['id'])}", json={"notes": text})
    shown = get_task(c, task["id"])
    if (shown.get("notes") or "") != text:
        raise NotReadBack(f"task {task['id']} notes read {shown.get('notes')!r}")
    return {"task": shown["id"], "notes": shown["notes"]}


def silence(c: OnfleetConnector, p: dict[str, Any]) -> dict[str, Any]:
    """§8: `skipSMSNotifications` on the recipient: no Onfleet SMS on any of their tasks."""
    task = task_of(c, p["delivery_id"])
    people = [r for r in task.get("recipients") or [] if isinstance(r, dict)]
    if not people or not isinstance(people[0].get("id"), str):
        return {"task": task["id"], "recipient": None}  # nobody Onfleet could text
    path = f"/recipients/{loader.path_id(people[0]['id'])}"
    recipient = c.client.json("GET", path)
    if not isinstance(recipient, dict) or recipient.get("skipSMSNotifications") is not True:
        c.client.json("PUT", path, json={"skipSMSNotifications": True})
        recipient = c.client.json("GET", path)
    if not isinstance(recipient, dict) or recipient.get("skipSMSNotifications") is not True:
        raise NotReadBack(f"recipient {people[0]['id']} still gets Onfleet's SMS")
    return {"task": task["id"], "recipient": recipient["id"], "skipSMSNotifications": True}
