"""The message template pages over real HTTP: the overview, the editor, the live preview against
a real delivery, saving (CSRF, 422 with the line, nothing stored), reverting, and who may do
what."""

from __future__ import annotations

import re

import httpx
import pytest
import sqlalchemy as sa

from doorstep.domain.access import Role
from doorstep.store.tables import templates
from tests.integration.web.conftest import OTHER_SHIPPER, Site, csrf_of, two_shippers_day

EDITOR = "/templates/failed_attempt"


@pytest.fixture
def day(site: Site) -> Site:
    site.feed(two_shippers_day(site.clock))
    return site


def stored(site: Site) -> list[tuple[str, str, str, str, str, str | None]]:
    with site.rt.db.reading() as s:
        return [(r.scope, r.name, r.language, r.part, r.source, r.updated_by)
                for r in s.execute(sa.select(templates).order_by(templates.c.id))]


def form(page: httpx.Response, **fields: str) -> dict[str, str]:
    values = {"csrf_token": csrf_of(page.text), "scope": "freshcart", "lang": "en",
              "part": "body"}
    return {**values, **fields}


def preview_text(html: str) -> str:
    found = re.search(r'data-preview="text">([^<]*)<', html)
    assert found, html
    return found.group(1)


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([^"]+)">([^<]*)<', html))


def test_the_overview_shows_every_message_type_and_language_per_scope_and_who_saved(
        day: Site) -> None:
    c = day.as_role(Role.DISPATCHER)
    page = c.get(EDITOR, params={"scope": "freshcart", "lang": "es"})
    saved = c.post(EDITOR, data=form(page, lang="es", source="{{ shipper }}: {{ reason_text }}",
                                     action="save"))
    assert saved.status_code == 303

    overview = c.get("/templates")

    assert overview.status_code == 200
    sections = re.findall(r'data-scope="([^"]+)"', overview.text)
    assert sections[0] == "*" and {"freshcart", OTHER_SHIPPER} <= set(sections)
    rows = dict(re.findall(r'data-template="([^"]+)">.*?data-origin="([^"]+)"', overview.text,
                           re.S))
    assert rows["callout_alert.en.body"] == "built-in"
    assert rows["failed_attempt.es.subject"] == "built-in"
    freshcart = overview.text.split('data-scope="freshcart"')[1].split("</section>")[0]
    assert 'data-template="failed_attempt.es.body">' in freshcart
    assert "callout_alert" not in freshcart  # the operator's alerts are the operator's
    assert re.search(r'failed_attempt\.es\.body">.*?saved here.*?(dispatcher-op-\d+@example\.com)',
                     freshcart, re.S)


def test_the_editor_shows_the_words_that_apply_now_the_variables_and_a_preview(day: Site) -> None:
    page = day.as_role(Role.ADMIN).get(EDITOR, params={"scope": "freshcart"})

    assert page.status_code == 200
    assert "Not saved here: the built-in words (en) apply" in page.text
    assert "we tried to deliver your parcel today" in page.text  # the source in the textarea
    for variable in ("shipper", "reason", "reason_text", "attempt"):
        assert f"{{{{ {variable} }}}}" in page.text
    # The picker holds freshcart's deliveries, the failed one chosen, and the preview uses it.
    assert re.search(r'<option value="D-A2" selected>', page.text)
    assert "D-B1" not in page.text
    assert preview_text(page.text).startswith("FreshCart Grocery: we tried to deliver your "
                                              "parcel today but no one was home.")
    assert 'hx-post="/templates/failed_attempt/preview"' in page.text


def test_the_live_preview_uses_the_chosen_delivery_and_shows_encoding_and_segments(
        day: Site) -> None:
    c = day.as_role(Role.DISPATCHER)
    page = c.get(EDITOR, params={"scope": OTHER_SHIPPER})
    ask = form(page, scope=OTHER_SHIPPER, delivery="D-B1",
               source="{{ shipper }}, attempt {{ attempt }}: {{ reason_text }}.")

    plain = c.post(f"{EDITOR}/preview", data=ask, headers={"HX-Request": "true"})
    assert plain.status_code == 200 and "<html" not in plain.text
    assert preview_text(plain.text) == "HomeNest Furniture, attempt 1: we could not get in."
    assert figures(plain.text) == {"encoding": "GSM-7", "segments": "1"}

    accented = c.post(f"{EDITOR}/preview", data={**ask, "source": ask["source"] + " ¿Mañana?"})
    assert figures(accented.text)["encoding"] == "GSM-7"  # ñ and ¿ are in GSM-7 …
    spanish = c.post(f"{EDITOR}/preview", data={**ask, "source": "{{ reason_text }} — ¿cuándo?"})
    assert figures(spanish.text) == {"encoding": "UCS-2", "segments": "1", "ucs2": "— á"}
    emoji = c.post(f"{EDITOR}/preview", data={**ask, "source": "📦 " + "x" * 80})
    assert figures(emoji.text) == {"encoding": "UCS-2", "segments": "2", "ucs2": "📦"}

    spanish_words = c.post(f"{EDITOR}/preview", data={**ask, "lang": "es",
                                                      "source": "{{ reason_text }}"})
    assert preview_text(spanish_words.text) == "no pudimos entrar"
    greeting = c.post(f"{EDITOR}/preview", data={**ask, "source": "Hi {{ first_name }}, "
                                                                 "about {{ delivery_id }}"})
    assert preview_text(greeting.text) == "Hi Bea, about D-B1"


def test_the_preview_reports_an_error_with_its_line(day: Site) -> None:
    c = day.as_role(Role.DISPATCHER)
    page = c.get(EDITOR, params={"scope": "freshcart"})
    broken = c.post(f"{EDITOR}/preview", data=form(page, delivery="D-A2",
                                                   source="Hi {{ shipper }}\n{{ tracking }}"))
    assert broken.status_code == 200  # HTMX swaps 2xx only
    assert "Line 2: unknown variable &#39;tracking&#39;" in broken.text
    assert 'data-preview="text"' not in broken.text


def test_saving_needs_the_forms_csrf_token(day: Site) -> None:
    c = day.as_role(Role.DISPATCHER)
    page = c.get(EDITOR, params={"scope": "freshcart"})
    for token in (None, "forged"):
        fields = form(page, source="{{ shipper }} here", action="save")
        if token is None:
            del fields["csrf_token"]
        else:
            fields["csrf_token"] = token
        assert c.post(EDITOR, data=fields).status_code == 403
        assert c.post(f"{EDITOR}/revert", data=fields).status_code == 403
    assert stored(day) == []


def test_an_invalid_template_comes_back_with_its_line_as_422_and_nothing_is_stored(
        day: Site) -> None:
    c = day.as_role(Role.DISPATCHER)
    page = c.get(EDITOR, params={"scope": "freshcart"})
    for source, expected in [("Hello\n{{ shipper }\n", "Line 2: unexpected &#39;}&#39;"),
                             ("Hello\n\n{{ shiper }}", "Line 3: unknown variable &#39;shiper&#39;"),
                             ("  \n ", "the template is empty"),
                             ("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}"
                              "{% endfor %}", "took longer than 50 ms")]:
        answer = c.post(EDITOR, data=form(page, source=source, action="save", delivery="D-A2"))
        assert answer.status_code == 422, source
        assert expected in answer.text
        assert "<textarea" in answer.text  # the page again, with what was typed
    assert stored(day) == []


def test_a_valid_template_is_saved_with_who_saved_it_then_reverted(day: Site) -> None:
    c = day.as_role(Role.DISPATCHER)
    page = c.get(EDITOR, params={"scope": "freshcart"})
    saved = c.post(EDITOR, data=form(page, source="{{ shipper }}: {{ reason_text }}.\r\nReply.",
                                     action="save", delivery="D-A2"))

    assert saved.status_code == 303
    assert saved.headers["location"] == f"{EDITOR}?scope=freshcart&lang=en&part=body&done=saved"
    [(scope, name, lang, part, source, by)] = stored(day)
    assert (scope, name, lang, part, source) == ("freshcart", "failed_attempt", "en", "body",
                                                 "{{ shipper }}: {{ reason_text }}.\nReply.")
    assert by is not None and by.startswith("dispatcher-op-")
    again = c.get(saved.headers["location"])
    assert "Saved. It applies from the next message sent." in again.text
    assert preview_text(again.text) == "FreshCart Grocery: no one was home.\nReply."

    reverted = c.post(f"{EDITOR}/revert", data=form(again))
    assert reverted.status_code == 303 and stored(day) == []
    assert "built-in words (en) apply" in c.get(reverted.headers["location"]).text


def test_the_preview_button_works_without_javascript(day: Site) -> None:
    c = day.as_role(Role.SUPERVISOR)  # reads, and may preview, but not save
    page = c.get(EDITOR, params={"scope": "freshcart"})
    assert 'value="save"' not in page.text and "readonly" in page.text

    shown = c.post(EDITOR, data=form(page, source="Try {{ attempt }}", action="preview",
                                     delivery="D-A1"))
    assert shown.status_code == 200 and "<html" in shown.text
    assert preview_text(shown.text) == "Try 1"
    assert c.post(EDITOR, data=form(page, source="Try", action="save")).status_code == 403
    assert stored(day) == []


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.LEADERSHIP])
def test_supervisors_and_leadership_read_but_do_not_change(day: Site, role: Role) -> None:
    c = day.as_role(role)
    assert c.get("/templates").status_code == 200
    page = c.get("/templates/callout_alert")
    assert page.status_code == 200 and "Callout:" in page.text
    for path in ("/templates/callout_alert", "/templates/callout_alert/revert"):
        answer = c.post(path, data=form(page, scope="*", source="x", action="save"))
        assert answer.status_code == 403
    assert stored(day) == []


