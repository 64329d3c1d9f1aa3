"""An order's total fits the events' money limit (below 10^12): lines that add up past it are
refused naming `lines`, when placed and when corrected, and nothing changes."""

from decimal import Decimal

import pytest
from order_builders import CATALOG, NOW, correcting, held_for_price, line, place
from order_svc.domain.errors import InvalidInput
from order_svc.domain.money import MAX_TOTAL

# six lines of a million units at just under a billion: about 6 × 10^15
HUGE_LINES = tuple(line("MUG-1", 1_000_000, "999999999.99") for _ in range(6))


def test_lines_that_add_up_past_the_limit_are_refused_naming_lines():
    with pytest.raises(InvalidInput) as refused:
        place(lines=HUGE_LINES)
    assert refused.value.field == "lines"
    assert str(MAX_TOTAL) in str(refused.value)


def test_a_total_just_below_the_limit_is_placed():
    # 999 units at just under a billion: below 10^12 even with tax
    order = place(lines=(line("MUG-1", 999, "999999999.99"),))
    assert order.total < MAX_TOTAL
    assert order.total > Decimal("998000000000")


def test_a_correction_past_the_limit_is_refused_and_changes_nothing():
    order = held_for_price()
    before = (order.lines, order.total, list(order.corrections))
    with pytest.raises(InvalidInput) as refused:
        order.correct(correcting(lines=HUGE_LINES), CATALOG, NOW)
    assert refused.value.field == "lines"
    assert (order.lines, order.total, list(order.corrections)) == before
