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


def test_money_is_written_as_a_plain_string_in_the_currencys_minor_units():
    assert money_text(Decimal("12.5"), "USD") == "12.50"
    assert money_text(Decimal("1E+3"), "EUR") == "1000.00"
    assert money_text(Decimal("1500"), "JPY") == "1500"
    assert money_text(Decimal("2.5"), "KWD") == "2.500"
    assert money_text(parse_amount("1500", "x", "JPY")) == "1500"  # parsed amounts keep their minor units


@pytest.mark.parametrize(
    ("currency", "given", "amount"),
    [("JPY", "1500", "1500"), ("KWD", "2.125", "2.125"), ("KWD", "2.5", "2.500"), ("usd", "3", "3.00"), ("CLF", "1.2345", "1.2345")],
)
def test_amounts_follow_the_minor_units_of_their_currency(currency, given, amount):
    assert str(parse_amount(given, "unit_price", currency)) == amount


@pytest.mark.parametrize(("currency", "given"), [("JPY", "1500.5"), ("USD", "1.005"), ("KWD", "2.1255")])
def test_more_decimals_than_the_currency_has_are_refused_naming_the_field_and_the_currency(currency, given):
    with pytest.raises(InvalidInput) as refused:
        parse_amount(given, "lines[0].unit_price", currency)
    assert refused.value.field == "lines[0].unit_price"
    assert currency in refused.value.detail


def test_rounding_to_cents_is_half_up():
    assert cents(Decimal("0.125")) == Decimal("0.13")
    assert cents(Decimal("0.135")) == Decimal("0.14")


@pytest.mark.parametrize("given", ["-0.1", "1.5", "x"])
def test_tax_rates_must_lie_between_zero_and_one(given):
    with pytest.raises(InvalidInput):
        parse_rate(given)
