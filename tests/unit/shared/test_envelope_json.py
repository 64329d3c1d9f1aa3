"""An envelope's wire form is the same bytes whichever way it is built (the fast orjson one or pydantic's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import orjson
from orderpulse.events.envelope import Envelope, full_type, new_envelope
from orderpulse.rfc3339 import format_time


def _pydantic_form(envelope: Envelope) -> bytes:
    body = envelope.model_dump(mode="json", exclude_none=True)
    body["time"] = format_time(envelope.time)
    return orjson.dumps(body)


def _envelope(data: dict, traceparent: str | None = None) -> Envelope:
    return new_envelope(type="order.placed.v1", source="order-svc", key="ord_1", data=data,
                        time=datetime(2026, 12, 6, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1))),
                        traceparent=traceparent)


def test_json_ready_data_gives_the_same_bytes_as_pydantic():
    data = {"order_id": "ord_1", "total": "12.50", "lines": [{"sku": "MUG-1", "quantity": 2}], "held": False,
            "weight": 1.5, "note": None}
    for traceparent in (None, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"):
        envelope = _envelope(data, traceparent)
        assert envelope.to_json() == _pydantic_form(envelope)


def test_data_with_decimals_and_times_is_converted_as_pydantic_converts_it():
    envelope = _envelope({"amount": Decimal("9.90"), "at": datetime(2026, 12, 6, tzinfo=UTC)})
    assert envelope.to_json() == _pydantic_form(envelope)


def test_an_envelope_read_back_equals_the_one_built():
    envelope = _envelope({"order_id": "ord_1"}, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    again = Envelope.from_json(envelope.to_json())
    assert again.model_dump(exclude={"time"}) == envelope.model_dump(exclude={"time"})
    assert format_time(again.time) == format_time(envelope.time)
    assert orjson.loads(envelope.to_json())["time"] == "2026-12-06T09:00:00.123Z"


def test_new_envelope_builds_what_model_construct_builds():
    moment = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    for traceparent in (None, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"):
        built = new_envelope(type="order.placed.v1", source="/order-svc", key="ord_1", data={"a": 1}, time=moment,
                             traceparent=traceparent, event_id="evt-1")
        constructed = Envelope.model_construct(id="evt-1", source="/order-svc", type="orderpulse.order.placed.v1",
                                               subject="ord_1", time=moment, partitionkey="ord_1",
                                               traceparent=traceparent, data={"a": 1})
        assert built == constructed
        assert list(built.__dict__.items()) == list(constructed.__dict__.items())
        assert built.model_fields_set == constructed.model_fields_set
        assert (built.__pydantic_extra__, built.__pydantic_private__) == (None, None)
        assert built.to_json() == constructed.to_json() and built.model_dump_json() == constructed.model_dump_json()


def test_a_type_is_written_in_full_the_first_time_and_every_time_after():
    for _ in range(2):  # the second round takes the kept text
        for given in ("return.requested.v1", "orderpulse.return.requested.v1", "orderpulse.unknown.v9", "unknown.v9"):
            built = new_envelope(type=given, source="s", key="k", data={})
            assert built.type == full_type(given) and built.type.startswith("orderpulse.")


def test_event_ids_are_distinct_version_4_uuids():
    import uuid

    ids = {new_envelope(type="order.placed.v1", source="s", key="k", data={}).id for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(uuid.UUID(event_id).version == 4 for event_id in list(ids)[:100])


def test_event_ids_stay_distinct_when_the_random_module_is_seeded_again():
    import random

    random.seed(7)
    first = new_envelope(type="order.placed.v1", source="s", key="k", data={}).id
    random.seed(7)
    assert new_envelope(type="order.placed.v1", source="s", key="k", data={}).id != first
