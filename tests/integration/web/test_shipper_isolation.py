"""A shipper's people and tokens get nothing of another shipper, on every route the app has.

The routes are enumerated from the app itself (mounted sub-applications included), so a new
route cannot be forgotten: one this test does not know how to fill in, or has not classified,
fails it until someone decides what it may show.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from starlette.routing import Mount

from doorstep.domain.access import Role
from doorstep.store.tables import events, messages
from doorstep.web.app import create_app
from tests.integration.web.conftest import OTHER_SHIPPER, Site, two_shippers_day

# What the other shipper's data looks like anywhere it could leak: ids, names, addresses.
THEIRS = ["D-B1", "D-B2", "D-B3", OTHER_SHIPPER, "Bea Other", "Bo Other", "Bi Other",
          "Other Ave", "R-B", "2125557001", "2125557002", "2125557003"]
# Routes that show no operator data at all, to anyone ("/" only leads to /today).
PUBLIC = {"/", "/login", "/healthz", "/readyz", "/webhooks/openapi.json", "/api/v1/openapi.json",
          "/webhooks/onfleet",  # Onfleet's check handshake: echoes the string it is given
          "/t/{token}"}  # the recipient's tracking page: only the token's own delivery
# Routes that change something; each is tested on its own (signatures, CSRF).
WRITES = {("POST", "/login"), ("POST", "/logout"), ("POST", "/webhooks/generic"),
          ("POST", "/webhooks/twilio/status"), ("POST", "/webhooks/twilio/sms"),
          ("POST", "/webhooks/email"),
          ("POST", "/webhooks/circuit"),
          ("POST", "/webhooks/onfleet"),  # test_onfleet_webhooks: signatures
          ("POST", "/inbox/{message_id}/answer"), ("POST", "/inbox/{message_id}/set-aside"),
          # test_template_editor: another shipper's scope or delivery is 404, nothing stored
          ("POST", "/templates/{name}"), ("POST", "/templates/{name}/preview"),
          ("POST", "/templates/{name}/revert"),
          # test_tracking_page: bound to the token's own delivery, bad input changes nothing
          ("POST", "/t/{token}/instructions"), ("POST", "/t/{token}/rating")}
# Routes whose path names a thing of every shipper's and whose query says whose.
THEIRS_BY_QUERY = {"/templates/{name}": {"scope": OTHER_SHIPPER}}
# The operator's own staff and fleet: a shipper is refused them outright.
OPERATIONS = {"/api/v1/drivers", "/api/v1/drivers/{id}"}


def get_routes(app: object, prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every endpoint under `app`: through mounted apps and included routers (FastAPI keeps an
    included router whole, as `original_router`, rather than copying its routes)."""
    for route in app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Mount):
            if route.path != "/static":
                yield from get_routes(route.app, prefix + route.path)
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            context = getattr(route, "include_context", None)
            yield from get_routes(route.original_router,
                                  prefix + (getattr(context, "prefix", "") or ""))


def their_event_id(site: Site) -> int:
    with site.rt.db.reading() as s:
        return int(s.scalar(sa.select(events.c.id).where(events.c.external_id == "cb1")) or 0)


def their_message_id(site: Site) -> str:
    with site.rt.db.reading() as s:
        return str(s.scalar(sa.select(messages.c.id).where(messages.c.shipper_id
                                                           == OTHER_SHIPPER)))


def fill(path: str, site: Site) -> str:
    """The path with each parameter naming the other shipper's thing of that kind."""
    kind = path.removeprefix("/api/v1").split("/")[1]
    values = {"deliveries": "D-B1", "routes": "R-B", "drivers": "DR2", "today": "nyc",
              "events": str(their_event_id(site)), "messages": their_message_id(site),
              "threads": "+12125557001", "templates": "failed_attempt"}

    def one(match: re.Match[str]) -> str:
        assert kind in values, (f"{path}: the isolation test does not know what to put in "
                                f"{{{match.group(1)}}}; teach fill() this kind of route")
        return values[kind]

    return re.sub(r"\{(\w+)\}", one, path)


@pytest.fixture
def day(site: Site) -> Site:
    site.feed(two_shippers_day(site.clock))
    return site


def test_every_route_is_classified(day: Site) -> None:
    app = create_app(day.rt)
    for path, route in get_routes(app):
        methods = route.methods - {"HEAD"}
        if methods != {"GET"}:
            for method in methods:
                assert (method, path) in WRITES, f"{method} {path}: a new route that writes; " \
                                                 "add it to WRITES and test it on its own"


def test_a_shipper_gets_nothing_of_another_shipper_anywhere(day: Site) -> None:
    person = day.as_role(Role.SHIPPER, "freshcart")
    machine = day.bearer(Role.SHIPPER, "freshcart")
    checked = []
    for path, route in get_routes(create_app(day.rt)):
        if route.methods - {"HEAD"} != {"GET"} or path in PUBLIC:
            continue
        url = fill(path, day)
        query = {"shipper": OTHER_SHIPPER} if "{" not in path else THEIRS_BY_QUERY.get(path, {})
        for who, client in (("session", person), ("token", machine)):
            answer = client.get(url, params=query)
            leaked = [marker for marker in THEIRS if marker in answer.text]
            assert not leaked, f"{who} GET {url}: {answer.status_code} shows {leaked}"
            if who == "token" and not path.startswith("/api/"):
                expected = 303  # pages are for people: to the login
            elif path in OPERATIONS:
                expected = 403
            elif "{" in path and not path.startswith("/today"):
                expected = 404  # the same answer as for a thing that does not exist
            else:
                expected = 200
            assert answer.status_code == expected, f"{who} GET {url}: {answer.status_code}"
        checked.append(path)
    assert {"/today", "/deliveries/{delivery_id}", "/routes/{route_id}"} <= set(checked)
    assert {"/api/v1/deliveries", "/api/v1/deliveries/{id}", "/api/v1/events"} <= set(checked)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.DISPATCHER, Role.SUPERVISOR,
                                  Role.LEADERSHIP])
def test_the_operators_roles_do_see_both_shippers(day: Site, role: Role) -> None:
    """The other side of the coin, so the test above cannot pass by showing nothing at all."""
    clients: list[httpx.Client] = [day.as_role(role), day.bearer(role)]
    for client in clients:
        for url in ("/api/v1/deliveries/D-B1", "/api/v1/routes/R-B",
                    f"/api/v1/events/{their_event_id(day)}"):
            answer = client.get(url)
            assert answer.status_code == 200 and "D-B" in answer.text, (url, answer.text)
    page = day.as_role(role).get("/deliveries/D-B1")
    assert page.status_code == 200 and "Bea Other" in page.text and "9 Other Ave" in page.text
