"""Money as `Decimal` in the currency's minor units (ISO 4217: JPY 0 decimals, USD 2, KWD 3) and
as decimal strings on the wire."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from orderpulse.events.limits import MONEY_MAX_INTEGER_DIGITS

from .errors import InvalidInput

ZERO = Decimal("0")
MAX_AMOUNT = Decimal("1000000000")  # a billion per amount: far above any order, far below overflow
MAX_TOTAL = Decimal(10) ** MONEY_MAX_INTEGER_DIGITS  # the largest amount an event carries, exclusive
DEFAULT_MINOR_UNITS = 2

# ISO 4217 currencies whose minor unit is not 2 decimals (the list 4217 publishes; funds codes included).
MINOR_UNITS = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF",
         "XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


def minor_units(currency: str | None) -> int:
    """Decimals of the currency's minor unit; 2 for every currency ISO 4217 does not list otherwise."""
    return MINOR_UNITS.get((currency or "").upper(), DEFAULT_MINOR_UNITS)


@cache  # a handful of currencies; called ~20 times per order placed
def quantum(currency: str | None) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def parse_amount(value: object, field: str, currency: str | None = None) -> Decimal:
    """A non-negative amount in the currency's minor units (two decimals when none is given).

    More precision than the minor unit is refused rather than rounded: a price of 19.999 USD
    or 1500.5 JPY is a caller's mistake, not something to guess about.
    """
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be a decimal amount", field=field)
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(f"{field} must be a decimal amount, got {value!r}", field=field) from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        raise InvalidInput(f"{field} must be an amount from 0 to below {MAX_AMOUNT}", field=field)
    step = quantum(currency)
    if amount != amount.quantize(step, rounding=ROUND_HALF_UP):
        places = minor_units(currency)
        unit = f"{currency.upper()} has {places}" if currency else f"amounts have {places}"
        raise InvalidInput(f"{field} has more decimals than its currency's minor unit ({unit}): {value}", field=field)
    return amount.quantize(step)


def parse_rate(value: object, field: str = "tax_rate") -> Decimal:
    """A rate such as 0.2 (20 %), between 0 and 1."""
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"{field} must be a decimal rate, got {value!r}", field=field) from None
    if not rate.is_finite() or rate < 0 or rate > 1:
        raise InvalidInput(f"{field} must be between 0 and 1", field=field)
    return rate


def in_minor_units(amount: Decimal, currency: str | None = None) -> Decimal:
    """Round half up to the currency's minor unit (how tax is rounded)."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def cents(amount: Decimal) -> Decimal:
    """Round half up to two decimals."""
    return in_minor_units(amount)


def money_text(amount: Decimal, currency: str | None = None) -> str:
    """The wire form: a plain decimal string in the currency's minor units, e.g. `"19.90"`, `"1500"`
    (JPY). Without a currency the amount is written as it is held: amounts are parsed and stored
    in their currency's minor units, so a line's price keeps its decimals."""
    return f"{amount if currency is None else in_minor_units(amount, currency):f}"


def within_total_limit(total: Decimal) -> Decimal:
    """An order's total must fit the events' money limit; lines that add up past it are refused
    (422 naming `lines`) rather than failing when the order is published."""
    if total >= MAX_TOTAL:
        raise InvalidInput(f"the lines add up to {total}, more than an order may total (below {MAX_TOTAL})", field="lines")
    return total
