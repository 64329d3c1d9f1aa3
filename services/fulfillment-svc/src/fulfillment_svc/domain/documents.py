"""Shipping documents and the checks a pack runs on them (api.md, "Document checks at pack")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fulfillment_svc.domain.errors import InvalidDocument
from fulfillment_svc.domain.values import SkuQuantity, format_amount, parse_amount, parse_text, quantities_by_sku

DOCUMENT_KINDS = ("invoice", "packing_slip", "customs")

MISSING_DOCUMENTS = "missing_documents"
MISSING_LINE = "missing_line"
UNEXPECTED_LINE = "unexpected_line"
QUANTITY_MISMATCH = "quantity_mismatch"
TOTAL_MISMATCH = "total_mismatch"


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """Something in the package's documents that does not match what is in the package."""

    kind: str
    detail: str

    def to_data(self) -> dict[str, Any]:
        return {"kind": self.kind, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """What `fulfillment.packed` says about a document: its kind and reference."""

    kind: str
    ref: str

    def to_data(self) -> dict[str, Any]:
        return {"kind": self.kind, "ref": self.ref}


@dataclass(frozen=True, slots=True)
class Document:
    """A document put in the package: invoice, packing slip or customs declaration."""

    kind: str
    ref: str
    lines: tuple[SkuQuantity, ...]
    total: Decimal | None = None

    def __post_init__(self) -> None:
        if self.kind not in DOCUMENT_KINDS:
            raise InvalidDocument(
                f"document kind must be one of {', '.join(DOCUMENT_KINDS)}, got {self.kind!r}", field="documents.kind"
            )

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, field: str = "documents") -> Document:
        if not isinstance(data, Mapping):
            raise InvalidDocument("a document must be an object with kind, ref and lines", field=field)
        raw_lines = data.get("lines", [])
        if not isinstance(raw_lines, list):
            raise InvalidDocument("a document's lines must be a list", field=f"{field}.lines")
        total = data.get("total")
        return cls(
            kind=parse_text(data.get("kind"), field=f"{field}.kind"),
            ref=parse_text(data.get("ref"), field=f"{field}.ref"),
            lines=tuple(SkuQuantity.from_data(line, field=f"{field}.lines") for line in raw_lines),
            total=None if total is None else parse_amount(total, field=f"{field}.total"),
        )

    @property
    def label(self) -> str:
        return f"{self.kind} {self.ref}"

    def as_ref(self) -> DocumentRef:
        return DocumentRef(self.kind, self.ref)


def check_documents(
    packed: Mapping[str, int], documents: Sequence[Document], *, packed_value: Decimal
) -> tuple[Discrepancy, ...]:
    """Every way the documents disagree with the package; empty when they agree.

    `packed` is the packed quantity per sku; `packed_value` is those quantities at the order's
    unit prices before tax, which every document `total` must equal.
    """
    if not documents:
        return (Discrepancy(MISSING_DOCUMENTS, "the package has no documents"),)
    found: list[Discrepancy] = []
    for document in documents:
        found.extend(_line_discrepancies(document, packed))
        if document.total is not None and document.total != packed_value:
            found.append(
                Discrepancy(
                    TOTAL_MISMATCH,
                    f"{document.label} totals {format_amount(document.total)}, "
                    f"the packed lines at the order's prices come to {format_amount(packed_value)}",
                )
            )
    return tuple(found)


def _line_discrepancies(document: Document, packed: Mapping[str, int]) -> list[Discrepancy]:
    listed = quantities_by_sku(document.lines)
    found: list[Discrepancy] = []
    for sku, packed_quantity in packed.items():
        if sku not in listed:
            found.append(Discrepancy(MISSING_LINE, f"{document.label} does not list {sku} ({packed_quantity} packed)"))
        elif listed[sku] != packed_quantity:
            found.append(
                Discrepancy(
                    QUANTITY_MISMATCH, f"{document.label} lists {listed[sku]} × {sku}, {packed_quantity} packed"
                )
            )
    for sku, listed_quantity in listed.items():
        if sku not in packed:
            found.append(Discrepancy(UNEXPECTED_LINE, f"{document.label} lists {listed_quantity} × {sku}, none packed"))
    return found
