"""The fake Onfleet's ordered task lists (contracts/onfleet.md §5.5, containers replaced or
inserted into) and its task metadata query (§5.3), over real HTTP; the fixtures are the fake's
own test module's."""

# ruff: noqa: F811 (the fixtures are imported from test_fake_onfleet)
from __future__ import annotations

import httpx

from doorstep.sim.fakes.onfleet import FakeOnfleet
from tests.integration.fakes.test_fake_onfleet import (  # noqa: F401 - fixtures
    Receiver,
    api,
    assert_error,
    clock,
    fake,
    receiver,
    task_body,
    team_and_driver,
)


def test_containers_replace_and_insert(fake: FakeOnfleet, api: httpx.Client,
                                       receiver: Receiver) -> None:
    api.post("/webhooks", json={"url": receiver.url, "name": "a", "trigger": 9})
    api.post("/webhooks", json={"url": receiver.url, "name": "u", "trigger": 10})
    _, worker = team_and_driver(api)
    a, b, c = (api.post("/tasks", json=task_body(notes=n)).json()["id"] for n in "abc")
    org_id = fake.org.org["id"]
    assert api.get(f"/containers/organizations/{org_id}").json()["tasks"] == [a, b, c]
    put = api.put(f"/containers/workers/{worker}", json={"tasks": [c, a]})
    assert put.status_code == 200, put.text
    view = put.json()
    assert view["tasks"] == [c, a] and view["type"] == "WORKER" and view["worker"] == worker
    assert api.get(f"/tasks/{a}").json()["container"] == {"type": "WORKER", "worker": worker}
    assert api.get(f"/containers/organizations/{org_id}").json()["tasks"] == [b]
    inserted = api.put(f"/containers/workers/{worker}", json={"tasks": [1, b]}).json()
    assert inserted["tasks"] == [c, b, a]
    replaced = api.put(f"/containers/workers/{worker}", json={"tasks": [a]}).json()
    assert replaced["tasks"] == [a]  # §5.5: left out, back to the organization
    assert api.get(f"/tasks/{b}").json()["state"] == 0
    assert api.get(f"/workers/{worker}").json()["tasks"] == [a]
    assert_error(api.get("/containers/workers/" + "z" * 24), 404, "ResourceNotFound", 1003)
    assert_error(api.put(f"/containers/workers/{worker}", json={"tasks": [a, a]}), 400,
                 "InvalidContent", 1000)
    fake.deliver()
    names = [(p["triggerName"], p["taskId"]) for p in receiver.payloads(fake.webhook_secret)]
    assert names == [("taskAssigned", c), ("taskAssigned", a), ("taskAssigned", b),
                     ("taskUnassigned", c), ("taskUnassigned", b)]


def test_tasks_by_metadata(api: httpx.Client) -> None:
    marker = [{"name": "doorstep_delivery", "type": "string", "value": "D-1"}]
    first = api.post("/tasks", json=task_body(metadata=marker)).json()
    api.post("/tasks", json=task_body())
    found = api.post("/tasks/metadata", json=marker)
    assert found.status_code == 200 and [t["id"] for t in found.json()] == [first["id"]]
    other = [{"name": "doorstep_delivery", "type": "string", "value": "D-2"}]
    assert api.post("/tasks/metadata", json=other).json() == []
    assert_error(api.post("/tasks/metadata", json={}), 400, "InvalidContent", 1000)
