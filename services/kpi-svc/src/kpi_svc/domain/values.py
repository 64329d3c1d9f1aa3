"""How the engine holds values: times as integer epoch milliseconds, money as integer
ten-thousandths of the currency unit. Integers keep sums, retractions and merges exact."""

from __future__ import annotations

from datetime import UTC, datetime

MONEY_SCALE = 10_000
_fromisoformat = datetime.fromisoformat
_UTC = UTC


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
    seconds, millis = divmod(ms, 1000)
    return datetime.fromtimestamp(seconds, _UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis:03d}Z"


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
    if isinstance(value, bool):
        raise InvalidEvent(f"{field}: not an amount: {value!r}")
    if isinstance(value, int):
        return value * MONEY_SCALE
    if isinstance(value, float):
        return round(value * MONEY_SCALE)
    if isinstance(value, str):
        text = value.strip()
        negative = text.startswith("-")
        whole, _, fraction = text.lstrip("+-").partition(".")
        if (whole.isdigit() or (whole == "" and fraction)) and (fraction == "" or fraction.isdigit()):
            scaled = int(whole or "0") * MONEY_SCALE + round(int((fraction + "0000")[:5]) / 10)
            return -scaled if negative else scaled
    raise InvalidEvent(f"{field}: not an amount: {value!r}")


def optional_money(value: object, field: str) -> int:
    return 0 if value is None or value == "" else parse_money(value, field)


def parse_quantity(value: object, field: str = "quantity") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InvalidEvent(f"{field}: not a quantity: {value!r}")
    return int(value)


def sku_quantities(lines: object, field: str = "lines") -> dict[str, int]:
    """`[{"sku", "quantity", ...}]` -> {sku: total quantity}."""
    if not isinstance(lines, list):
        raise InvalidEvent(f"{field}: expected a list")
    totals: dict[str, int] = {}
    for line in lines:
        if not isinstance(line, dict) or not isinstance(line.get("sku"), str):
            raise InvalidEvent(f"{field}: every line needs a sku")
        sku = line["sku"]
        totals[sku] = totals.get(sku, 0) + parse_quantity(line.get("quantity"), f"{field}.quantity")
    return totals


def priced_lines(lines: object, field: str = "lines") -> dict[str, tuple]:
    """`[{"sku", "quantity", "unit_price"}]` -> {sku: (quantity, unit price in ten-thousandths)}.

    A sku listed twice keeps the sum of quantities and the first price seen.
    """
    if not isinstance(lines, list):
        raise InvalidEvent(f"{field}: expected a list")
    out: dict[str, tuple] = {}
    for line in lines:
        if not isinstance(line, dict) or not isinstance(line.get("sku"), str):
            raise InvalidEvent(f"{field}: every line needs a sku")
        quantity = parse_quantity(line.get("quantity"), f"{field}.quantity")
        price = line.get("unit_price")
        price_value = None if price is None else parse_money(price, f"{field}.unit_price")
        known = out.get(line["sku"])
        out[line["sku"]] = (quantity, price_value) if known is None else (known[0] + quantity, known[1])
    return out
