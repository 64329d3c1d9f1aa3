"""Money as `Decimal` in currency minor units (two decimals) and as decimal strings on the wire."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import InvalidInput

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("1000000000")  # a billion per amount: far above any order, far below overflow


def parse_amount(value: object, field: str) -> Decimal:
    """A non-negative amount with at most two decimals, quantized to cents.

    More precision than the minor unit is refused rather than rounded: a price of
    19.999 is a caller's mistake, not something to guess about.
    """
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be a decimal amount", field=field)
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(f"{field} must be a decimal amount, got {value!r}", field=field) from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        raise InvalidInput(f"{field} must be an amount from 0 to below {MAX_AMOUNT}", field=field)
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise InvalidInput(f"{field} has more than two decimals: {value}", field=field)
    return amount.quantize(CENT)


def parse_rate(value: object, field: str = "tax_rate") -> Decimal:
    """A rate such as 0.2 (20 %), between 0 and 1."""
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"{field} must be a decimal rate, got {value!r}", field=field) from None
    if not rate.is_finite() or rate < 0 or rate > 1:
        raise InvalidInput(f"{field} must be between 0 and 1", field=field)
    return rate


def cents(amount: Decimal) -> Decimal:
    """Round half up to the minor unit (how tax is rounded)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(amount: Decimal) -> str:
    """The wire form: a plain decimal string with two decimals, e.g. `"19.90"`."""
    return f"{cents(amount):f}"
