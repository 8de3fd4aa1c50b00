"""Logging in and out over real HTTP: sessions, CSRF, the throttle, disabled users."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from doorstep.access import sessions as session_store
from doorstep.access import users
from doorstep.domain.access import Role
from doorstep.store.tables import login_failures, sessions
from tests.integration.web.conftest import PASSWORD, Site, csrf_of, login


def session_count(site: Site) -> int:
    with site.rt.db.reading() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(sessions)) or 0)


def test_a_user_logs_in_sees_today_and_logs_out(site: Site) -> None:
    site.add_user("dee@example.com", Role.DISPATCHER)
    c = site.client()

    answer = login(c, "DEE@example.com ", PASSWORD, next_path="/today/nyc")
    assert (answer.status_code, answer.headers["location"]) == (303, "/today/nyc")
    cookie = answer.cookies["doorstep_session"]
    assert "httponly" in answer.headers["set-cookie"].lower()
    assert "samesite=lax" in answer.headers["set-cookie"].lower()
    page = c.get("/today/nyc")
    assert page.status_code == 200 and "Today — New York" in page.text

    out = c.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303 and session_count(site) == 0
    again = site.client(cookies={"doorstep_session": cookie}).get("/today")
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(site: Site) -> None:
    site.add_user("dee@example.com", Role.DISPATCHER)

    wrong = login(site.client(), "dee@example.com", "not the password")
    unknown = login(site.client(), "nobody@example.com", "not the password")

    assert wrong.status_code == unknown.status_code == 401
    strip = lambda html: html.replace(csrf_of(html), "")  # noqa: E731
    assert strip(wrong.text).replace("dee@", "x@") == strip(unknown.text).replace("nobody@", "x@")
    assert "Wrong email or password." in wrong.text
    assert session_count(site) == 0


def test_a_login_without_the_forms_csrf_token_is_refused_and_changes_nothing(site: Site) -> None:
    site.add_user("dee@example.com", Role.DISPATCHER)
    c = site.client()
    c.get("/login")

    missing = c.post("/login", data={"email": "dee@example.com", "password": PASSWORD})
    forged = c.post("/login", data={"email": "dee@example.com", "password": PASSWORD,
                                    "csrf_token": "forged"})
    other_browser = site.client().post("/login", data={
        "email": "dee@example.com", "password": PASSWORD,
        "csrf_token": csrf_of(c.get("/login").text)})  # a token, but not this browser's cookie

    assert missing.status_code == forged.status_code == other_browser.status_code == 403
    assert session_count(site) == 0
    with site.rt.db.reading() as s:
        assert users.by_email(s, "dee@example.com").last_login_at is None  # type: ignore[union-attr]


def test_logout_without_csrf_is_refused_and_the_session_lives_on(site: Site) -> None:
    c = site.as_role(Role.DISPATCHER)

    assert c.post("/logout", data={}).status_code == 403
    assert c.get("/today").status_code == 200


def test_repeated_failures_make_everyone_wait_known_or_not_until_the_wait_is_over(
        site: Site) -> None:
    site.add_user("dee@example.com", Role.DISPATCHER)
    c = site.client()
    for _ in range(5):
        assert login(c, "dee@example.com", "guess").status_code == 401
        assert login(c, "ghost@example.com", "guess").status_code == 401

    known = login(c, "dee@example.com", PASSWORD)  # the right password, but too soon
    unknown = login(c, "ghost@example.com", "guess")

    assert known.status_code == unknown.status_code == 429
    assert int(known.headers["retry-after"]) == int(unknown.headers["retry-after"]) == 30
    assert session_count(site) == 0

    site.clock.advance(timedelta(seconds=31))
    assert login(c, "dee@example.com", PASSWORD).status_code == 303
    with site.rt.db.reading() as s:
        keys = set(s.scalars(sa.select(login_failures.c.key)))
    assert "email:dee@example.com" not in keys and "email:ghost@example.com" in keys


def test_disabling_a_user_ends_their_session_at_once(site: Site) -> None:
    site.add_user("dee@example.com", Role.DISPATCHER)
    c = site.login("dee@example.com")
    assert c.get("/today").status_code == 200

    with site.rt.db.transaction() as s:
        users.disable(s, "dee@example.com", site.clock.now())

    assert c.get("/today").status_code == 303
    assert login(site.client(), "dee@example.com", PASSWORD).status_code == 401


def test_a_session_ends_after_its_lifetime(site: Site) -> None:
    c = site.as_role(Role.SUPERVISOR)
    site.clock.advance(session_store.LIFETIME + timedelta(seconds=1))

    answer = c.get("/today/nyc/live", headers={"HX-Request": "true"})
    assert answer.status_code == 204 and answer.headers["hx-redirect"].startswith("/login")


def test_the_login_never_sends_anyone_to_another_site(site: Site) -> None:
    site.add_user("dee@example.com", Role.DISPATCHER)
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        answer = login(site.client(), "dee@example.com", PASSWORD, next_path=target)
        assert (answer.status_code, answer.headers["location"]) == (303, "/today")
