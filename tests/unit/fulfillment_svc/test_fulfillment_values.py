import re
from datetime import timedelta
from decimal import Decimal

import pytest
from fulfillment_svc.domain.errors import InvalidAmount, InvalidInput, InvalidQuantity, OccurredInFuture
from fulfillment_svc.domain.orders import ConfirmedOrder
from fulfillment_svc.domain.values import (
    OrderLine,
    SkuQuantity,
    allocate_to_order_lines,
    check_event_time,
    format_amount,
    parse_amount,
    parse_quantity,
)
from fulfillment_svc.service_layer.context import new_id
from hypothesis import given
from hypothesis import strategies as st

LINES = (
    OrderLine("l1", "MUG", 2, Decimal("12.50")),
    OrderLine("l2", "TEE", 1, Decimal("20.00")),
    OrderLine("l3", "MUG", 3, Decimal("11.00")),
)


def test_shipped_units_are_matched_to_the_order_lines_first_line_first():
    assert allocate_to_order_lines(LINES, {"MUG": 3}, already={}) == (
        OrderLine("l1", "MUG", 2, Decimal("12.50")),
        OrderLine("l3", "MUG", 1, Decimal("11.00")),
    )


def test_units_shipped_before_are_skipped_so_no_line_is_counted_twice():
    assert allocate_to_order_lines(LINES, {"MUG": 2, "TEE": 1}, already={"MUG": 3}) == (
        OrderLine("l2", "TEE", 1, Decimal("20.00")),
        OrderLine("l3", "MUG", 2, Decimal("11.00")),
    )


def test_a_second_shipment_is_priced_at_the_lines_it_fulfils(build):
    order = ConfirmedOrder("ord_1", LINES, promised_by=build.at(days=5))
    stock = build.stock(MUG=10, TEE=10)
    fulfillment = build.fulfillment(order, stock=stock)
    build.ship(fulfillment, stock, "shp_1", tracking_number="T1", MUG=2)

    second = fulfillment.pack(
        shipment_id="shp_2",
        lines=build.lines(MUG=3),
        documents=[build.document("invoice", "INV-2", total="33.00", MUG=3)],
        occurred_at=build.at(hours=5),
    )

    assert second.document_discrepancies == ()


@pytest.mark.parametrize("value", [0, -1, 1.5, "2", True, None])
def test_a_quantity_is_a_whole_number_of_at_least_one(value):
    with pytest.raises(InvalidQuantity):
        parse_quantity(value, field="quantity")


@pytest.mark.parametrize("value", [12.5, "twelve", "NaN", "Infinity", "-0.01", None, True])
def test_an_amount_is_a_finite_non_negative_decimal_never_a_float(value):
    with pytest.raises(InvalidAmount):
        parse_amount(value, field="total")


def test_amounts_keep_their_exact_decimal_value():
    assert parse_amount("19.90", field="total") == Decimal("19.90")
    assert parse_amount(3, field="total") == Decimal(3)


def test_an_event_time_more_than_five_minutes_ahead_is_refused(build):
    now = build.t0

    assert check_event_time(now + timedelta(minutes=5), now=now) == now + timedelta(minutes=5)
    with pytest.raises(OccurredInFuture) as refused:
        check_event_time(now + timedelta(minutes=5, seconds=1), now=now)
    assert refused.value.field == "occurred_at"


def test_sku_quantities_are_read_from_request_data_naming_bad_fields():
    assert SkuQuantity.from_data({"sku": "MUG", "quantity": 2}) == SkuQuantity("MUG", 2)
    with pytest.raises(InvalidQuantity) as refused:
        SkuQuantity.from_data({"sku": "MUG", "quantity": "2"}, field="lines")
    assert refused.value.field == "lines.quantity"


@pytest.mark.parametrize(("line", "error", "field"), [
    ({"line_id": " ", "sku": "MUG", "quantity": 1, "unit_price": "1.00"}, InvalidInput, "lines.line_id"),
    ({"line_id": "l1", "sku": "", "quantity": 1, "unit_price": "1.00"}, InvalidInput, "lines.sku"),
    ({"line_id": "l1", "sku": "MUG", "quantity": True, "unit_price": "1.00"}, InvalidQuantity, "lines.quantity"),
    ({"line_id": "l1", "sku": "MUG", "quantity": 0, "unit_price": "1.00"}, InvalidQuantity, "lines.quantity"),
    ({"line_id": "l1", "sku": "MUG", "quantity": 1, "unit_price": "-1.00"}, InvalidAmount, "lines.unit_price"),
    ({"line_id": "l1", "sku": "MUG", "quantity": 1, "unit_price": "NaN"}, InvalidAmount, "lines.unit_price"),
    ({"line_id": "l1", "sku": "MUG", "quantity": 1, "unit_price": 1.5}, InvalidAmount, "lines.unit_price"),
    (["l1", "MUG"], InvalidInput, "lines"),
])
def test_order_lines_are_read_from_event_data_naming_the_bad_field(line, error, field):
    """The valid path skips building field names; a bad line still names its field."""
    with pytest.raises(error) as refused:
        OrderLine.from_data(line)
    assert refused.value.field == field


def test_order_lines_read_from_event_data_keep_their_values():
    assert OrderLine.from_data({"line_id": "l1", "sku": "MUG", "quantity": 3, "unit_price": " 12.50"}) == OrderLine(
        "l1", "MUG", 3, Decimal("12.50"))
    assert OrderLine.from_data({"line_id": "l1", "sku": "MUG", "quantity": 1, "unit_price": 7}).unit_price == 7


def test_new_ids_are_a_prefix_and_128_random_bits_in_hex():
    ids = {new_id("ful") for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"ful_[0-9a-f]{32}", value) for value in ids)


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_an_amount_is_written_as_plain_decimal_text_whatever_its_exponent(amount):
    assert format_amount(amount) == format(amount, "f")


@pytest.mark.parametrize(("amount", "text"), [("1E+2", "100"), ("1E-7", "0.0000001"), ("12.50", "12.50"), ("0", "0")])
def test_an_amount_str_would_write_with_an_exponent_is_written_without_one(amount, text):
    assert format_amount(Decimal(amount)) == text


def test_a_time_in_utc_is_the_same_instant_with_utc_itself_as_its_zone():
    from datetime import UTC, datetime, timezone

    from fulfillment_svc.domain.values import in_utc
    from orderpulse.events.envelope import Envelope

    consumed = Envelope.model_validate({"id": "e", "source": "s", "type": "t", "subject": "k", "partitionkey": "k",
                                        "time": "2026-12-07T12:00:00.123Z", "data": {}}).time
    assert consumed.tzinfo is not UTC  # pydantic's own zone at offset zero
    berlin = datetime(2026, 12, 7, 13, 0, 0, 123000, tzinfo=timezone(timedelta(hours=1)))
    for moment in (consumed, berlin, datetime(2026, 12, 7, 12, 0, 0, 123000, tzinfo=UTC)):
        moved = in_utc(moment)
        assert moved == moment and moved.tzinfo is UTC
        assert moved.isoformat() == "2026-12-07T12:00:00.123000+00:00"
    already = datetime(2026, 12, 7, tzinfo=UTC)
    assert in_utc(already) is already
    naive = datetime(2026, 12, 7, 12, 0)
    assert in_utc(naive) is naive  # left for `require_aware` to refuse, never read as local time
