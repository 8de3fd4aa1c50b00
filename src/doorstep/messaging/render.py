"""Turning an outbox row's template and context into the words sent.

Which template: the shipper's saved one in the recipient's language, else the operator's saved
one ("*"), else the built-in one below; then the same three in English. A saved template that
fails to render for a message (an error, the time limit) is passed over for the next one, so a
broken template never stops a message that a later one can word; the built-ins are ours, and
only when they fail too does the message fail.

Every template renders in the time-limited sandbox (doorstep.messaging.sandbox).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

from doorstep.messaging import notify_texts
from doorstep.messaging.errors import RenderError
from doorstep.messaging.sandbox import render_text
from doorstep.messaging.saved import NONE_SAVED, OPERATOR, SavedTemplates

__all__ = ["DEFAULTS", "REASONS", "SUBJECTS", "Brand", "RenderError", "Rendered", "email_parts",
           "render"]

log = logging.getLogger(__name__)
FALLBACK_LANGUAGE = "en"
BUILT_IN = "built-in"

REASONS = {
    "en": {"not_home": "no one was home", "wrong_address": "we could not find the address",
           "access": "we could not get in", "refused": "it was refused",
           "damaged": "the parcel was damaged", "other": "we could not deliver it"},
    "es": {"not_home": "no había nadie en casa", "wrong_address": "no encontramos la dirección",
           "access": "no pudimos entrar", "refused": "fue rechazado",
           "damaged": "el paquete llegó dañado", "other": "no pudimos entregarlo"},
}

DEFAULTS: dict[tuple[str, str], str] = {
    ("failed_attempt", "en"):
        "{{ shipper }}: we tried to deliver your parcel today but {{ reason_text }}. "
        "Reply with a day that suits you, or with instructions (gate code, safe place). "
        "Reply STOP to opt out.",
    ("failed_attempt", "es"):
        "{{ shipper }}: intentamos entregar su paquete hoy pero {{ reason_text }}. "
        "Responda con el día que le convenga o con instrucciones (código, lugar seguro). "
        "Responda ALTO para no recibir más mensajes.",
    ("callout_alert", "en"):
        "Callout: {{ driver or 'a driver' }} will not work the {{ depot_id }} shift starting "
        "{{ starts_at }} ({{ hours_to_start }} h away){% if reason %}: {{ reason }}{% endif %}.",
    ("exception_alert", "en"):
        "{{ severity | upper }} {{ kind | replace('_', ' ') }}"
        "{% if route_id %} on route {{ route_id }}{% endif %}"
        "{% if depot_id %} at {{ depot_id }}{% endif %}: {{ description }} "
        "({{ stops_affected }} stops affected).",
    ("chronic_address", "en"):
        "Chronic address problem in {{ city }} {{ postal_code }}: {{ failures }} failed "
        "attempts for address reasons. Please check the address and access.",
}


SUBJECTS: dict[tuple[str, str], str] = {
    ("failed_attempt", "en"): "{{ shipper }}: we missed you today",
    ("failed_attempt", "es"): "{{ shipper }}: no pudimos entregar su paquete hoy",
}
DEFAULTS.update(notify_texts.BODIES)
SUBJECTS.update(notify_texts.SUBJECTS)


@dataclass(frozen=True)
class Brand:
    name: str
    primary: str = "#102a43"
    secondary: str = "#f6f8fa"
    logo_url: str | None = None


@dataclass(frozen=True)
class Rendered:
    body: str
    template: str
    language: str
    origin: str = BUILT_IN  # whose words: a shipper id, OPERATOR, or BUILT_IN


def built_in(name: str, language: str, part: str) -> str | None:
    return (DEFAULTS if part == "body" else SUBJECTS).get((name, language))


def candidates(name: str, language: str, part: str, shipper_id: str | None,
               saved: SavedTemplates) -> Iterator[tuple[str, str, str]]:
    """(origin, language, source) in the order they are tried."""
    for lang in dict.fromkeys((language, FALLBACK_LANGUAGE)):
        if shipper_id:
            source = saved.get(shipper_id, name, lang, part)
            if source is not None:
                yield shipper_id, lang, source
        source = saved.get(OPERATOR, name, lang, part)
        if source is not None:
            yield OPERATOR, lang, source
        source = built_in(name, lang, part)
        if source is not None:
            yield BUILT_IN, lang, source


def values_for(language: str, context: dict[str, Any], shipper_name: str | None) -> dict[str, Any]:
    """What a template sees: the message's context, the shipper's name and, when there is a
    reason, the reason in words in the template's language."""
    values = dict(context)
    values.setdefault("shipper", shipper_name or "")
    if "reason" in values:
        words = REASONS.get(language, REASONS[FALLBACK_LANGUAGE])
        values.setdefault("reason_text", words.get(str(values["reason"]), words["other"]))
    return values


def _first_that_renders(name: str, language: str, part: str, context: dict[str, Any],
                        shipper_name: str | None, shipper_id: str | None,
                        saved: SavedTemplates) -> tuple[str, str, str]:
    """(text, origin, language) of the first template in the order that renders."""
    last: RenderError | None = None
    for origin, lang, source in candidates(name, language, part, shipper_id, saved):
        try:
            text = render_text(source, values_for(lang, context, shipper_name)).strip()
        except RenderError as err:
            last = err.at(f"{name} {part} ({lang}, {origin})")
            if origin != BUILT_IN:
                log.warning("a saved template does not render; using the next one: %s",
                            last.loggable()[:300])
            continue
        return text, origin, lang
    raise last or RenderError(f"no template {name!r}")


def render(template: str, language: str, context: dict[str, Any], *,
           shipper_name: str | None = None, shipper_id: str | None = None,
           saved: SavedTemplates = NONE_SAVED) -> Rendered:
    body, origin, lang = _first_that_renders(template, language, "body", context, shipper_name,
                                             shipper_id, saved)
    return Rendered(body=body, template=template, language=lang, origin=origin)


_html = SandboxedEnvironment(autoescape=True)
HTML_LAYOUT = _html.from_string(
    '<!doctype html><html lang="{{ lang }}"><body style="margin:0;font-family:Arial,sans-serif;'
    'background:{{ secondary }}"><div style="max-width:560px;margin:0 auto;padding:24px">'
    '<div style="background:{{ primary }};color:#fff;padding:12px 16px;font-weight:bold">'
    '{% if logo %}<img src="{{ logo }}" alt="" height="28" style="vertical-align:middle;'
    'margin-right:8px">{% endif %}{{ shipper }}</div><div style="background:#fff;padding:16px;'
    'line-height:1.5">{% for p in paragraphs %}<p>{{ p }}</p>{% endfor %}</div></div>'
    '</body></html>')


def email_parts(template: str, language: str, body: str, context: dict[str, Any],
                brand: Brand, *, shipper_id: str | None = None,
                saved: SavedTemplates = NONE_SAVED) -> tuple[str, str]:
    """The subject and the HTML part of an email whose text part is `body`. A message without
    any subject template is headed with the shipper's name."""
    try:
        subject, _, lang = _first_that_renders(template, language, "subject", context,
                                               brand.name, shipper_id, saved)
    except RenderError as err:
        if err.reason != f"no template {template!r}":
            raise
        subject, lang = brand.name, language
    html = HTML_LAYOUT.render(lang=lang, primary=brand.primary, secondary=brand.secondary,
                              logo=brand.logo_url, shipper=brand.name,
                              paragraphs=[p for p in body.split("\n") if p.strip()])
    return subject, html
