"""Domain entities go into the database and come back equal, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from doorstep import domain as d
from doorstep.store import cursors
from doorstep.store.db import Database
from doorstep.store.tables import deliveries

NY = ZoneInfo("America/New_York")
AT = datetime(2026, 11, 24, 9, 15, 30, 123456, tzinfo=NY)  # microseconds survive too
KOLKATA = timezone(timedelta(hours=5, minutes=30))


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def reference_rows() -> list[object]:
    return [
        d.Market(id="nyc", name="New York", timezone="America/New_York",
                 supervisor_name="Dana", supervisor_phone="+12125550101",
                 supervisor_email="dispatch@example.com"),
        d.Depot(id="nyc-bk", market_id="nyc", name="Brooklyn", address="100 Ferris St",
                lat=40.6782, lon=-74.014),
        d.Shipper(id="freshcart", name="FreshCart", brand_primary="#1B5E20",
                  languages=["en", "es"], time_sensitive=True,
                  messaging_service_sid="MG" + "0" * 32),
    ]


def graph() -> dict[str, object]:
    """One of everything, linked the way processing links them."""
    recipient = d.Recipient(id="rcp_1", name="Zoë Ñandú", phone="+12125552000",
                            email="z@example.com", language="es",
                            sms_consent=d.Consent.REVOKED, email_consent=d.Consent.GRANTED,
                            opted_out_at=AT.astimezone(KOLKATA))
    driver = d.Driver(id="DR1", name="Pat", market_id="nyc", depot_id="nyc-bk",
                      phone="+12125553000", on_call=True, on_duty=True)
    vehicle = d.Vehicle(id="V1", depot_id="nyc-bk", vehicle_class=d.VehicleClass.BOX_TRUCK,
                        capacity=120, plate="T-1")
    shift = d.Shift(id="S1", depot_id="nyc-bk", service_date=date(2026, 11, 24),
                    starts_at=AT, ends_at=AT + timedelta(hours=8), driver_id="DR1",
                    vehicle_id="V1")
    shift.call_out(AT + timedelta(minutes=1), "sick")
    gap = d.Gap(id="gap-S1", shift_id="S1", opened_at=AT)
    offer = d.Offer(id="O1", gap_id="gap-S1", driver_id="DR1", sent_at=AT)
    route = d.Route(id="R1", market_id="nyc", depot_id="nyc-bk",
                    service_date=date(2026, 11, 24), driver_id="DR1", vehicle_id="V1",
                    shift_id="S1", planned_start=AT, stop_count=2)
    route.start(AT + timedelta(hours=1))
    stop = d.Stop(route_id="R1", sequence=1, delivery_id="D1", planned_arrival=AT)
    delivery = d.Delivery(
        id="D1", shipper_id="freshcart", market_id="nyc", depot_id="nyc-bk",
        recipient_id="rcp_1", service_date=date(2026, 11, 24), address_line1="1 Main St",
        address_city="Brooklyn", address_postal_code="11201", address_lat=40.69,
        address_lon=-73.99, window_start=AT, window_end=AT + timedelta(hours=2),
        time_sensitive=True, instructions="ring twice")
    delivery.schedule("R1", 1, AT + timedelta(hours=1), AT)
    delivery.go_out(AT + timedelta(hours=1))
    delivery.fail(AT + timedelta(hours=2), d.FailureReason.ACCESS, "gate")
    delivery.go_out(AT + timedelta(hours=3))
    delivery.deliver(AT + timedelta(hours=4), d.ProofOfDelivery(photo_url="https://p/1.jpg",
                                                               received_by="neighbour"))
    disposition = d.Disposition(delivery_id="D1", attempt_number=1,
                                kind=d.DispositionKind.REDELIVER, decided_at=AT,
                                redelivery_date=date(2026, 11, 25))
    exc = d.RouteException(id="X1", kind=d.ExceptionKind.WEATHER,
                           severity=d.Severity.CRITICAL, market_id="nyc", reported_at=AT,
                           depot_id="nyc-bk", route_id="R1", driver_id="DR1",
                           description="snow", stops_affected=7)
    conversation = d.Conversation(id="C1", channel=d.Channel.SMS, address="+12125552000",
                                  question="redelivery_day", subject_type="delivery",
                                  subject_id="D1", opened_at=AT,
                                  expires_at=AT + timedelta(days=1))
    message = d.Message(id="M1", direction=d.Direction.OUTBOUND, channel=d.Channel.SMS,
                        purpose="recover.reach_out", created_at=AT, dedup_key="k1",
                        to_addr="+12125552000", template="failed_attempt",
                        context={"attempt": 1, "nested": {"list": [1, "two", None]},
                                 "text": "é ✓"},
                        language="es", shipper_id="freshcart", market_id="nyc",
                        recipient_id="rcp_1", subject_type="delivery", subject_id="D1",
                        conversation_id="C1", send_after=AT + timedelta(hours=1))
    message.suppress(d.SuppressionReason.OPTED_OUT, AT)
    event = d.Event(source="generic", external_id="ev-1", type="delivery.created",
                    occurred_at=AT, received_at=AT + timedelta(seconds=1),
                    payload={"delivery_id": "D1", "recipient": {"name": "Zoë"},
                             "stops": [{"sequence": 1}], "flag": True, "n": 1.5},
                    subject="delivery:D1", status=d.EventStatus.DEFERRED,
                    waits_for="route:R1", note="waiting")
    report = d.Report(id="REP1", kind=d.ReportKind.DAILY_EXCEPTIONS, period_start=AT,
                      period_end=AT + timedelta(days=1), generated_at=AT, market_id="nyc",
                      content={"rows": [{"kind": "weather", "count": 1}]})
    return dict(recipient=recipient, driver=driver, vehicle=vehicle, shift=shift, gap=gap,
                offer=offer, route=route, delivery=delivery, stop=stop,
                disposition=disposition, exception=exc, conversation=conversation,
                message=message, event=event, report=report)


def add_reference(s) -> None:
    for row in reference_rows():  # no relationships are mapped: flush in dependency order
        s.add(row)
        s.flush()


def store(db: Database) -> dict[str, object]:
    objects = graph()
    with db.transaction() as s:
        add_reference(s)
        for name in ("recipient", "driver", "vehicle", "shift", "gap", "offer", "route",
                     "delivery", "stop", "disposition", "exception", "conversation",
                     "message", "event", "report"):
            s.add(objects[name])
            s.flush()
    return objects


def primary_key(obj: object) -> object:
    if isinstance(obj, d.Stop):  # a stop is known by its route and its delivery
        return (obj.route_id, obj.delivery_id)
    value = getattr(obj, "id", None)
    assert value is not None, f"{obj!r} has no id after the flush"
    return value


def test_every_entity_round_trips_equal(db):
    stored = store(db)
    with db.reading() as s:
        for name, original in stored.items():
            loaded = s.get(type(original), primary_key(original))
            assert loaded is not None, name
            assert loaded is not original
            assert loaded == original, name


def _values(obj: object) -> list[object]:
    return [v for k, v in vars(obj).items() if not k.startswith("_")]


def test_datetimes_come_back_aware_utc_and_equal(db):
    stored = store(db)
    with db.reading() as s:
        for original in stored.values():
            loaded = s.get(type(original), primary_key(original))
            for value in _values(loaded):
                if isinstance(value, datetime):
                    assert value.tzinfo is not None
                    assert value.utcoffset() == timedelta(0)
        recipient = s.get(d.Recipient, "rcp_1")
        assert recipient.opted_out_at == AT  # written in +05:30, same instant
        delivery = s.get(d.Delivery, "D1")
        assert delivery.window_start == AT
        assert delivery.window_start.astimezone(NY).hour == 9
        assert delivery.window_start.microsecond == 123456


def test_enums_come_back_as_enums(db):
    stored = store(db)
    with db.reading() as s:
        seen = 0
        for original in stored.values():
            loaded = s.get(type(original), primary_key(original))
            for key, value in vars(original).items():
                if isinstance(value, StrEnum):
                    back = getattr(loaded, key)
                    assert type(back) is type(value) and back is value, key
                    seen += 1
        assert seen >= 15
        delivery = s.get(d.Delivery, "D1")
        assert [a.outcome for a in delivery.attempts] == [d.AttemptOutcome.FAILED,
                                                          d.AttemptOutcome.DELIVERED]
        assert delivery.attempts[0].failure_reason is d.FailureReason.ACCESS


def test_json_fields_come_back_as_written(db):
    stored = store(db)
    with db.reading() as s:
        assert s.get(d.Shipper, "freshcart").languages == ["en", "es"]
        message = s.get(d.Message, "M1")
        assert message.context == stored["message"].context
        assert message.context["nested"]["list"] == [1, "two", None]
        event = s.get(d.Event, stored["event"].id)
        assert event.payload["recipient"]["name"] == "Zoë"
        assert event.payload["n"] == 1.5 and event.payload["flag"] is True
        assert s.get(d.Report, "REP1").content == {"rows": [{"kind": "weather", "count": 1}]}


def test_attempts_load_with_their_delivery_in_order(db):
    store(db)
    with db.reading() as s:
        delivery = s.get(d.Delivery, "D1")
        assert [(a.number, a.route_id) for a in delivery.attempts] == [(1, "R1"), (2, "R1")]
        assert delivery.attempts[1].pod_received_by == "neighbour"
        assert delivery.attempt_count == 2 and delivery.status is d.DeliveryStatus.DELIVERED


def test_a_naive_datetime_is_refused_and_nothing_is_written(db):
    with db.transaction() as s:
        add_reference(s)
    obj = graph()
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), \
            db.transaction() as s:
        report = obj["report"]
        report.generated_at = datetime(2026, 11, 24, 9, 0)  # type: ignore[attr-defined]
        s.add(report)
    with db.reading() as s:
        assert s.get(d.Report, "REP1") is None


def test_an_unknown_enum_value_is_refused_by_the_column(db):
    with db.transaction() as s:
        add_reference(s)
        s.add(graph()["recipient"])
    with pytest.raises(sa.exc.StatementError, match="teleported"), db.transaction() as s:
        s.execute(sa.insert(deliveries).values(
            id="D9", shipper_id="freshcart", market_id="nyc", depot_id="nyc-bk",
            recipient_id="rcp_1", service_date=date(2026, 11, 24), address_line1="x",
            address_city="y", address_postal_code="z", time_sensitive=False,
            status="teleported", attempt_count=0))
    with db.reading() as s:
        assert s.get(d.Delivery, "D9") is None


def test_foreign_keys_are_enforced(db):
    with pytest.raises(sa.exc.IntegrityError), db.transaction() as s:
        s.add(d.Depot(id="lost", market_id="nowhere", name="Lost"))
        s.flush()


def test_cursors_put_and_get(db):
    with db.transaction() as s:
        assert cursors.get(s, "sim") is None
        cursors.put(s, "sim", "1", datetime(2026, 1, 1, tzinfo=UTC))
        cursors.put(s, "sim", "2", datetime(2026, 1, 2, tzinfo=UTC))
    with db.reading() as s:
        assert cursors.get(s, "sim") == "2"
