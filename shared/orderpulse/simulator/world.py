"""The simulated world: what is sold where, who carries it, and who buys it (pure, from the seed)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

NORMAL_STOCK = 1_000_000  # units of every non-scarce sku: it never runs out


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    unit_price: Decimal
    max_quantity: int
    warehouse: str
    scarce: bool = False  # kept at zero available: ordering it backorders until a restock

    @property
    def price_text(self) -> str:
        return f"{self.unit_price:.2f}"


CATALOG: tuple[Item, ...] = (
    Item("MUG-1", "Stoneware mug", Decimal("12.50"), 10, "wh-1"),
    Item("TEE-M", "Organic tee, M", Decimal("19.90"), 10, "wh-1"),
    Item("TEE-L", "Organic tee, L", Decimal("19.90"), 10, "wh-1"),
    Item("CAP-1", "Canvas cap", Decimal("14.00"), 10, "wh-1"),
    Item("BOOK-1", "Field guide", Decimal("24.00"), 10, "wh-1"),
    Item("BOOK-2", "Cookbook", Decimal("18.50"), 10, "wh-1"),
    Item("PEN-SET", "Fountain pen set", Decimal("9.90"), 10, "wh-1"),
    Item("NOTE-A5", "A5 notebook", Decimal("6.50"), 10, "wh-1"),
    Item("BOTTLE-1", "Steel bottle", Decimal("22.00"), 10, "wh-1"),
    Item("SOCKS-3", "Wool socks, 3 pairs", Decimal("11.00"), 10, "wh-1"),
    Item("HEADPH-1", "Studio headphones", Decimal("89.00"), 5, "wh-1", scarce=True),
    Item("CHAIR-1", "Oak chair", Decimal("149.00"), 4, "wh-2"),
    Item("DESK-1", "Standing desk", Decimal("329.00"), 4, "wh-2"),
    Item("SHELF-1", "Wall shelf", Decimal("99.00"), 4, "wh-2"),
    Item("RUG-1", "Wool rug", Decimal("129.00"), 4, "wh-2"),
    Item("KETTLE-1", "Kettle", Decimal("45.00"), 4, "wh-2"),
    Item("POT-1", "Plant pot", Decimal("29.00"), 4, "wh-2"),
    Item("SOFA-1", "Three-seat sofa", Decimal("899.00"), 2, "wh-2", scarce=True),
)
ITEMS = {item.sku: item for item in CATALOG}
WAREHOUSES: tuple[str, ...] = ("wh-1", "wh-2")
DEFAULT_CARRIERS: tuple[str, ...] = ("dhl", "ups", "fedex")
CHANNELS = (("web", 45), ("mobile", 30), ("phone", 8), ("marketplace", 12), ("b2b", 5))
SERVICE_LEVELS = (("standard", 70), ("express", 20), ("next_day", 10))
SHIPPING_COST = {"standard": Decimal("6.90"), "express": Decimal("12.50"), "next_day": Decimal("24.00")}


def items_of(warehouse: str, *, scarce: bool = False) -> tuple[Item, ...]:
    return tuple(item for item in CATALOG if item.warehouse == warehouse and item.scarce == scarce)


@dataclass(frozen=True)
class Address:
    country: str
    region: str
    city: str
    postal_code: str
    line1: str

    def as_json(self, *, without_postal_code: bool = False) -> dict:
        body = {"country": self.country, "region": self.region, "city": self.city,
                "postal_code": self.postal_code, "line1": self.line1}
        if without_postal_code:
            del body["postal_code"]
        return body


@dataclass(frozen=True)
class Customer:
    customer_id: str
    tier: str  # vip | standard | one_time
    name: str
    email: str
    phone: str
    locale: str
    timezone: str
    address: Address
    account_manager: str | None = None

    def profile_json(self) -> dict:
        body = {"tier": self.tier, "name": self.name, "email": self.email, "phone": self.phone,
                "locale": self.locale, "timezone": self.timezone}
        if self.account_manager:
            body["account_manager"] = self.account_manager
        return body


# country, locale, timezone, region, city, postal code
_PLACES = (
    ("US", "en-US", "America/New_York", "NY", "New York", "10001"),
    ("US", "en-US", "America/Chicago", "IL", "Chicago", "60601"),
    ("US", "en-US", "America/Los_Angeles", "CA", "San Francisco", "94103"),
    ("GB", "en-GB", "Europe/London", "England", "London", "EC1A 1BB"),
    ("DE", "de-DE", "Europe/Berlin", "BE", "Berlin", "10115"),
    ("FR", "fr-FR", "Europe/Paris", "IDF", "Paris", "75002"),
    ("JP", "ja-JP", "Asia/Tokyo", "Tokyo", "Tokyo", "100-0001"),
    ("AU", "en-AU", "Australia/Sydney", "NSW", "Sydney", "2000"),
)
_FIRST = ("Ada", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jon", "Kemi", "Lena",
          "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Uma", "Victor", "Wen", "Yusuf")
_LAST = ("Adams", "Berg", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski",
         "Lopez", "Muller", "Nakamura", "Okafor", "Patel", "Rossi", "Schmidt", "Tanaka", "Varga", "Weber", "Zhou")
ACCOUNT_MANAGERS = ("am-alex", "am-billie", "am-casey")


def make_customer(rng: random.Random, customer_id: str, tier: str) -> Customer:
    country, locale, timezone, region, city, postal = rng.choice(_PLACES)
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    number = rng.randrange(1, 999)
    return Customer(
        customer_id=customer_id,
        tier=tier,
        name=f"{first} {last}",
        email=f"{first}.{last}{number}@example.com".lower(),
        phone=f"+1555{rng.randrange(1000000, 9999999)}",
        locale=locale,
        timezone=timezone,
        address=Address(country, region, city, postal, f"{rng.randrange(1, 300)} {last} Street"),
        account_manager=rng.choice(ACCOUNT_MANAGERS) if tier == "vip" else None,
    )


def registered_customers(seed: int, count: int = 120, vip_share: float = 0.12) -> tuple[Customer, ...]:
    """The storefront's known customers (vip and standard); ids are stable for a seed."""
    rng = random.Random(f"{seed}/customers")
    vips = max(1, round(count * vip_share))
    return tuple(
        make_customer(rng, f"sim-{seed}-c{number:04d}", "vip" if number < vips else "standard")
        for number in range(count)
    )


def preferences_of(seed: int, customer: Customer) -> dict:
    """What a customer set in their notification preferences (PUT /v1/customers/{id}/preferences):
    about a third keep quiet hours at night, one in eight turned SMS off (stable for a seed)."""
    rng = random.Random(f"{seed}/preferences/{customer.customer_id}")
    quiet = rng.random() < 0.3
    return {
        "channels": {"email": True, "sms": rng.random() >= 0.12},
        "quiet_hours": {"start": rng.choice(("21:00", "22:00", "23:00")), "end": rng.choice(("06:30", "07:00", "08:00"))}
        if quiet else None,
        "locale": customer.locale,
    }
