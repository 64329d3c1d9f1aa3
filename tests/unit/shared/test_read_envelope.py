"""`read_envelope` (the consumer's reading of a record's body) builds what `Envelope.model_validate`
builds, field for field, whether it takes its own path or pydantic's, and refuses what pydantic
refuses with pydantic's own error."""

from __future__ import annotations

import pytest
from orderpulse.events.envelope import Envelope, read_envelope
from orderpulse.rfc3339 import format_time
from pydantic import ValidationError

WRITTEN = {
    "specversion": "1.0",
    "id": "0b9c3c1e-4f0a-4c5e-9a57-3d1f0e5b7a21",
    "source": "/fulfillment-svc",
    "type": "orderpulse.shipment.dispatched.v1",
    "subject": "ord_1",
    "time": "2026-12-07T06:00:00.123Z",
    "datacontenttype": "application/json",
    "partitionkey": "ord_1",
    "data": {"order_id": "ord_1", "lines": [{"sku": "MUG", "quantity": 2}], "note": None},
}


def _same(body: dict) -> Envelope:
    read, validated = read_envelope(body), Envelope.model_validate(body)
    assert read == validated
    assert read.__dict__ == validated.__dict__
    assert read.model_fields_set == validated.model_fields_set
    assert read.time.utcoffset() == validated.time.utcoffset()
    if read.time.tzinfo is not None:  # a naive time cannot go on the wire either way
        assert read.to_json() == validated.to_json()
        assert format_time(read.time) == format_time(validated.time)
    return read


@pytest.mark.parametrize("change", [
    {},
    {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
    {"traceparent": None},
    {"time": "2026-12-07T06:00:00Z"},
    {"time": "2026-12-07T06:00:00.123456Z"},
    {"time": "2026-12-07T07:00:00.123+01:00"},
    {"time": "2026-12-07T01:30:00.123-04:30"},
    {"unknown_attribute": "ignored", "dataschema": "x"},
    {"data": {}},
])
def test_a_written_envelope_reads_as_pydantic_reads_it(change):
    _same({**WRITTEN, **change})


@pytest.mark.parametrize("missing", ["specversion", "datacontenttype"])
def test_defaults_fill_what_is_left_out(missing):
    body = {name: value for name, value in WRITTEN.items() if name != missing}
    assert missing not in _same(body).model_fields_set


@pytest.mark.parametrize("change", [
    {"time": "2026-12-07 06:00:00Z"},  # other forms pydantic reads
    {"time": "2026-12-07T06:00:00.1Z"},
    {"time": "2026-12-07T06:00:00"},  # naive
    {"time": 1_733_551_200},
    {"id": 17},  # pydantic's own coercions, or its error
])
def test_other_forms_go_to_pydantic(change):
    body = {**WRITTEN, **change}
    try:
        Envelope.model_validate(body)
    except ValidationError as error:
        with pytest.raises(ValidationError) as raised:
            read_envelope(body)
        assert raised.value.errors() == error.errors()
    else:
        _same(body)


@pytest.mark.parametrize("body", [
    {**WRITTEN, "time": "2026-11-31T06:00:00.000Z"},  # no such day
    {**WRITTEN, "time": "2026-12-07T06:00:00.000+25:00"},
    {**WRITTEN, "time": "２０２６-12-07T06:00:00.000Z"},  # not ASCII digits
    {**WRITTEN, "data": ["not", "an", "object"]},
    {**WRITTEN, "traceparent": 5},
    {**WRITTEN, "specversion": 1},
    {key: value for key, value in WRITTEN.items() if key != "partitionkey"},
    ["not", "an", "object"],
    "text",
])
def test_what_pydantic_refuses_is_refused_with_its_error(body):
    with pytest.raises(ValidationError) as expected:
        Envelope.model_validate(body)
    with pytest.raises(ValidationError) as raised:
        read_envelope(body)
    assert raised.value.errors() == expected.value.errors()


def test_the_data_model_is_kept_out_of_equality_and_of_the_wire_form():
    body = {**WRITTEN, "type": "orderpulse.order.cancelled.v1",
            "data": {"order_id": "ord_1", "reason": "changed mind", "cancelled_by": "storefront"}}
    read = read_envelope(body)
    model = read.validated_data
    assert model is read.validated_data and model.order_id == "ord_1"
    assert read == Envelope.model_validate(body)
    assert read.to_json() == Envelope.model_validate(body).to_json()
    assert "validated_data" not in read.model_dump()
