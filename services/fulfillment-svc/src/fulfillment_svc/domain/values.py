"""Value objects and the small parsing rules every command shares (quantities, money, time)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from orderpulse.rfc3339 import format_time as format_time  # the one wire form of a time

from fulfillment_svc.domain.errors import InvalidAmount, InvalidInput, InvalidQuantity, InvalidTime, OccurredInFuture

MAX_EVENT_TIME_AHEAD = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class SkuQuantity:
    """A quantity of one sku: what is packed, shipped, delivered or returned."""

    sku: str
    quantity: int

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, field: str = "lines") -> SkuQuantity:
        if not isinstance(data, Mapping):
            raise InvalidInput("a line must be an object with sku and quantity", field=field)
        return cls(
            sku=parse_text(data.get("sku"), field=f"{field}.sku"),
            quantity=parse_quantity(data.get("quantity"), field=f"{field}.quantity"),
        )

    def to_data(self) -> dict[str, Any]:
        return {"sku": self.sku, "quantity": self.quantity}


@dataclass(frozen=True, slots=True)
class OrderLine:
    """A line of the order as confirmed: what was requested and at which unit price (before tax)."""

    line_id: str
    sku: str
    quantity: int
    unit_price: Decimal

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, field: str = "lines") -> OrderLine:
        if type(data) is not dict and not isinstance(data, Mapping):  # a dict skips the ABC check
            raise InvalidInput("a line must be an object", field=field)
        line_id, sku, quantity, unit_price = data.get("line_id"), data.get("sku"), data.get("quantity"), data.get("unit_price")
        if not (_is_text(line_id) and _is_text(sku) and type(quantity) is int and quantity >= 1):
            # the message names the field: only built for a line that fails (every order line is read here)
            parse_text(line_id, field=f"{field}.line_id")
            parse_text(sku, field=f"{field}.sku")
            parse_quantity(quantity, field=f"{field}.quantity")
        return cls(line_id, sku, quantity, parse_amount(unit_price, field=f"{field}.unit_price"))

    def to_data(self) -> dict[str, Any]:
        return {
            "line_id": self.line_id,
            "sku": self.sku,
            "quantity": self.quantity,
            "unit_price": format_amount(self.unit_price),
        }


def parse_text(value: Any, *, field: str) -> str:
    if not _is_text(value):
        raise InvalidInput(f"{field} must be a non-empty string", field=field)
    return value


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and not value.isspace() and value != ""


def parse_quantity(value: Any, *, field: str) -> int:
    """A whole number of units, at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidQuantity(f"{field} must be a whole number of at least 1, got {value!r}", field=field)
    return value


def parse_amount(value: Any, *, field: str) -> Decimal:
    """A money amount: a decimal string (or int / Decimal), finite and not negative. Floats are refused."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise InvalidAmount(f'{field} must be a decimal string such as "19.90", got {value!r}', field=field)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise InvalidAmount(f'{field} must be a decimal string such as "19.90", got {value!r}', field=field) from None
    if not amount.is_finite() or amount < 0:
        raise InvalidAmount(f"{field} must be a finite amount of at least 0, got {value!r}", field=field)
    return amount


def format_amount(amount: Decimal) -> str:
    """The amount as plain decimal text, never an exponent (`1E+2` is `100`). `str` writes the
    same text whenever it writes no exponent, at ~0.2 against ~0.55 µs (every line of every
    opened fulfillment is written twice: its event and its state)."""
    text = str(amount)
    return text if "E" not in text else format(amount, "f")


def require_aware(moment: Any, *, field: str) -> datetime:
    if type(moment) is datetime and moment.tzinfo is UTC:  # what the consumer reads and computes: no offset to ask
        return moment
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidTime(f"{field} must be a timezone-aware time", field=field)
    return moment


def in_utc(moment: datetime) -> datetime:
    """The same instant with `UTC` itself as its zone; a naive time (or one whose zone gives no
    offset) is returned as it is, for `require_aware` to refuse. A consumed envelope's time carries
    pydantic's `TzInfo`: every check, wire form and database parameter of it asks that zone for its
    offset (~3 times an opened order), where `UTC` answers at once (docs/fulfillment-decisions.md)."""
    if moment.tzinfo is UTC or moment.tzinfo is None or moment.utcoffset() is None:
        return moment
    return moment.astimezone(UTC)


def check_event_time(occurred_at: datetime, *, now: datetime, field: str = "occurred_at") -> datetime:
    """Event time reported by a trusted caller: aware, and at most 5 minutes ahead of `now`."""
    require_aware(occurred_at, field=field)
    if occurred_at > now + MAX_EVENT_TIME_AHEAD:
        raise OccurredInFuture(f"{field} is more than 5 minutes in the future", field=field)
    return occurred_at


def quantities_by_sku(lines: Iterable[SkuQuantity | OrderLine]) -> dict[str, int]:
    """Sum quantities per sku, keeping the order in which skus first appear."""
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return totals


def sku_quantities(totals: Mapping[str, int]) -> tuple[SkuQuantity, ...]:
    """The inverse of `quantities_by_sku`, dropping zero quantities."""
    return tuple(SkuQuantity(sku, quantity) for sku, quantity in totals.items() if quantity > 0)


def add_quantities(*mappings: Mapping[str, int]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for mapping in mappings:
        for sku, quantity in mapping.items():
            totals[sku] = totals.get(sku, 0) + quantity
    return totals


def allocate_to_order_lines(
    order_lines: Iterable[OrderLine], quantities: Mapping[str, int], *, already: Mapping[str, int]
) -> tuple[OrderLine, ...]:
    """Spread per-sku quantities over the order's lines of that sku, first line first.

    `already` is what earlier shipments took per sku; they are taken from the first lines, so a
    line is never counted twice. The result carries each line's id and unit price, which is what
    prices a shipment and what `shipment.dispatched` reports as its lines. Quantities beyond the
    order's lines are priced at the sku's last line (the caller has refused them before).
    """
    to_place = dict(quantities)
    skipped = dict(already)
    placed: list[OrderLine] = []
    last_line_of_sku: dict[str, OrderLine] = {}
    for line in order_lines:
        last_line_of_sku[line.sku] = line
        room = line.quantity
        skip = min(room, skipped.get(line.sku, 0))
        skipped[line.sku] = skipped.get(line.sku, 0) - skip
        room -= skip
        take = min(room, to_place.get(line.sku, 0))
        if take > 0:
            placed.append(OrderLine(line.line_id, line.sku, take, line.unit_price))
            to_place[line.sku] -= take
    for sku, left in to_place.items():
        if left > 0 and sku in last_line_of_sku:
            line = last_line_of_sku[sku]
            placed.append(OrderLine(line.line_id, sku, left, line.unit_price))
    return tuple(placed)


def value_of(lines: Iterable[OrderLine]) -> Decimal:
    return sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
