"""A consumed event's data is validated once: the consumer's poison check (`parse_record`) keeps
the model on the envelope, and a handler asking for typed data gets that same model back. An
envelope stays equal to one built the same way, and invalid data is refused every time asked."""

from __future__ import annotations

import pytest
from aiokafka.structs import ConsumerRecord
from orderpulse.events.envelope import Envelope, new_envelope
from orderpulse.events.registry import validate_data
from orderpulse.messaging.dead_letters import PoisonRecord, parse_record
from pydantic import ValidationError

CANCELLED = {"order_id": "ord_1", "reason": "customer changed their mind", "cancelled_by": "storefront"}


def _record(envelope: Envelope) -> ConsumerRecord:
    return ConsumerRecord("orderpulse.orders", 0, 7, 0, 0, b"ord_1", envelope.to_json(), None, 0, 0, [])


def test_the_handler_gets_the_model_the_poison_check_validated(monkeypatch):
    calls = []
    real = validate_data

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr("orderpulse.events.registry.validate_data", counting)
    envelope = parse_record(_record(new_envelope(type="order.cancelled.v1", source="/t", key="ord_1", data=CANCELLED)))
    model = envelope.validated_data
    assert calls == ["orderpulse.order.cancelled.v1"]  # once, in the poison check
    assert model.order_id == "ord_1" and model is envelope.validated_data


def test_fields_a_consumer_does_not_know_yet_are_dropped_not_refused():
    envelope = new_envelope(type="order.cancelled.v1", source="/t", key="ord_1", data={**CANCELLED, "new_field": 1})
    assert envelope.validated_data.order_id == "ord_1"
    assert "new_field" not in envelope.validated_data.model_dump()


def test_the_kept_model_does_not_change_what_an_envelope_equals():
    built = new_envelope(type="order.cancelled.v1", source="/t", key="ord_1", data=CANCELLED)
    read = Envelope.from_json(built.to_json())
    _ = read.validated_data
    assert read == Envelope.from_json(built.to_json())
    assert read.to_json() == built.to_json()


def test_invalid_data_is_refused_each_time_it_is_asked_for():
    envelope = new_envelope(type="order.cancelled.v1", source="/t", key="ord_1", data={"order_id": 5})
    for _ in range(2):
        with pytest.raises(ValidationError):
            _ = envelope.validated_data
    with pytest.raises(PoisonRecord, match="violates its schema"):
        parse_record(_record(envelope))
