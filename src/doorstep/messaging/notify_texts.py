"""The built-in words of the notify workflow's messages, in English and Spanish. A shipper's
or the operator's saved template comes first (render.py); these are what is left."""

from __future__ import annotations

_LINK_EN = "{% if tracking_url %} Track it or leave instructions: {{ tracking_url }}{% endif %}"
_LINK_ES = ("{% if tracking_url %} Siga su envío o deje instrucciones: {{ tracking_url }}"
            "{% endif %}")

BODIES: dict[tuple[str, str], str] = {
    ("pre_delivery", "en"):
        "{{ shipper }}: your delivery arrives {{ 'tomorrow' if when == 'tomorrow' else 'today' }}"
        "{% if window %}, {{ window }}{% endif %}."
        " Reply with a gate code or a safe place if it helps." + _LINK_EN
        + " Reply STOP to opt out.",
    ("pre_delivery", "es"):
        "{{ shipper }}: su entrega llega {{ 'mañana' if when == 'tomorrow' else 'hoy' }}"
        "{% if window %}, {{ window }}{% endif %}."
        " Responda con un código de acceso o un lugar seguro si ayuda." + _LINK_ES
        + " Responda ALTO para no recibir más mensajes.",
    ("on_the_way", "en"):
        "{{ shipper }}: your delivery is on its way"
        "{% if window %} and should arrive {{ window }}{% endif %}." + _LINK_EN,
    ("on_the_way", "es"):
        "{{ shipper }}: su entrega está en camino"
        "{% if window %} y debería llegar {{ window }}{% endif %}." + _LINK_ES,
    ("running_late", "en"):
        "{{ shipper }}: sorry, we are running late. Your new arrival window is {{ window }}."
        + _LINK_EN,
    ("running_late", "es"):
        "{{ shipper }}: lo sentimos, vamos con retraso. Su nueva franja de llegada es "
        "{{ window }}." + _LINK_ES,
    ("stops_away", "en"):
        "{{ shipper }}: your driver is {{ stops }} stop{{ '' if stops == 1 else 's' }} away"
        "{% if window %} and should arrive {{ window }}{% endif %}." + _LINK_EN,
    ("stops_away", "es"):
        "{{ shipper }}: su repartidor está a {{ stops }} parada{{ '' if stops == 1 else 's' }}"
        "{% if window %} y debería llegar {{ window }}{% endif %}." + _LINK_ES,
    ("delivered", "en"):
        "{{ shipper }}: your delivery has arrived"
        "{% if received_by %} and was received by {{ received_by }}{% endif %}."
        "{% if tracking_url %} Proof of delivery: {{ tracking_url }}{% endif %}",
    ("delivered", "es"):
        "{{ shipper }}: su entrega ha llegado"
        "{% if received_by %} y la recibió {{ received_by }}{% endif %}."
        "{% if tracking_url %} Prueba de entrega: {{ tracking_url }}{% endif %}",
    ("time_sensitive_near", "en"):
        "{{ shipper }}: your driver is {{ stops }} stop{{ '' if stops == 1 else 's' }} away with "
        "an order that cannot wait. Please be ready to take it in." + _LINK_EN,
    ("time_sensitive_near", "es"):
        "{{ shipper }}: su repartidor está a {{ stops }} parada{{ '' if stops == 1 else 's' }} "
        "con un pedido que no puede esperar. Esté listo para recibirlo." + _LINK_ES,
    ("deadline_risk", "en"):
        "{{ shipper }}: your order may reach you after {{ deadline }} (now expected {{ window }}). Reply with a safe place or another time, or call us." + _LINK_EN,
    ("deadline_risk", "es"):
        "{{ shipper }}: su pedido podría llegar después de las {{ deadline }} (ahora "
        "{{ window }}). Responda con un lugar seguro u otra hora, o llámenos." + _LINK_ES,
    ("time_sensitive_failed", "en"):
        "{{ shipper }}: we could not deliver your order, which cannot wait, because "
        "{{ reason_text }}. Reply now with how we can get it to you today (a time, a gate code, "
        "a safe place). Reply STOP to opt out.",
    ("time_sensitive_failed", "es"):
        "{{ shipper }}: no pudimos entregar su pedido, que no puede esperar, porque "
        "{{ reason_text }}. Responda ahora cómo podemos entregárselo hoy (una hora, un código, "
        "un lugar seguro). Responda ALTO para no recibir más mensajes.",
    ("time_sensitive_reminder", "en"):
        "{{ shipper }}: your order has been delivered. Please put it away now: it holds items "
        "that must be kept cold or used promptly.",
    ("time_sensitive_reminder", "es"):
        "{{ shipper }}: su pedido ha sido entregado. Guárdelo ya: contiene productos que deben "
        "mantenerse en frío o usarse pronto.",
    ("time_sensitive_alert", "en"):
        "Time-sensitive delivery {{ delivery_id }}{% if route_id %} on route {{ route_id }}"
        "{% endif %}: {% if what == 'failed' %}the attempt failed ({{ reason }}){% else %}"
        "expected {{ window }}, after its deadline {{ deadline }}{% endif %}. {{ address }}. "
        "The recipient has been asked what to do.",
}

SUBJECTS: dict[tuple[str, str], str] = {
    ("pre_delivery", "en"):
        "{{ shipper }}: your delivery {{ 'tomorrow' if when == 'tomorrow' else 'today' }}",
    ("pre_delivery", "es"):
        "{{ shipper }}: su entrega {{ 'mañana' if when == 'tomorrow' else 'hoy' }}",
    ("on_the_way", "en"): "{{ shipper }}: your delivery is on its way",
    ("on_the_way", "es"): "{{ shipper }}: su entrega está en camino",
    ("running_late", "en"): "{{ shipper }}: new arrival window {{ window }}",
    ("running_late", "es"): "{{ shipper }}: nueva franja de llegada {{ window }}",
    ("stops_away", "en"): "{{ shipper }}: your driver is nearly there",
    ("stops_away", "es"): "{{ shipper }}: su repartidor está cerca",
    ("delivered", "en"): "{{ shipper }}: delivered",
    ("delivered", "es"): "{{ shipper }}: entregado",
    ("time_sensitive_near", "en"): "{{ shipper }}: please be ready for your order",
    ("time_sensitive_near", "es"): "{{ shipper }}: esté listo para recibir su pedido",
    ("deadline_risk", "en"): "{{ shipper }}: your order may be late",
    ("deadline_risk", "es"): "{{ shipper }}: su pedido podría llegar tarde",
    ("time_sensitive_failed", "en"): "{{ shipper }}: we could not deliver your order",
    ("time_sensitive_failed", "es"): "{{ shipper }}: no pudimos entregar su pedido",
    ("time_sensitive_reminder", "en"): "{{ shipper }}: please put your order away",
    ("time_sensitive_reminder", "es"): "{{ shipper }}: guarde su pedido",
}
