"""Entry checks: what holds an order instead of rejecting it (api.md, "Entry checks").

Each finding names the offending field (`lines[1].unit_price`, `ship_to.postal_code`);
line indexes count from 0, like JSON paths and pydantic error locations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Protocol

from .countries import COUNTRY_CODES
from .money import money_text
from .values import Address, Discrepancy, DiscrepancyCode, OrderLine

_POSTAL_CODE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9 -]{0,8}[A-Za-z0-9])?$")
ADDRESS_PARTS = ("country", "region", "city", "postal_code")


class PricedItem(Protocol):
    """What the checks need from a catalog entry (`model.CatalogItem` is one)."""

    sku: str
    unit_price: object
    currency: str
    max_quantity: int


def entry_findings(
    lines: Iterable[OrderLine],
    ship_to: Address,
    catalog: Mapping[str, PricedItem],
    currency: str,
) -> tuple[Discrepancy, ...]:
    """Every entry check on an order's lines and address, in field order.

    An item's `max_quantity` limits the units of its sku in the whole order: two lines of one
    sku are held as soon as their sum passes it (on the line where it does), so a limit cannot
    be dodged by splitting a line, and no sku of a confirmed order needs more than the events'
    `QUANTITY_MAX` units (fulfillment-svc backorders and delivers per sku).
    """
    findings: list[Discrepancy] = []
    units_so_far: dict[str, int] = {}
    for index, line in enumerate(lines):
        earlier = units_so_far.get(line.sku, 0)
        units_so_far[line.sku] = earlier + line.quantity
        findings.extend(line_findings(index, line, catalog.get(line.sku), currency, earlier_units=earlier))
    findings.extend(address_findings(ship_to))
    return tuple(findings)


def line_findings(
    index: int, line: OrderLine, item: PricedItem | None, currency: str, *, earlier_units: int = 0
) -> list[Discrepancy]:
    """unknown_sku, else price_mismatch and quantity_limit against the catalog entry.

    `earlier_units` are the units of the same sku on the order's lines before this one.
    """
    where = f"lines[{index}]"
    if item is None:
        return [Discrepancy(DiscrepancyCode.UNKNOWN_SKU, f"{where}.sku", f"sku {line.sku!r} is not in the catalog")]
    findings = []
    if item.currency != currency:
        findings.append(
            Discrepancy(
                DiscrepancyCode.PRICE_MISMATCH,
                f"{where}.unit_price",
                f"sku {line.sku!r} is priced in {item.currency}, the order is in {currency}",
            )
        )
    elif line.unit_price != item.unit_price:
        findings.append(
            Discrepancy(
                DiscrepancyCode.PRICE_MISMATCH,
                f"{where}.unit_price",
                f"unit price {money_text(line.unit_price)} differs from the catalog price "
                f"{money_text(item.unit_price, item.currency)} {item.currency} for sku {line.sku!r}",
            )
        )
    if line.quantity > item.max_quantity:
        findings.append(
            Discrepancy(
                DiscrepancyCode.QUANTITY_LIMIT,
                f"{where}.quantity",
                f"quantity {line.quantity} exceeds the limit of {item.max_quantity} for sku {line.sku!r}",
            )
        )
    elif earlier_units + line.quantity > item.max_quantity:
        findings.append(
            Discrepancy(
                DiscrepancyCode.QUANTITY_LIMIT,
                f"{where}.quantity",
                f"the lines of sku {line.sku!r} ask for {earlier_units + line.quantity} units in all, above its "
                f"limit of {item.max_quantity} per order; lower them to {item.max_quantity} in all",
            )
        )
    return findings


def address_findings(ship_to: Address) -> list[Discrepancy]:
    """country, region, city and postal_code must be present; the country must be an
    assigned ISO 3166-1 alpha-2 code and the postal code look like one."""
    findings = []
    for part in ADDRESS_PARTS:
        if not (getattr(ship_to, part) or "").strip():
            findings.append(_address_finding(part, f"{part} is required"))
    country = (ship_to.country or "").strip()
    if country and country.upper() not in COUNTRY_CODES:
        findings.append(_address_finding("country", f"country {country!r} is not an ISO 3166-1 alpha-2 code"))
    postal_code = (ship_to.postal_code or "").strip()
    if postal_code and not _POSTAL_CODE.match(postal_code):
        findings.append(
            _address_finding(
                "postal_code",
                f"postal code {postal_code!r} should be 1 to 10 letters, digits, spaces or hyphens",
            )
        )
    return findings


def normalized_address(ship_to: Address) -> Address:
    """Trimmed parts and an upper-case country code, so `us` and `US ` compare equal."""
    return Address(
        country=(ship_to.country or "").strip().upper(),
        region=(ship_to.region or "").strip(),
        city=(ship_to.city or "").strip(),
        postal_code=(ship_to.postal_code or "").strip(),
        line1=ship_to.line1.strip() if ship_to.line1 and ship_to.line1.strip() else None,
    )


def _address_finding(part: str, detail: str) -> Discrepancy:
    return Discrepancy(DiscrepancyCode.INVALID_ADDRESS, f"ship_to.{part}", detail)