def test_a_shipper_edits_its_own_words_and_nothing_else(day: Site) -> None:
    c = day.as_role(Role.SHIPPER, "freshcart")
    overview = c.get("/templates", params={"scope": "freshcart"})
    assert re.findall(r'data-scope="([^"]+)"', overview.text) == ["freshcart"]
    assert "callout_alert" not in overview.text and OTHER_SHIPPER not in overview.text
    assert c.get("/templates", params={"scope": "*"}).status_code == 404

    page = c.get(EDITOR)
    assert page.status_code == 200 and "FreshCart Grocery" in page.text
    for params in ({"scope": OTHER_SHIPPER}, {"scope": "*"}, {"scope": "nobody"}):
        assert c.get(EDITOR, params=params).status_code == 404
    assert c.get("/templates/callout_alert").status_code == 404
    assert c.get(EDITOR, params={"lang": "fr"}).status_code == 404  # not one of its languages

    # Another shipper's scope, or another shipper's delivery: as if they did not exist.
    theirs = form(page, scope=OTHER_SHIPPER, source="{{ shipper }}", action="save")
    assert c.post(EDITOR, data=theirs).status_code == 404
    assert c.post(f"{EDITOR}/preview", data=theirs).status_code == 404
    assert c.post(f"{EDITOR}/revert", data=theirs).status_code == 404
    assert c.post(f"{EDITOR}/preview", data=form(page, delivery="D-B1",
                                                 source="{{ shipper }}")).status_code == 404
    assert c.post("/templates/callout_alert", data=form(page, scope="*", source="x",
                                                        action="save")).status_code == 404
    assert stored(day) == []

    mine = c.post(EDITOR, data=form(page, source="{{ shipper }} missed you", action="save"))
    assert mine.status_code == 303
    assert [(r[0], r[4]) for r in stored(day)] == [("freshcart", "{{ shipper }} missed you")]
