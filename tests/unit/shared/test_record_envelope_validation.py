"""The consumer's parse (`parse_record`) validates a record's envelope by calling `Envelope`'s
validator directly: the same envelope, or the same errors (hence the same dead letter), as
`Envelope.model_validate` gives, for any body, valid or not."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from orderpulse.events.envelope import Envelope
from orderpulse.messaging import dead_letters
from pydantic import ValidationError

_VALID = {
    "specversion": "1.0", "id": "8a4e0c7e-0d5b-4c1e-9d0a-2f8e6c1b3a90", "source": "/order-svc",
    "type": "orderpulse.order.cancelled.v1", "subject": "ord_1", "time": "2026-12-07T10:00:00.123Z",
    "datacontenttype": "application/json", "partitionkey": "ord_1",
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "data": {"order_id": "ord_1", "reason": "x", "cancelled_by": "storefront"},
}
_ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12),
    st.sampled_from(["2026-12-07T10:00:00+02:00", "2026-12-07T10:00:00", "2026-12-07", "1733565600", "", " "]),
    st.just(1733565600), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(datetime(2026, 12, 7, tzinfo=UTC)),
)


@st.composite
def bodies(draw: st.DrawFn) -> dict:
    body = dict(_VALID)
    for name in draw(st.lists(st.sampled_from(sorted(_VALID) + ["extra", "Type"]), max_size=3, unique=True)):
        if draw(st.booleans()) and name in body:
            del body[name]
        else:
            body[name] = draw(_ODD_VALUES)
    return body


def _outcome(validate, body: dict) -> tuple:
    try:
        envelope = validate(body)
    except ValidationError as error:
        return ("refused", error.errors(include_url=False))
    return ("read", envelope, envelope.model_fields_set, type(envelope.time.tzinfo), envelope.__pydantic_extra__)


@given(bodies())
def test_the_direct_validator_reads_and_refuses_what_model_validate_does(body):
    assert _outcome(dead_letters._validate_envelope, body) == _outcome(Envelope.model_validate, body)


def test_a_valid_body_is_read_as_model_validate_reads_it():
    assert _outcome(dead_letters._validate_envelope, dict(_VALID))[0] == "read"
    assert dead_letters._validate_envelope(dict(_VALID)) == Envelope.model_validate(dict(_VALID))
