"""Money: Decimal in cents, refused rather than rounded when more precise, decimal strings on the wire."""

from decimal import Decimal

import pytest
from order_svc.domain.errors import InvalidInput
from order_svc.domain.money import cents, money_text, parse_amount, parse_rate


@pytest.mark.parametrize(
    ("given", "amount"),
    [("12.5", "12.50"), ("0", "0.00"), (7, "7.00"), (Decimal("3.10"), "3.10"), (19.99, "19.99"), (" 4.2 ", "4.20")],
)
def test_amounts_are_read_into_cents(given, amount):
    assert parse_amount(given, "amount") == Decimal(amount)
    assert str(parse_amount(given, "amount")) == amount


@pytest.mark.parametrize("given", ["1.005", "-0.01", "abc", "Infinity", "NaN", True, "1e9", None])
def test_amounts_that_are_not_cents_of_zero_or_more_are_refused(given):
    with pytest.raises(InvalidInput) as refused:
        parse_amount(given, "lines[0].unit_price")
    assert refused.value.field == "lines[0].unit_price"


def test_money_is_written_as_a_plain_two_decimal_string():
    assert money_text(Decimal("12.5")) == "12.50"
    assert money_text(Decimal("1E+3")) == "1000.00"


def test_rounding_to_cents_is_half_up():
    assert cents(Decimal("0.125")) == Decimal("0.13")
    assert cents(Decimal("0.135")) == Decimal("0.14")


@pytest.mark.parametrize("given", ["-0.1", "1.5", "x"])
def test_tax_rates_must_lie_between_zero_and_one(given):
    with pytest.raises(InvalidInput):
        parse_rate(given)
