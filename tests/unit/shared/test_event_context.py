"""A consumed event's context: its ids and trace on every log line inside the block, the trace
continued (same trace id, a new span) for the events it causes, nothing left on the logs after."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import orjson
from orderpulse.events.envelope import Envelope, new_event_id
from orderpulse.messaging.handlers import event_context
from orderpulse.observability.logs import JsonFormatter, log_context
from orderpulse.observability.tracing import current_traceparent

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def envelope(traceparent: str | None) -> Envelope:
    return Envelope(id=new_event_id(), source="/test", type="orderpulse.order.placed.v1", subject="ord_1",
                    time=datetime.now(UTC), partitionkey="ord_1", traceparent=traceparent, data={})


def log_line(message: str = "hello") -> dict:
    record = logging.makeLogRecord({"name": "t", "levelno": logging.INFO, "levelname": "INFO", "msg": message})
    return orjson.loads(JsonFormatter("test").format(record))


def test_log_lines_inside_carry_the_event_and_its_trace_and_nothing_after():
    event = envelope(INCOMING)
    with event_context(event):
        inside = log_line()
        with log_context(shipment_id="shp_1", carrier=None):
            nested = log_line()
        after_nested = log_line()
    after = log_line()
    assert (inside["event_id"], inside["order_id"], inside["trace_id"]) == (event.id, "ord_1", TRACE_ID)
    assert nested["shipment_id"] == "shp_1" and "carrier" not in nested and nested["event_id"] == event.id
    assert "shipment_id" not in after_nested and after_nested["event_id"] == event.id
    assert not {"event_id", "order_id", "trace_id"} & after.keys()


def test_the_events_it_causes_continue_its_trace_with_a_span_of_their_own():
    with event_context(envelope(INCOMING)):
        caused = current_traceparent()
    version, trace_id, span_id, flags = caused.split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
    assert span_id != "00f067aa0ba902b7" and len(span_id) == 16


def test_an_event_without_a_valid_trace_starts_a_new_one_and_logs_no_trace_id():
    for traceparent in (None, "not-a-traceparent"):
        with event_context(envelope(traceparent)):
            line = log_line()
            caused = current_traceparent()
        assert "trace_id" not in line
        assert caused.startswith("00-") and caused.split("-")[1] != TRACE_ID and len(caused.split("-")[1]) == 32


def test_its_log_fields_are_those_a_log_fields_block_gives_inside_any_other_block():
    from orderpulse.observability.logs import LogFields, _context

    for outer in ({}, {"shipment_id": "shp_1", "trace_id": "older"}, {"event_id": "outer", "order_id": "ord_0"}):
        for traceparent in (INCOMING, None, "not-a-traceparent"):
            event = envelope(traceparent)
            with log_context(**outer):
                with event_context(event):
                    shortcut = dict(_context.get())
                trace_id = TRACE_ID if traceparent == INCOMING else None
                with LogFields({"event_id": event.id, "order_id": event.partitionkey, "trace_id": trace_id}):
                    long_way = dict(_context.get())
                after = dict(_context.get())
            assert shortcut == long_way
            assert after == outer
