"""The tracking page's words in English and German, and times as a customer in either reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LOCALES = ("en", "de")

_WORDS = {
    "en": {
        "title": "Order {order_id}",
        "heading": "Your order {order_id}",
        "status": "Status",
        "ordered": "Ordered",
        "expected_by": "Expected by",
        "progress": "Progress",
        "no_progress": "Nothing to tell yet.",
        "parcels": "Parcels",
        "parcel": "Parcel {number}",
        "no_parcels": "Nothing has been shipped yet.",
        "carrier": "Carrier",
        "tracking_number": "Tracking number",
        "eta": "Estimated delivery",
        "new_eta": "new estimated delivery {when}",
        "next_attempt": "next attempt {when}",
        "delivered_at": "Delivered",
        "last_update": "Last update",
        "contents": "Contents",
        "times_in": "Times are shown in {zone}.",
        "reload": "This page shows the latest news about your order whenever you open or reload it.",
        "not_found_title": "Tracking link not found",
        "not_found_text": "This tracking link is not valid. Please open the link in the latest email about your order.",
        "expired_title": "This tracking link has expired",
        "expired_text": "Tracking links expire to keep your order private. "
        "The latest email about your order has a link that works.",
    },
    "de": {
        "title": "Bestellung {order_id}",
        "heading": "Ihre Bestellung {order_id}",
        "status": "Status",
        "ordered": "Bestellt am",
        "expected_by": "Voraussichtlich bis",
        "progress": "Verlauf",
        "no_progress": "Noch gibt es nichts Neues.",
        "parcels": "Pakete",
        "parcel": "Paket {number}",
        "no_parcels": "Es wurde noch nichts versandt.",
        "carrier": "Versanddienst",
        "tracking_number": "Sendungsnummer",
        "eta": "Voraussichtliche Zustellung",
        "new_eta": "neue voraussichtliche Zustellung {when}",
        "next_attempt": "nächster Zustellversuch {when}",
        "delivered_at": "Zugestellt",
        "last_update": "Letzte Änderung",
        "contents": "Inhalt",
        "times_in": "Zeitangaben in {zone}.",
        "reload": "Diese Seite zeigt den neuesten Stand Ihrer Bestellung, wann immer Sie sie öffnen oder neu laden.",
        "not_found_title": "Link zur Sendungsverfolgung nicht gefunden",
        "not_found_text": "Dieser Link zur Sendungsverfolgung ist ungültig. "
        "Bitte öffnen Sie den Link in der neuesten E-Mail zu Ihrer Bestellung.",
        "expired_title": "Dieser Link zur Sendungsverfolgung ist abgelaufen",
        "expired_text": "Links zur Sendungsverfolgung laufen ab, damit Ihre Bestellung privat bleibt. "
        "Die neueste E-Mail zu Ihrer Bestellung enthält einen gültigen Link.",
    },
}

_MILESTONES = {
    "en": {
        "order_placed": "Order placed",
        "order_held": "Order on hold",
        "order_released": "Hold resolved",
        "payment_failed": "Payment failed",
        "order_confirmed": "Order confirmed",
        "cancelled": "Order cancelled",
        "shipped": "Shipped",
        "in_transit": "In transit",
        "out_for_delivery": "Out for delivery",
        "delayed": "Delayed",
        "delivery_failed": "Delivery attempt failed",
        "parcel_problem": "Problem with the parcel",
        "delivered": "Delivered",
        "return_requested": "Return requested",
        "return_received": "Return received",
    },
    "de": {
        "order_placed": "Bestellung eingegangen",
        "order_held": "Bestellung angehalten",
        "order_released": "Bestellung freigegeben",
        "payment_failed": "Zahlung fehlgeschlagen",
        "order_confirmed": "Bestellung bestätigt",
        "cancelled": "Bestellung storniert",
        "shipped": "Versandt",
        "in_transit": "Unterwegs",
        "out_for_delivery": "In Zustellung",
        "delayed": "Verspätet",
        "delivery_failed": "Zustellversuch fehlgeschlagen",
        "parcel_problem": "Problem mit dem Paket",
        "delivered": "Zugestellt",
        "return_requested": "Rücksendung angemeldet",
        "return_received": "Rücksendung eingegangen",
    },
}

_STATUSES = {
    "en": {
        "held": "On hold",
        "pending_payment": "Waiting for payment",
        "confirmed": "Confirmed",
        "in_fulfillment": "Being prepared",
        "partially_shipped": "Partly shipped",
        "shipped": "Shipped",
        "delivered": "Delivered",
        "cancelled": "Cancelled",
    },
    "de": {
        "held": "Angehalten",
        "pending_payment": "Warten auf Zahlung",
        "confirmed": "Bestätigt",
        "in_fulfillment": "In Bearbeitung",
        "partially_shipped": "Teilweise versandt",
        "shipped": "Versandt",
        "delivered": "Zugestellt",
        "cancelled": "Storniert",
    },
}

_HOLD_REASONS = {
    "en": {
        "price_mismatch": "a price needs checking",
        "unknown_sku": "an item needs checking",
        "invalid_address": "the delivery address is incomplete",
        "quantity_limit": "a quantity is above the limit",
        "payment_failed": "the payment did not go through",
        "payment_amount_mismatch": "the payment amount does not match",
    },
    "de": {
        "price_mismatch": "ein Preis muss geprüft werden",
        "unknown_sku": "ein Artikel muss geprüft werden",
        "invalid_address": "die Lieferadresse ist unvollständig",
        "quantity_limit": "eine Menge liegt über dem Höchstwert",
        "payment_failed": "die Zahlung ist nicht durchgegangen",
        "payment_amount_mismatch": "der Zahlungsbetrag stimmt nicht",
    },
}

_WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "de": ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CARRIERS = {"ups": "UPS", "dhl": "DHL", "fedex": "FedEx", "dpd": "DPD", "gls": "GLS", "usps": "USPS"}


def locale_for(customer_locale: str | None, accept_language: str | None = None) -> str:
    """`de` for any German locale (`de`, `de-AT`, `de_CH`), else `en`. Without a customer locale,
    the browser's first language that the page speaks."""
    candidates = [customer_locale] if customer_locale else []
    if not candidates and accept_language:
        candidates = [part.split(";")[0].strip() for part in accept_language.split(",")]
    for candidate in candidates:
        language = candidate.replace("_", "-").split("-")[0].lower()
        if language in LOCALES:
            return language
    return "en"


