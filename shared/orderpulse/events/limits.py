"""The number limits of the event payloads, in one place (standard library only, so domain code
may import them): the event models enforce them, the producing APIs enforce the same or
tighter ones, and consumers that parse events by hand (kpi-svc) refuse what exceeds them."""

from __future__ import annotations

MONEY_MAX_INTEGER_DIGITS = 12  # below 10^12 in any currency unit
MONEY_MAX_FRACTION_DIGITS = 4
MONEY_PATTERN = rf"^-?[0-9]{{1,{MONEY_MAX_INTEGER_DIGITS}}}(\.[0-9]{{1,{MONEY_MAX_FRACTION_DIGITS}}})?$"  # ASCII digits only
QUANTITY_MAX = 1_000_000  # units of one sku on one line
STAFF_MAX = 100_000  # people on one shift
