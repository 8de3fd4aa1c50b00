"""The Not applied page: payloads kept flagged and refused platform writes, for the operator's
people only."""

from __future__ import annotations

import sqlalchemy as sa

from doorstep.connectors import received
from doorstep.domain.access import Role
from doorstep.store import platform_links, platform_writes
from doorstep.store.platform_writes import WriteKind, WriteStatus
from tests.integration.web.conftest import Site


def keep_some(site: Site) -> None:
    rt = site.rt
    received.flag(rt, "onfleet", "taskCompleted", "onfleet-k1",
                  {"triggerName": "taskCompleted", "data": {"task": "<i>odd</i>"}},
                  "data.task: expected an object")
    now = site.clock.now()
    with rt.db.transaction() as s:
        platform_links.put(s, "onfleet", "delivery", "D-9", "task-9", now)
        platform_writes.queue(s, WriteKind.REDELIVERY, "D-9", {"delivery_id": "D-9"}, "1", now)
        write_id = s.scalar(sa.select(platform_writes.writes.c.id))
        platform_writes.settle(s, write_id, WriteStatus.FAILED, now,
                               error="onfleet answered 400: completeBefore is in the past")


def test_a_dispatcher_sees_what_was_not_applied_and_why(site: Site) -> None:
    keep_some(site)
    page = site.as_role(Role.DISPATCHER).get("/kept")

    assert page.status_code == 200
    assert 'href="/kept">Not applied <span class="count">2</span>' in page.text
    assert "data.task: expected an object" in page.text
    assert "\\u003ci\\u003eodd" in page.text  # the payload as received, made harmless
    assert "<i>odd" not in page.text
    assert "completeBefore is in the past" in page.text
    assert 'href="/deliveries/D-9"' in page.text


def test_nothing_kept_says_so_and_the_navigation_does_not_point_at_it(site: Site) -> None:
    page = site.as_role(Role.ADMIN).get("/kept")

    assert page.status_code == 200
    assert "Everything received was applied." in page.text
    assert 'href="/kept"' not in page.text


def test_a_shippers_people_see_none_of_it(site: Site) -> None:
    keep_some(site)
    page = site.as_role(Role.SHIPPER, "freshcart").get("/kept")

    assert page.status_code == 200
    assert "expected an object" not in page.text
    assert "D-9" not in page.text
    assert 'href="/kept"' not in page.text
