"""Input validation for commands: malformed input raises `InvalidInput` naming the field
and changes nothing (api.md). Business findings are `checks.py`'s job, not this module's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidInput
from .money import parse_amount
from .values import LineRequest, OrderLine, SkuQuantity

E = TypeVar("E", bound=StrEnum)

MAX_QUANTITY_PER_LINE = 1_000_000
MAX_TEXT_LENGTH = 500


def choice(kind: type[E], value: object, field: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInput(f"{field} must be one of {allowed}; got {value!r}", field=field) from None


def required_text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} is required", field=field)
    if len(value) > MAX_TEXT_LENGTH:
        raise InvalidInput(f"{field} is longer than {MAX_TEXT_LENGTH} characters", field=field)
    return value.strip()


def optional_text(value: object, field: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return required_text(value, field)


def quantity(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY_PER_LINE:
        raise InvalidInput(f"{field} must be a whole number from 1 to {MAX_QUANTITY_PER_LINE}", field=field)
    return value


def timezone_name(value: object, field: str) -> str:
    name = required_text(value, field)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"{field} {name!r} is not an IANA timezone", field=field) from None
    return name


def currency_code(value: object, field: str) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isascii() or not value.isalpha():
        raise InvalidInput(f"{field} must be a three-letter ISO 4217 code", field=field)
    return value.upper()


def order_lines(
    requests: Iterable[LineRequest],
    new_line_id: LineIds,
    reuse: Iterable[OrderLine] = (),
    currency: str | None = None,
) -> tuple[OrderLine, ...]:
    """Validate requested lines and give them ids. A line whose sku an old line had keeps
    that line's id (a price or quantity fix is the same line); other lines get new ids."""
    requests = tuple(requests)
    if not requests:
        raise InvalidInput("lines must hold at least one line", field="lines")
    reusable: dict[str, list[str]] = {}
    for old in reuse:
        reusable.setdefault(old.sku, []).append(old.line_id)
    lines = []
    for index, request in enumerate(requests):
        where = f"lines[{index}]"
        sku = required_text(request.sku, f"{where}.sku")
        ids = reusable.get(sku)
        lines.append(
            OrderLine(
                line_id=ids.pop(0) if ids else new_line_id(),
                sku=sku,
                quantity=quantity(request.quantity, f"{where}.quantity"),
                unit_price=parse_amount(request.unit_price, f"{where}.unit_price", currency),
            )
        )
    return tuple(lines)


def sku_quantities(requests: Iterable[SkuQuantity | Mapping], field: str = "lines") -> tuple[SkuQuantity, ...]:
    """Validated [{sku, quantity}], one entry per sku (repeats are summed), in first-seen order."""
    totals: dict[str, int] = {}
    for index, request in enumerate(requests):
        sku_value = request["sku"] if isinstance(request, Mapping) else request.sku
        quantity_value = request["quantity"] if isinstance(request, Mapping) else request.quantity
        sku = required_text(sku_value, f"{field}[{index}].sku")
        totals[sku] = totals.get(sku, 0) + quantity(quantity_value, f"{field}[{index}].quantity")
    return tuple(SkuQuantity(sku, count) for sku, count in totals.items())


class LineIds:
    """Hands out `<order_id>-<n>` line ids, never reusing a number."""

    def __init__(self, order_id: str, last_number: int) -> None:
        self.order_id = order_id
        self.last_number = last_number

    def __call__(self) -> str:
        self.last_number += 1
        return f"{self.order_id}-{self.last_number}"
