"""Turning an outbox row's template and context into the words sent.

Templates render in Jinja2's sandbox: a template cannot reach Python objects beyond the values
it is given. These are the operator's defaults, per template and language; shippers' own
templates take their place where a shipper has written one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True,
                            keep_trailing_newline=False)

REASONS = {
    "en": {"not_home": "no one was home", "wrong_address": "we could not find the address",
           "access": "we could not get in", "refused": "it was refused",
           "damaged": "the parcel was damaged"},
    "es": {"not_home": "no había nadie en casa", "wrong_address": "no encontramos la dirección",
           "access": "no pudimos entrar", "refused": "fue rechazado",
           "damaged": "el paquete llegó dañado"},
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

_html = SandboxedEnvironment(autoescape=True)
HTML_LAYOUT = _html.from_string(
    '<!doctype html><html lang="{{ lang }}"><body style="margin:0;font-family:Arial,sans-serif;'
    'background:{{ secondary }}"><div style="max-width:560px;margin:0 auto;padding:24px">'
    '<div style="background:{{ primary }};color:#fff;padding:12px 16px;font-weight:bold">'
    '{% if logo %}<img src="{{ logo }}" alt="" height="28" style="vertical-align:middle;'
    'margin-right:8px">{% endif %}{{ shipper }}</div><div style="background:#fff;padding:16px;'
    'line-height:1.5">{% for p in paragraphs %}<p>{{ p }}</p>{% endfor %}</div></div>'
    '</body></html>')


@dataclass(frozen=True)
class Brand:
    name: str
    primary: str = "#102a43"
    secondary: str = "#f6f8fa"
    logo_url: str | None = None


def email_parts(template: str, language: str, body: str, context: dict[str, Any],
                brand: Brand) -> tuple[str, str]:
    """The subject and the HTML part of an email whose text part is `body`."""
    lang = language if (template, language) in SUBJECTS else "en"
    source = SUBJECTS.get((template, lang), "{{ shipper }}")
    try:
        subject = _compiled(source).render(**{**context, "shipper": brand.name}).strip()
    except TemplateError as err:
        raise RenderError(f"{template} subject ({lang}): {err}") from None
    html = HTML_LAYOUT.render(lang=lang, primary=brand.primary, secondary=brand.secondary,
                              logo=brand.logo_url, shipper=brand.name,
                              paragraphs=[p for p in body.split("\n") if p.strip()])
    return subject, html


class RenderError(Exception):
    """A template that cannot render this context; the message says where and why."""


@lru_cache(maxsize=1024)
def _compiled(source: str) -> Template:
    """Compiling is most of a render's cost: each template is compiled once per process."""
    return _env.from_string(source)


@dataclass(frozen=True)
class Rendered:
    body: str
    template: str
    language: str


def render(template: str, language: str, context: dict[str, Any], *,
           shipper_name: str | None = None) -> Rendered:
    lang = language if (template, language) in DEFAULTS else "en"
    source = DEFAULTS.get((template, lang))
    if source is None:
        raise RenderError(f"no template {template!r}")
    values = dict(context)
    values.setdefault("shipper", shipper_name or "")
    if "reason" in values:
        values.setdefault("reason_text", REASONS.get(lang, REASONS["en"]).get(
            str(values["reason"]), "we could not deliver it"))
    try:
        body = _compiled(source).render(**values).strip()
    except TemplateError as err:
        raise RenderError(f"{template} ({lang}): {err}") from None
    return Rendered(body=body, template=template, language=lang)
