"""GET /templates (every message type and language, per scope, and whose words apply),
GET /templates/{name} (the editor), POST /templates/{name}/preview (the live preview: a
fragment), POST /templates/{name} (save; or, from the Preview button when there is no
JavaScript, the page with its preview) and POST /templates/{name}/revert.

Who may do what: see template_access.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from doorstep.domain.access import Principal
from doorstep.messaging import saved, templates
from doorstep.messaging.limits import TIME_LIMIT_MS
from doorstep.messaging.render import BUILT_IN, candidates
from doorstep.read import template_previews as read
from doorstep.runtime import Runtime
from doorstep.store.tables import users
from doorstep.web import auth
from doorstep.web.pages.common import render
from doorstep.web.pages.template_access import (
    Editing,
    editing,
    kinds_in,
    languages_of,
    visible_scopes,
)

MAX_FORM_BYTES = 64 * 1024  # a template is at most 10,000 characters
Param = Annotated[str | None, Query(max_length=128)]


@dataclass(frozen=True)
class Applies:
    """Whose words a template key uses now, and in which language."""

    origin: str  # the key's own scope, OPERATOR, or BUILT_IN
    language: str
    source: str | None
    saved_row: Any | None = None


def applies(key: saved.Key, snapshot: saved.SavedTemplates, rows: dict[Any, Any]) -> Applies:
    shipper = None if key.scope == saved.OPERATOR else key.scope
    for origin, lang, source in candidates(key.name, key.language, key.part, shipper, snapshot):
        return Applies(origin, lang, source, rows.get((origin, key.name, lang, key.part)))
    return Applies(BUILT_IN, key.language, None)


def editor_url(key: saved.Key, **extra: str) -> str:
    query = {"scope": key.scope, "lang": key.language, "part": key.part, **extra}
    return f"/templates/{key.name}?{urlencode(query)}"


@dataclass
class Preview:
    check: templates.Check
    delivery_id: str | None


def preview(s: Session, e: Editing, source: str, delivery_id: str | None,
            who: Principal) -> Preview:
    """The source checked against the chosen delivery's values (or the sample)."""
    if e.kind.subject_kind != "delivery" or not delivery_id:
        return Preview(templates.check(e.key, source), None)
    found = read.delivery_values(s, delivery_id, e.kind.name, e.scope.shipper_id, who)
    if found is None:
        raise HTTPException(404, "no such delivery")
    return Preview(templates.check(e.key, source, context=found.values,
                                   shipper_name=found.shipper_name,
                                   against=f"delivery {delivery_id}"), delivery_id)


def _snapshot(s: Session, scopes: list[str]) -> tuple[saved.SavedTemplates, dict[Any, Any]]:
    rows = {(r.scope, r.name, r.language, r.part): r for r in saved.rows(s, scopes)}
    return saved.SavedTemplates({k: r.source for k, r in rows.items()}), rows


