"""The documents the simulated pickers put in parcels are right unless a mistake is meant, and
each meant mistake is one fulfillment-svc's document check finds (its own domain function)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fulfillment_svc.domain.documents import Document, check_documents
from fulfillment_svc.domain.values import SkuQuantity
from orderpulse.simulator.warehouse import documents_for

PRICES = {"MUG-1": Decimal("12.50"), "CAP-1": Decimal("14.00")}


def found(units: dict[str, int], variant: str) -> set[str]:
    documents = [
        Document(d["kind"], d["ref"], tuple(SkuQuantity(line["sku"], line["quantity"]) for line in d["lines"]),
                 Decimal(d["total"]) if "total" in d else None)
        for d in documents_for(units, PRICES, variant, "shp-1")
    ]
    value = sum((PRICES[sku] * quantity for sku, quantity in units.items()), Decimal("0"))
    return {discrepancy.kind for discrepancy in check_documents(units, documents, packed_value=value)}


@pytest.mark.parametrize("units", [{"MUG-1": 2, "CAP-1": 1}, {"MUG-1": 1}])
def test_correct_documents_pass_the_check(units):
    assert found(units, "correct") == set()


@pytest.mark.parametrize(
    ("variant", "kind"),
    [("slip_quantity", "quantity_mismatch"), ("invoice_missing_line", "missing_line"),
     ("total_wrong", "total_mismatch"), ("missing_documents", "missing_documents")],
)
def test_each_intended_mistake_is_found(variant, kind):
    assert kind in found({"MUG-1": 2, "CAP-1": 1}, variant)


def test_a_missing_invoice_line_on_a_one_line_parcel_is_still_a_mistake():
    assert found({"MUG-1": 2}, "invoice_missing_line")
