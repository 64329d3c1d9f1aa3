"""The process's copies of customers and catalog items: what they hold, what they answer, and the
record of what an order was decided on (`Seen`) that the placing statement compares with the tables
(as jsonb, so equal JSON is enough; the integration tests compare against the real tables)."""

from __future__ import annotations

from decimal import Decimal

import orjson
from order_svc.adapters.reference_cache import ReferenceCache

ADA = '["cus_1", "vip", "Ada", "ada@example.com", "+1 555 0100", "en", "UTC", null]'
MUG = '["MUG-1", "Mug", "12.5000", "USD", 10]'
TEE = '["TEE-1", "T-shirt", "20.0000", "USD", 5]'


def loaded(copies: ReferenceCache, skus=("MUG-1", "TEE-1"), catalog=f"[{MUG}, {TEE}]"):
    return copies.load("cus_1", list(skus), ADA, catalog)


def test_what_was_read_is_answered_from_the_copies_unchecked_and_as_read():
    copies = ReferenceCache()
    read = loaded(copies)

    held = copies.reference("cus_1", ["TEE-1", "MUG-1", "MUG-1"])

    assert read.checked and not held.checked
    assert held.customer == read.customer and held.customer.tier.value == "vip"
    assert held.catalog == read.catalog and held.catalog["MUG-1"].unit_price == Decimal("12.5")
    assert held.seen.skus == read.seen.skus == ["MUG-1", "TEE-1"]
    assert orjson.loads(held.seen.catalog) == orjson.loads(f"[{MUG}, {TEE}]")
    assert orjson.loads(held.seen.customer) == orjson.loads(ADA)


def test_a_sku_not_read_yet_or_a_customer_never_seen_is_not_answered_from_the_copies():
    copies = ReferenceCache()
    loaded(copies, skus=("MUG-1",), catalog=f"[{MUG}]")

    assert copies.reference("cus_1", ["MUG-1", "TEE-1"]) is None
    assert copies.reference("cus_2", ["MUG-1"]) is None


def test_a_sku_read_as_absent_is_held_as_absent_and_left_out_of_what_was_seen():
    copies = ReferenceCache()
    loaded(copies, skus=("MUG-1", "NOPE-1"), catalog=f"[{MUG}]")

    held = copies.reference("cus_1", ["NOPE-1", "MUG-1"])

    assert set(held.catalog) == {"MUG-1"}
    assert held.seen.skus == ["MUG-1", "NOPE-1"]  # the statement reads every sku the order names
    assert orjson.loads(held.seen.catalog) == [orjson.loads(MUG)]


def test_an_unknown_customer_is_answered_once_and_never_held():
    copies = ReferenceCache()
    loaded(copies)

    read = copies.load("cus_1", ["MUG-1"], None, f"[{MUG}]")

    assert read.customer is None and read.seen.customer is None
    assert copies.reference("cus_1", ["MUG-1"]) is None


def test_newer_rows_replace_the_copies():
    copies = ReferenceCache()
    loaded(copies)

    copies.load("cus_1", ["MUG-1"], ADA.replace('"vip"', '"standard"'), MUG.replace("12.5000", "13.0000").join("[]"))
    held = copies.reference("cus_1", ["MUG-1", "TEE-1"])

    assert held.customer.tier.value == "standard"
    assert held.catalog["MUG-1"].unit_price == Decimal("13") and held.catalog["TEE-1"].unit_price == Decimal("20")


def test_past_its_size_the_oldest_copy_goes_first():
    copies = ReferenceCache(max_entries=2)
    for n in range(3):
        copies.load(f"cus_{n}", [], ADA.replace("cus_1", f"cus_{n}"), None)

    assert copies.reference("cus_0", []) is None
    assert copies.reference("cus_1", []) is not None and copies.reference("cus_2", []) is not None
