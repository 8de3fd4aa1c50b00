"""Checking a template before it is saved: what is refused, with which line and reason, and
the fallback order in which saved and built-in templates are tried."""

from __future__ import annotations

import pytest

from doorstep.messaging.catalogue import CATALOGUE
from doorstep.messaging.render import BUILT_IN, DEFAULTS, email_parts, render
from doorstep.messaging.render import Brand as MailBrand
from doorstep.messaging.saved import OPERATOR, Key, SavedTemplates
from doorstep.messaging.templates import InvalidKey, check

BODY_EN = Key("freshcart", "failed_attempt", "en", "body")


def test_a_syntax_error_gives_the_line_and_jinjas_reason() -> None:
    found = check(BODY_EN, "Hello {{ shipper }}\nwe came by\n{% if attempt > 1 %}again {{ x }")
    assert not found.ok and found.text is None
    assert [(p.line, p.message) for p in found.errors] == [(3, "unexpected '}'")]
    unclosed = check(BODY_EN, "Hello\n{% if attempt > 1 %}\nagain")
    assert unclosed.errors[0].line == 3
    assert unclosed.errors[0].message.startswith("Unexpected end of template")


def test_an_unknown_variable_is_an_error_on_the_line_it_is_used_even_in_an_untaken_branch(
        ) -> None:
    found = check(BODY_EN, "{{ shipper }}\n{% if attempt > 5 %}\n{{ tracking_url }}\n"
                           "{% endif %}\n{{ nme }}")
    assert [(p.line, p.message.split(":")[0]) for p in found.errors] == [
        (3, "unknown variable 'tracking_url'"), (5, "unknown variable 'nme'")]
    assert "shipper, reason, reason_text, attempt" in found.errors[0].message


@pytest.mark.parametrize("source", ["", "   \n  "])
def test_an_empty_template_is_an_error(source: str) -> None:
    assert [p.message for p in check(BODY_EN, source).errors] == ["the template is empty"]


def test_a_runtime_error_names_the_line_and_which_values_caused_it() -> None:
    found = check(BODY_EN, "{{ shipper }}\n{{ 10 // (attempt - 2) }}",
                  context={"reason": "access", "attempt": 2}, shipper_name="HomeNest")
    assert [(p.line, p.message) for p in found.errors] == [
        (2, "ZeroDivisionError: integer division or modulo by zero (with this delivery)")]


def test_a_long_sms_is_a_warning_and_the_text_is_rendered_with_the_real_values() -> None:
    found = check(BODY_EN, "{{ shipper }}: {{ reason_text }}. " + "Lorem ipsum dolor. " * 50,
                  context={"reason": "access", "attempt": 2}, shipper_name="HomeNest")
    assert found.ok and found.text is not None
    assert found.text.startswith("HomeNest: we could not get in.")
    assert found.against == "this delivery"
    assert found.sms is not None and found.sms.count == 7
    assert [w.message.split(" ")[:3] for w in found.warnings] == [["7", "SMS", "segments"]]


def test_characters_outside_gsm7_are_named() -> None:
    found = check(BODY_EN, "{{ shipper }}: ¿cuándo? 📦 é")
    assert found.sms is not None and found.sms.encoding == "UCS-2"
    assert found.ucs2_characters == ["á", "📦"]  # é is in the GSM-7 alphabet


def test_a_subject_is_not_an_sms_and_an_unknown_part_or_type_is_refused() -> None:
    long = check(Key("*", "failed_attempt", "en", "subject"), "{{ shipper }} " * 200)
    assert long.ok and long.warnings == []
    with pytest.raises(InvalidKey):
        check(Key("*", "callout_alert", "en", "subject"), "x")
    with pytest.raises(InvalidKey):
        check(Key("*", "no_such_message", "en", "body"), "x")


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_built_in_template_passes_its_own_check(name: str) -> None:
    for (template, language), source in DEFAULTS.items():
        if template == name:
            found = check(Key(OPERATOR, name, language, "body"), source)
            assert found.ok and found.warnings == [], found.errors


def saved_set(**sources: str) -> SavedTemplates:
    """scope__language=source, for failed_attempt bodies."""
    return SavedTemplates({(scope.replace("star", OPERATOR), "failed_attempt", lang, "body"): src
                           for key, src in sources.items()
                           for scope, lang in [key.split("__")]})


CONTEXT = {"reason": "not_home", "attempt": 1}


def test_the_shippers_own_words_come_first_then_the_operators_then_the_built_in() -> None:
    both = saved_set(freshcart__en="SHIPPER {{ shipper }}", star__en="OPERATOR {{ shipper }}")
    assert render("failed_attempt", "en", CONTEXT, shipper_name="FreshCart", shipper_id="freshcart",
                  saved=both).body == "SHIPPER FreshCart"
    other = render("failed_attempt", "en", CONTEXT, shipper_name="HomeNest",
                   shipper_id="homenest", saved=both)
    assert (other.body, other.origin) == ("OPERATOR HomeNest", OPERATOR)
    plain = render("failed_attempt", "en", CONTEXT, shipper_name="HomeNest", shipper_id="homenest")
    assert plain.origin == BUILT_IN and plain.body.startswith("HomeNest: we tried to deliver")


def test_spanish_falls_back_through_spanish_before_english() -> None:
    only_english = saved_set(freshcart__en="EN {{ reason_text }}")
    spanish = render("failed_attempt", "es", CONTEXT, shipper_name="FreshCart",
                     shipper_id="freshcart", saved=only_english)
    assert (spanish.language, spanish.origin) == ("es", BUILT_IN)  # the built-in Spanish first
    assert "no había nadie en casa" in spanish.body

    operator_spanish = saved_set(freshcart__en="EN", star__es="ES {{ reason_text }}")
    assert render("failed_attempt", "es", CONTEXT, shipper_id="freshcart",
                  saved=operator_spanish).body == "ES no había nadie en casa"

    # No Spanish at all for this message type: the English chain, in order.
    alert = render("callout_alert", "es", {"driver": "Pat", "depot_id": "nyc-bk",
                                           "starts_at": "07:00", "hours_to_start": 1,
                                           "reason": None})
    assert (alert.language, alert.body[:8]) == ("en", "Callout:")


def test_a_broken_saved_template_falls_back_to_the_next_one() -> None:
    broken = saved_set(freshcart__es="{{ shipper }} {{ 1 // 0 }}",
                       star__es="{% for i in range(10000) %}{% for j in range(10000) %}"
                                "{% endfor %}{% endfor %}")
    done = render("failed_attempt", "es", CONTEXT, shipper_name="FreshCart",
                  shipper_id="freshcart", saved=broken)
    assert (done.origin, done.language) == (BUILT_IN, "es")
    assert done.body.startswith("FreshCart: intentamos entregar su paquete hoy")


def test_an_email_subject_follows_the_same_order() -> None:
    subjects = SavedTemplates({("freshcart", "failed_attempt", "en", "subject"):
                               "{{ shipper }} missed you ({{ attempt }})"})
    brand = MailBrand("FreshCart Grocery")
    subject, html = email_parts("failed_attempt", "en", "Body", CONTEXT, brand,
                                shipper_id="freshcart", saved=subjects)
    assert subject == "FreshCart Grocery missed you (1)" and "<p>Body</p>" in html
    subject, _ = email_parts("failed_attempt", "en", "Body", CONTEXT, brand, shipper_id="homenest",
                             saved=subjects)
    assert subject == "FreshCart Grocery: we missed you today"
    subject, _ = email_parts("chronic_address", "en", "Body", {}, brand)
    assert subject == "FreshCart Grocery"