async def _form(request: Request) -> dict[str, str]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise HTTPException(413, f"the form is larger than {MAX_FORM_BYTES:,} bytes")
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(include_in_schema=False)
    operator_name = rt.operator.operator.name

    @api.get("/templates")
    async def overview(request: Request, v: auth.PageVisitor, scope: Param = None) -> Response:
        def load() -> list[tuple[Any, list[dict[str, Any]]]]:
            with rt.db.reading() as s:
                scopes = visible_scopes(s, v.principal, operator_name)
                if scope is not None:
                    scopes = [x for x in scopes if x.id == scope]
                    if not scopes:
                        raise HTTPException(404, "no such scope")
                snapshot, rows = _snapshot(s, [saved.OPERATOR, *(x.id for x in scopes)])
            sections = []
            for sc in scopes:
                entries = []
                for kind in kinds_in(sc):
                    for lang in languages_of(kind, sc):
                        for part in kind.parts:
                            key = saved.Key(sc.id, kind.name, lang, part)
                            entries.append({"kind": kind, "key": key, "url": editor_url(key),
                                            "applies": applies(key, snapshot, rows)})
                sections.append((sc, entries))
            return sections

        sections = await run_in_threadpool(load)
        return render(rt, request, "templates_overview.html", v, sections=sections,
                      operator_scope=saved.OPERATOR, built_in=BUILT_IN)

    def page(request: Request, v: auth.Visitor, e: Editing, source: str, shown: Preview,
             deliveries: list[Any], status_code: int = 200, notice: str | None = None,
             now_applies: Applies | None = None) -> Response:
        return render(rt, request, "template_edit.html", v, status_code=status_code, e=e,
                      source=source, p=shown.check, delivery_id=shown.delivery_id,
                      deliveries=deliveries, notice=notice, applies=now_applies,
                      operator_scope=saved.OPERATOR, time_limit=TIME_LIMIT_MS,
                      other_keys=[saved.Key(e.key.scope, e.kind.name, lang, part)
                                  for lang in e.languages for part in e.kind.parts])

    def _picker(s: Session, e: Editing) -> list[Any]:
        if e.kind.subject_kind != "delivery":
            return []
        return read.recent_deliveries(s, e.scope.shipper_id)

    @api.get("/templates/{name}")
    async def editor(request: Request, name: str, v: auth.PageVisitor, scope: Param = None,
                     lang: Param = None, part: Param = None, delivery: Param = None,
                     done: Param = None) -> Response:
        def load() -> Response:
            with rt.db.reading() as s:
                e = editing(s, v.principal, operator_name, name, scope, lang, part)
                snapshot, rows = _snapshot(s, [saved.OPERATOR, e.key.scope])
                now = applies(e.key, snapshot, rows)
                picker = _picker(s, e)
                source = now.source or ""
                shown = preview(s, e, source, delivery or read.default_delivery(picker),
                                v.principal)
            notice = {"saved": "Saved. It applies from the next message sent.",
                      "reverted": "Back to the default: the words below apply now."}.get(done or "")
            return page(request, v, e, source, shown, picker, notice=notice, now_applies=now)

        return await run_in_threadpool(load)

    async def _posted(request: Request, v: auth.Visitor, name: str) -> tuple[Editing, dict[str, str]]:
        form = await _form(request)
        auth.check_csrf(v.csrf_token, form.get("csrf_token"))

        def resolve() -> Editing:
            with rt.db.reading() as s:
                return editing(s, v.principal, operator_name, name, form.get("scope"),
                               form.get("lang"), form.get("part"))

        return await run_in_threadpool(resolve), form

    @api.post("/templates/{name}/preview")
    async def live_preview(request: Request, name: str, v: auth.PageVisitor) -> Response:
        e, form = await _posted(request, v, name)

        def load() -> Preview:
            with rt.db.reading() as s:
                return preview(s, e, templates.normalized(form.get("source", "")),
                               form.get("delivery") or None, v.principal)

        shown = await run_in_threadpool(load)
        return render(rt, request, "_template_preview.html", v, p=shown.check, e=e,
                      delivery_id=shown.delivery_id, nav_markets=[], nav_waiting=0)

    @api.post("/templates/{name}")
    async def save(request: Request, name: str, v: auth.PageVisitor) -> Response:
        e, form = await _posted(request, v, name)
        source = templates.normalized(form.get("source", ""))
        delivery_id = form.get("delivery") or None
        saving = form.get("action", "save") != "preview"
        if saving and not e.may_edit:
            raise HTTPException(403, "you may read these templates, not change them")

        def attempt() -> Response:
            # The preview is the whole check (the sample, then the chosen delivery), made before
            # the write transaction so that no render holds the database's write lock. A
            # template with any error in it is shown again, never stored.
            with rt.db.reading() as s:
                shown = preview(s, e, source, delivery_id, v.principal)
                picker = [] if saving and shown.check.ok else _picker(s, e)
            if saving and shown.check.ok:
                with rt.db.transaction() as s:
                    saved.upsert(s, e.key, source, _email_of(s, v.principal), rt.clock.now())
                return RedirectResponse(editor_url(e.key, done="saved"), status_code=303)
            return page(request, v, e, source, shown, picker,
                        status_code=422 if saving else 200)

        return await run_in_threadpool(attempt)

    @api.post("/templates/{name}/revert")
    async def revert(request: Request, name: str, v: auth.PageVisitor) -> Response:
        e, _ = await _posted(request, v, name)
        if not e.may_edit:
            raise HTTPException(403, "you may read these templates, not change them")

        def forget() -> None:
            with rt.db.transaction() as s:
                templates.revert(s, e.key)

        await run_in_threadpool(forget)
        return RedirectResponse(editor_url(e.key, done="reverted"), status_code=303)

    return api


def _email_of(s: Session, who: Principal) -> str | None:
    if who.kind != "user":
        return None
    return s.scalar(sa.select(users.c.email).where(users.c.id == who.id))
