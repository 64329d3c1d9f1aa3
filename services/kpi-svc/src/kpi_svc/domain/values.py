"""How the engine holds values: times as integer epoch milliseconds, money as integer
ten-thousandths of the currency unit. Integers keep sums, retractions and merges exact."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from orderpulse.events.limits import MONEY_MAX_FRACTION_DIGITS, MONEY_MAX_INTEGER_DIGITS, QUANTITY_MAX
from orderpulse.rfc3339 import format_epoch_ms

MONEY_SCALE = 10_000
MONEY_LIMIT = 10**MONEY_MAX_INTEGER_DIGITS  # amounts are below this (the event models' limit)
_fromisoformat = datetime.fromisoformat
_UTC = UTC
_intern = sys.intern


class InvalidEvent(ValueError):
    """The event cannot be applied (missing or malformed field); nothing was changed."""


def parse_time_ms(text: object, field: str = "time") -> int:
    """RFC 3339 (`2026-11-20T14:03:11.512Z`) -> epoch milliseconds. Offsets are required."""
    try:
        moment = _fromisoformat(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidEvent(f"{field}: not an RFC 3339 time: {text!r}") from None
    if moment.tzinfo is None:
        raise InvalidEvent(f"{field}: time without offset: {text!r}")
    return round(moment.timestamp() * 1000)


def optional_time_ms(text: object, field: str) -> int | None:
    return None if text is None or text == "" else parse_time_ms(text, field)


def datetime_to_ms(moment: datetime | int | float) -> int:
    """An aware datetime (or epoch ms already) -> epoch milliseconds."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one")
        return round(moment.timestamp() * 1000)
    return int(moment)


def ms_to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, _UTC)


def format_ms(ms: int | None) -> str | None:
    """Epoch ms -> `2026-11-20T14:03:11.512Z` (None stays None)."""
    if ms is None:
        return None
    return format_epoch_ms(ms)


_money_cache: dict[str, int] = {}


def parse_money(value: object, field: str) -> int:
    """A decimal string or number -> integer ten-thousandths (`"12.5"` -> 125000)."""
    cached = _money_cache.get(value) if type(value) is str else None  # noqa: E721 (exact str)
    if cached is not None:
        return cached
    scaled = _parse_money(value, field)
    if type(value) is str:  # noqa: E721
        if len(_money_cache) >= 50_000:
            _money_cache.clear()
        _money_cache[value] = scaled
    return scaled


def _parse_money(value: object, field: str) -> int:
    """The limits of the event models (orderpulse.events.limits): ASCII digits, at most 12 before
    and 4 after the point; numbers (not the contract, tolerated) finite and below the same bound."""
    if isinstance(value, bool):
        raise InvalidEvent(f"{field}: not an amount: {value!r}")
    if isinstance(value, int):
        if -MONEY_LIMIT < value < MONEY_LIMIT:
            return value * MONEY_SCALE
    elif isinstance(value, float):
        if -MONEY_LIMIT < value < MONEY_LIMIT:  # False for nan and the infinities
            return round(value * MONEY_SCALE)
    elif isinstance(value, str) and value.isascii():
        text = value.strip()
        negative = text.startswith("-")
        whole, _, fraction = text.lstrip("+-").partition(".")
        if (
            (whole.isdigit() or (whole == "" and fraction))
            and (fraction == "" or fraction.isdigit())
            and len(whole) <= MONEY_MAX_INTEGER_DIGITS
            and len(fraction) <= MONEY_MAX_FRACTION_DIGITS
        ):
            scaled = int(whole or "0") * MONEY_SCALE + int((fraction + "0000")[:4])
            return -scaled if negative else scaled
    raise InvalidEvent(f"{field}: not an amount below 10^{MONEY_MAX_INTEGER_DIGITS} with at most {MONEY_MAX_FRACTION_DIGITS} decimals: {value!r}")


def optional_money(value: object, field: str) -> int:
    return 0 if value is None or value == "" else parse_money(value, field)


def parse_quantity(value: object, field: str = "quantity") -> int:
    """A whole count from 0 to QUANTITY_MAX (the event models' limit); a float must be whole."""
    if type(value) is int and 0 <= value <= QUANTITY_MAX:  # noqa: E721 (exact int: not a bool)
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= QUANTITY_MAX or value != int(value):
        raise InvalidEvent(f"{field}: not a quantity from 0 to {QUANTITY_MAX}: {value!r}")
    return int(value)


def _line_sku(line: object, field: str) -> str:
    if not isinstance(line, dict):
        raise InvalidEvent(f"{field}: every line needs a sku")
    sku = line.get("sku")
    if type(sku) is str:  # noqa: E721 (exact str: a subclass is kept as given, see shared)
        return _intern(sku)
    if not isinstance(sku, str):
        raise InvalidEvent(f"{field}: every line needs a sku")
    return sku


def sku_quantities(lines: object, field: str = "lines") -> dict[str, int]:
    """`[{"sku", "quantity", ...}]` -> {sku: total quantity}."""
    if not isinstance(lines, list):
        raise InvalidEvent(f"{field}: expected a list")
    totals: dict[str, int] = {}
    for line in lines:
        sku = _line_sku(line, field)
        quantity = line.get("quantity")
        if type(quantity) is not int or not 0 <= quantity <= QUANTITY_MAX:  # noqa: E721
            quantity = parse_quantity(quantity, f"{field}.quantity")
        totals[sku] = totals.get(sku, 0) + quantity
    return totals


def priced_lines(lines: object, field: str = "lines") -> dict[str, tuple]:
    """`[{"sku", "quantity", "unit_price"}]` -> {sku: (quantity, unit price in ten-thousandths)}.

    A sku listed twice keeps the sum of quantities and the first price seen.
    """
    if not isinstance(lines, list):
        raise InvalidEvent(f"{field}: expected a list")
    out: dict[str, tuple] = {}
    for line in lines:
        sku = _line_sku(line, field)
        quantity = line.get("quantity")
        if type(quantity) is not int or not 0 <= quantity <= QUANTITY_MAX:  # noqa: E721
            quantity = parse_quantity(quantity, f"{field}.quantity")
        price = line.get("unit_price")
        if price is None:
            price_value = None
        else:
            price_value = _money_cache.get(price) if type(price) is str else None  # noqa: E721
            if price_value is None:
                price_value = parse_money(price, f"{field}.unit_price")
        known = out.get(sku)
        out[sku] = (quantity, price_value) if known is None else (known[0] + quantity, known[1])
    return out