@dataclass(frozen=True)
class Texts:
    """What the templates call: `t.word("status")`, `t.milestone(name)`, `t.when(moment)` ..."""

    locale: str
    zone: ZoneInfo

    @classmethod
    def of(cls, locale: str, timezone: str = "UTC") -> Texts:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        return cls(locale=locale if locale in LOCALES else "en", zone=zone)

    def word(self, key: str, **values: object) -> str:
        return _WORDS[self.locale][key].format(**values)

    def milestone(self, name: str) -> str:
        return _MILESTONES[self.locale].get(name, name.replace("_", " "))

    def status(self, status: str) -> str:
        return _STATUSES[self.locale].get(status, status.replace("_", " "))

    def hold_reasons(self, codes: tuple[str, ...]) -> str:
        """What to fix, e.g. `the delivery address is incomplete; a price needs checking`."""
        reasons = _HOLD_REASONS[self.locale]
        return "; ".join(reasons.get(code, code.replace("_", " ")) for code in codes)

    def carrier(self, code: str | None) -> str:
        return _CARRIERS.get((code or "").lower(), code or "")

    def day(self, moment: datetime) -> str:
        """`Tue 8 Dec 2026` / `Di., 08.12.2026`, in the customer's timezone."""
        local = moment.astimezone(self.zone)
        weekday = _WEEKDAYS[self.locale][local.weekday()]
        if self.locale == "de":
            return f"{weekday}, {local:%d.%m.%Y}"
        return f"{weekday} {local.day} {_MONTHS_EN[local.month - 1]} {local.year}"

    def when(self, moment: datetime) -> str:
        """The day and the time of day (24-hour clock), in the customer's timezone."""
        local = moment.astimezone(self.zone)
        return f"{self.day(moment)}, {local:%H:%M}" + (" Uhr" if self.locale == "de" else "")

    @property
    def zone_name(self) -> str:
        return self.zone.key
