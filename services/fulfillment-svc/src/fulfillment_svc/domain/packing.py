"""Packing: what a package may hold (units reserved for the order and in no other package),
and the package with its checked documents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from fulfillment_svc.domain.documents import Document, check_documents
from fulfillment_svc.domain.errors import InvalidQuantity, PackExceedsReserved, SkuNotOnOrder
from fulfillment_svc.domain.events import FulfillmentPacked
from fulfillment_svc.domain.shipment import Shipment
from fulfillment_svc.domain.values import SkuQuantity, quantities_by_sku, sku_quantities


def packable_quantities(
    lines: Sequence[SkuQuantity],
    *,
    requested: Mapping[str, int],
    reserved: Mapping[str, int],
    in_other_packages: Mapping[str, int],
    backordered: Mapping[str, int],
    dispatched: Mapping[str, int],
) -> dict[str, int]:
    """The packed quantity per sku, or a refusal naming what limits it.

    Refused rather than reported as a discrepancy: units beyond the reservation belong to
    other orders or do not exist, and no corrected document would make shipping them right.
    """
    if not lines:
        raise InvalidQuantity("a pack needs at least one line", field="lines")
    packed = quantities_by_sku(lines)
    for sku, quantity in packed.items():
        if sku not in requested:
            raise SkuNotOnOrder(f"{sku} is not on this order", field="lines.sku")
        room = reserved.get(sku, 0) - in_other_packages.get(sku, 0)
        if quantity > room:
            raise PackExceedsReserved(
                f"{quantity} × {sku} packed but only {room} can be: {reserved.get(sku, 0)} reserved, "
                f"{in_other_packages.get(sku, 0)} in other packages, {backordered.get(sku, 0)} awaiting stock, "
                f"{dispatched.get(sku, 0)} already dispatched",
                field="lines.quantity",
            )
    return packed


def packed_shipment(
    *,
    fulfillment_id: str,
    order_id: str,
    shipment_id: str,
    packed: Mapping[str, int],
    documents: Sequence[Document],
    packed_value: Decimal,
    occurred_at: datetime,
) -> tuple[Shipment, FulfillmentPacked]:
    """The package and its `fulfillment.packed` event, with the documents checked against it."""
    shipment = Shipment(
        shipment_id=shipment_id,
        fulfillment_id=fulfillment_id,
        order_id=order_id,
        lines=sku_quantities(packed),
        documents=tuple(documents),
        document_discrepancies=check_documents(packed, documents, packed_value=packed_value),
        packed_at=occurred_at,
    )
    event = FulfillmentPacked(
        occurred_at=occurred_at,
        fulfillment_id=fulfillment_id,
        shipment_id=shipment_id,
        order_id=order_id,
        lines=shipment.lines,
        documents=tuple(document.as_ref() for document in shipment.documents),
        document_discrepancies=shipment.document_discrepancies,
    )
    return shipment, event
