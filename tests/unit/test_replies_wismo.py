""""Where is my parcel" replies, English and Spanish, against what is not one."""

from __future__ import annotations

import pytest

from doorstep.messaging.replies.wismo import asks_where

ASKS = [
    "Where is my package?",
    "where's my parcel",
    "Where’s my order??",
    "WHERE IS MY DELIVERY",
    "where are my groceries",
    "hi, where is my amazon package",
    "When will it arrive?",
    "when is my order coming",
    "When will the driver get here",
    "what time will it be delivered",
    "Has it been delivered?",
    "has my package been delivered yet",
    "was my order delivered?",
    "did it arrive",
    "is my parcel on its way?",
    "what's the status of my order",
    "order status?",
    "any update on my delivery?",
    "tracking number please",
    "can I track my order",
    "What's the ETA",
    "I still haven't received my package",
    "still waiting for my order",
    "¿Dónde está mi paquete?",
    "donde esta mi pedido",
    "Dónde están mis paquetes??",
    "¿Cuándo llega?",
    "cuando me llega el pedido",
    "¿A qué hora llegan?",
    "¿Ya fue entregado?",
    "estado de mi pedido",
    "número de seguimiento",
    "todavía no me ha llegado",
    "no he recibido mi paquete",
    "¿ya llegó?",
]

DOES_NOT_ASK = [
    "STOP",
    "stop",
    "yes",
    "Yes please",
    "ok thanks",
    "no",
    "12/02",
    "Tuesday after 5pm",
    "tomorrow",
    "mañana después de las 5",
    "gate code 1234",
    "Gate code is #4321, buzz apt 4B",
    "leave it at the back door",
    "déjalo con el portero",
    "thanks, it arrived!",
    "ya llegó, gracias",
    "the package was delivered, thank you",
    "knock when you arrive",
    "llame cuando llegue",
    "where do I leave the tip",
    "HELP",
    "wrong number",
    "1",
    "",
]


@pytest.mark.parametrize("text", ASKS)
def test_asks_where_the_parcel_is(text: str) -> None:
    assert asks_where(text), text


@pytest.mark.parametrize("text", DOES_NOT_ASK)
def test_other_replies_do_not(text: str) -> None:
    assert not asks_where(text), text
