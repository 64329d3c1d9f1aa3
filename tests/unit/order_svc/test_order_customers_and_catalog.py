"""Customers and catalog items: validated on upsert; a changed profile records customer.upserted."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from order_builders import NOW
from order_svc.domain.commands import UpsertCatalogItem, UpsertCustomer
from order_svc.domain.errors import InvalidInput
from order_svc.domain.model import CatalogItem, Customer
from order_svc.domain.values import Tier

ADA = UpsertCustomer(
    customer_id="cus_1",
    tier="vip",
    name="Ada Lovelace",
    email="ada@example.com",
    phone="+44 20 7946 0000",
    locale="en-GB",
    timezone="Europe/London",
    account_manager="am_7",
)


def test_a_new_customer_is_recorded_with_an_upserted_event():
    customer = Customer.upsert(ADA, None, NOW)
    assert customer.tier is Tier.VIP
    assert [event.type for event in customer.events] == ["customer.upserted.v1"]
    assert customer.events[0].to_data() == {
        "customer_id": "cus_1",
        "tier": "vip",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "+44 20 7946 0000",
        "locale": "en-GB",
        "timezone": "Europe/London",
        "account_manager": "am_7",
    }


def test_upserting_the_same_profile_again_records_nothing():
    existing = Customer.upsert(ADA, None, NOW)
    existing.events.clear()
    again = Customer.upsert(ADA, existing, NOW)
    assert again is existing
    assert again.events == []


def test_a_changed_profile_records_a_new_upserted_event():
    existing = Customer.upsert(ADA, None, NOW)
    updated = Customer.upsert(replace(ADA, tier="standard", account_manager=None), existing, NOW)
    assert updated.tier is Tier.STANDARD
    assert "account_manager" not in updated.events[0].to_data()


def test_the_upsert_event_time_is_its_occurred_at():
    customer = Customer.upsert(replace(ADA, occurred_at=NOW - timedelta(days=1)), None, NOW)
    assert customer.events[0].occurred_at == NOW - timedelta(days=1)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tier": "gold"}, "tier"),
        ({"name": ""}, "name"),
        ({"email": None}, "email"),
        ({"customer_id": " "}, "customer_id"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"locale": "english please"}, "locale"),
    ],
)
def test_malformed_customers_are_refused_naming_the_field(changes, field):
    with pytest.raises(InvalidInput) as refused:
        Customer.upsert(replace(ADA, **changes), None, NOW)
    assert refused.value.field == field


def test_refusals_do_not_echo_contact_details():
    with pytest.raises(InvalidInput) as refused:
        Customer.upsert(replace(ADA, email="secret-address"), None, NOW)
    assert "secret-address" not in str(refused.value)


@pytest.mark.parametrize("field", ["email", "phone"])
def test_email_and_phone_are_required_as_the_catalog_lists_them(field):
    with pytest.raises(InvalidInput) as refused:
        Customer.upsert(replace(ADA, **{field: ""}), None, NOW)
    assert refused.value.field == field


def test_locale_and_timezone_default_to_en_and_utc():
    customer = Customer.upsert(
        UpsertCustomer(customer_id="cus_2", tier="one_time", name="Bo", email="bo@example.com", phone="+1 555 0100"),
        None,
        NOW,
    )
    assert (customer.locale, customer.timezone) == ("en", "UTC")


def test_a_catalog_item_keeps_its_price_in_cents_and_its_currency_upper_case():
    item = CatalogItem.from_command(
        UpsertCatalogItem(sku="MUG-1", name="Mug", unit_price="12.5", currency="usd", max_quantity=10)
    )
    assert item == CatalogItem(sku="MUG-1", name="Mug", unit_price=Decimal("12.50"), currency="USD", max_quantity=10)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sku": ""}, "sku"),
        ({"unit_price": "1.234"}, "unit_price"),
        ({"unit_price": "-5"}, "unit_price"),
        ({"unit_price": "NaN"}, "unit_price"),
        ({"unit_price": "1e12"}, "unit_price"),
        ({"currency": "US"}, "currency"),
        ({"max_quantity": 0}, "max_quantity"),
        ({"max_quantity": True}, "max_quantity"),
    ],
)
def test_malformed_catalog_items_are_refused_naming_the_field(changes, field):
    command = UpsertCatalogItem(sku="MUG-1", name="Mug", unit_price="12.50", currency="USD", max_quantity=10)
    with pytest.raises(InvalidInput) as refused:
        CatalogItem.from_command(replace(command, **changes))
    assert refused.value.field == field
