from decimal import Decimal

import pytest
from fulfillment_svc.domain.documents import Document, check_documents
from fulfillment_svc.domain.errors import InvalidAmount, InvalidDocument, InvalidInput

PACKED = {"MUG": 2, "TEE": 1}
PACKED_VALUE = Decimal("45.00")  # 2 × 12.50 + 1 × 20.00


def kinds(discrepancies):
    return [d.kind for d in discrepancies]


def test_documents_that_list_the_packed_lines_at_the_right_total_have_no_discrepancy(build):
    documents = build.clean_documents(MUG=2, TEE=1)

    assert check_documents(PACKED, documents, packed_value=PACKED_VALUE) == ()


def test_a_wrong_total_is_a_total_mismatch(build):
    invoice = build.document("invoice", "INV-9", total="47.50", MUG=2, TEE=1)

    [found] = check_documents(PACKED, [invoice], packed_value=PACKED_VALUE)

    assert found.kind == "total_mismatch"
    assert found.detail == "invoice INV-9 totals 47.50, the packed lines at the order's prices come to 45.00"


def test_a_total_is_compared_as_an_amount_not_as_text(build):
    invoice = build.document("invoice", "INV-9", total="45.0", MUG=2, TEE=1)

    assert check_documents(PACKED, [invoice], packed_value=PACKED_VALUE) == ()


def test_a_packed_line_the_document_does_not_list_is_a_missing_line(build):
    slip = build.document("packing_slip", "PS-3", MUG=2)

    [found] = check_documents(PACKED, [slip], packed_value=PACKED_VALUE)

    assert found.kind == "missing_line"
    assert found.detail == "packing_slip PS-3 does not list TEE (1 packed)"


def test_a_different_quantity_is_a_quantity_mismatch(build):
    slip = build.document("packing_slip", "PS-3", MUG=3, TEE=1)

    [found] = check_documents(PACKED, [slip], packed_value=PACKED_VALUE)

    assert found.kind == "quantity_mismatch"
    assert found.detail == "packing_slip PS-3 lists 3 × MUG, 2 packed"


def test_a_line_that_was_not_packed_is_an_unexpected_line(build):
    slip = build.document("packing_slip", "PS-3", MUG=2, TEE=1, CAP=1)

    assert kinds(check_documents(PACKED, [slip], packed_value=PACKED_VALUE)) == ["unexpected_line"]


def test_a_package_without_documents_is_missing_documents():
    [found] = check_documents(PACKED, [], packed_value=PACKED_VALUE)

    assert (found.kind, found.detail) == ("missing_documents", "the package has no documents")


def test_every_document_is_checked_on_its_own(build):
    documents = [
        build.document("invoice", "INV-1", total="45.00", MUG=2, TEE=1),
        build.document("packing_slip", "PS-1", MUG=1, TEE=1),
        build.document("customs", "CN-1", total="40.00", MUG=2),
    ]

    found = check_documents(PACKED, documents, packed_value=PACKED_VALUE)

    assert kinds(found) == ["quantity_mismatch", "missing_line", "total_mismatch"]
    assert [d.detail.split()[1] for d in found] == ["PS-1", "CN-1", "CN-1"]


def test_repeated_lines_of_a_sku_in_a_document_are_added_up(build):
    slip = Document("packing_slip", "PS-1", build.lines(MUG=1) + build.lines(MUG=1) + build.lines(TEE=1))

    assert check_documents(PACKED, [slip], packed_value=PACKED_VALUE) == ()


def test_documents_are_read_from_request_data():
    document = Document.from_data(
        {"kind": "invoice", "ref": "INV-1", "lines": [{"sku": "MUG", "quantity": 2}], "total": "25.00"}
    )

    assert document.total == Decimal("25.00")
    assert document.lines[0].sku == "MUG"


@pytest.mark.parametrize(
    ("data", "error", "field"),
    [
        ({"kind": "receipt", "ref": "R", "lines": []}, InvalidDocument, "documents.kind"),
        ({"kind": "invoice", "ref": "", "lines": []}, InvalidInput, "documents.ref"),
        ({"kind": "invoice", "ref": "I", "lines": [], "total": 25.0}, InvalidAmount, "documents.total"),
        ({"kind": "invoice", "ref": "I", "lines": [], "total": "-1"}, InvalidAmount, "documents.total"),
        ({"kind": "invoice", "ref": "I", "lines": "MUG"}, InvalidDocument, "documents.lines"),
    ],
)
def test_a_malformed_document_is_refused_naming_the_field(data, error, field):
    with pytest.raises(error) as refused:
        Document.from_data(data)

    assert refused.value.field == field
