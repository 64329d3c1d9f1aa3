"""Entry checks: unknown_sku, price_mismatch, quantity_limit, invalid_address — each naming its field."""

from dataclasses import replace
from decimal import Decimal

import pytest
from order_builders import CATALOG, HOME
from order_svc.domain.checks import address_findings, entry_findings
from order_svc.domain.values import Address, DiscrepancyCode, OrderLine


def order_line(sku="MUG-1", quantity=1, unit_price="12.50", index=1) -> OrderLine:
    return OrderLine(line_id=f"ord_1-{index}", sku=sku, quantity=quantity, unit_price=Decimal(unit_price))


def findings(*lines, ship_to=HOME, catalog=CATALOG, currency="USD"):
    return [(f.code, f.field) for f in entry_findings(lines, ship_to, catalog, currency)]


def test_a_line_matching_the_catalog_and_a_complete_address_have_no_findings():
    assert findings(order_line(), order_line("TEE-1", 5, "20.00")) == []


def test_an_unknown_sku_is_found_on_the_lines_sku():
    assert findings(order_line(), order_line("GHOST-9", 1, "1.00")) == [(DiscrepancyCode.UNKNOWN_SKU, "lines[1].sku")]


def test_an_unknown_sku_is_not_also_reported_for_price_or_quantity():
    assert findings(order_line("GHOST-9", 10_000, "0.00")) == [(DiscrepancyCode.UNKNOWN_SKU, "lines[0].sku")]


def test_a_unit_price_other_than_the_catalog_price_is_a_price_mismatch():
    assert findings(order_line(), order_line("TEE-1", 1, "19.99")) == [
        (DiscrepancyCode.PRICE_MISMATCH, "lines[1].unit_price")
    ]


def test_a_higher_price_is_a_mismatch_too():
    assert findings(order_line(unit_price="12.51")) == [(DiscrepancyCode.PRICE_MISMATCH, "lines[0].unit_price")]


def test_the_mismatch_detail_gives_both_prices():
    [finding] = entry_findings([order_line(unit_price="9.99")], HOME, CATALOG, "USD")
    assert "9.99" in finding.detail and "12.50" in finding.detail


def test_an_item_priced_in_another_currency_is_a_price_mismatch():
    catalog = {**CATALOG, "MUG-1": replace(CATALOG["MUG-1"], currency="EUR")}
    assert findings(order_line(), catalog=catalog) == [(DiscrepancyCode.PRICE_MISMATCH, "lines[0].unit_price")]


def test_a_quantity_above_the_items_limit_is_a_quantity_limit():
    assert findings(order_line("TEE-1", 6, "20.00")) == [(DiscrepancyCode.QUANTITY_LIMIT, "lines[0].quantity")]


def test_a_quantity_at_the_limit_is_fine():
    assert findings(order_line("TEE-1", 5, "20.00")) == []


def test_one_line_can_have_both_a_price_and_a_quantity_finding():
    assert findings(order_line("TEE-1", 9, "1.00")) == [
        (DiscrepancyCode.PRICE_MISMATCH, "lines[0].unit_price"),
        (DiscrepancyCode.QUANTITY_LIMIT, "lines[0].quantity"),
    ]


def test_lines_of_one_sku_within_the_limit_together_are_fine():
    assert findings(order_line("TEE-1", 2, "20.00"), order_line("TEE-1", 3, "20.00")) == []


def test_lines_of_one_sku_above_the_limit_together_are_held_on_the_line_that_passes_it():
    assert findings(
        order_line("TEE-1", 3, "20.00"), order_line(), order_line("TEE-1", 3, "20.00"), order_line("TEE-1", 1, "20.00")
    ) == [(DiscrepancyCode.QUANTITY_LIMIT, "lines[2].quantity"), (DiscrepancyCode.QUANTITY_LIMIT, "lines[3].quantity")]


def test_the_summed_limit_detail_names_the_sum_and_the_limit():
    [finding] = entry_findings(
        [order_line("TEE-1", 4, "20.00"), order_line("TEE-1", 4, "20.00")], HOME, CATALOG, "USD"
    )
    assert "8 units in all" in finding.detail and "limit of 5 per order" in finding.detail


def test_a_line_above_the_limit_alone_is_reported_once():
    assert findings(order_line("TEE-1", 1, "20.00"), order_line("TEE-1", 6, "20.00")) == [
        (DiscrepancyCode.QUANTITY_LIMIT, "lines[1].quantity")
    ]


@pytest.mark.parametrize("part", ["country", "region", "city", "postal_code"])
def test_each_required_address_part_must_be_present(part):
    address = replace(HOME, **{part: ""})
    assert findings(order_line(), ship_to=address) == [(DiscrepancyCode.INVALID_ADDRESS, f"ship_to.{part}")]


def test_blank_address_parts_count_as_missing():
    assert [(f.code, f.field) for f in address_findings(replace(HOME, city="   "))] == [
        (DiscrepancyCode.INVALID_ADDRESS, "ship_to.city")
    ]


def test_an_empty_address_is_reported_part_by_part():
    assert [f.field for f in address_findings(Address())] == [
        "ship_to.country",
        "ship_to.region",
        "ship_to.city",
        "ship_to.postal_code",
    ]


def test_line1_is_optional():
    assert address_findings(replace(HOME, line1=None)) == []


@pytest.mark.parametrize("country", ["USA", "XX", "UK", "U1", "Germany"])
def test_a_country_must_be_an_assigned_iso_alpha_2_code(country):
    assert [f.field for f in address_findings(replace(HOME, country=country))] == ["ship_to.country"]


@pytest.mark.parametrize("country", ["US", "GB", "DE", "JP", "XK", "de"])
def test_assigned_country_codes_pass_in_any_case(country):
    assert address_findings(replace(HOME, country=country)) == []


@pytest.mark.parametrize("postal_code", ["10001", "12345-6789", "SW1A 1AA", "K1A 0B1", "100-0001", "1010"])
def test_postal_codes_of_many_countries_pass(postal_code):
    assert address_findings(replace(HOME, postal_code=postal_code)) == []


@pytest.mark.parametrize("postal_code", ["<script>", "12345678901", "-123", "12_34", "#1"])
def test_postal_codes_that_cannot_be_real_are_findings(postal_code):
    assert [f.field for f in address_findings(replace(HOME, postal_code=postal_code))] == ["ship_to.postal_code"]


def test_findings_come_lines_first_then_address_in_field_order():
    assert findings(
        order_line("GHOST", 1, "1.00"),
        order_line("TEE-1", 7, "20.00", index=2),
        ship_to=replace(HOME, country="", postal_code=""),
    ) == [
        (DiscrepancyCode.UNKNOWN_SKU, "lines[0].sku"),
        (DiscrepancyCode.QUANTITY_LIMIT, "lines[1].quantity"),
        (DiscrepancyCode.INVALID_ADDRESS, "ship_to.country"),
        (DiscrepancyCode.INVALID_ADDRESS, "ship_to.postal_code"),
    ]


def test_every_finding_reads_as_code_field_and_detail():
    [finding] = entry_findings([order_line("GHOST", 1, "1.00")], HOME, CATALOG, "USD")
    assert finding.to_data() == {
        "code": "unknown_sku",
        "field": "lines[0].sku",
        "detail": "sku 'GHOST' is not in the catalog",
    }
