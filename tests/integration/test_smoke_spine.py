from doorstep.domain import EventType as T
from doorstep.events.format import make_event


def test_a_created_delivery_is_stored(runtime, clock):
    event = make_event("e1", T.DELIVERY_CREATED, clock.now(), {
        "delivery_id": "D1", "shipper": "freshcart", "depot": "nyc-bk",
        "service_date": "2026-11-24", "recipient": {"name": "R", "phone": "+12125552000"},
        "address": {"line1": "1 Main St", "city": "Brooklyn", "postal_code": "11201"}})
    result = runtime.intake.accept("test", [event])
    assert len(result.stored) == 1
    from doorstep.domain import Delivery
    with runtime.db.reading() as s:
        assert s.get(Delivery, "D1").status.value == "pending"
