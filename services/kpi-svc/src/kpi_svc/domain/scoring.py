"""Observations for Prometheus counters from the verdicts of one order.

Counters only go up, while verdicts may be revised, so (kpis.md: counters and gauges must
agree on live traffic) the choice is:
- `order_delivered` (carrier, tier, perfect) once per order, when it is first scored;
- `component_failure` (component, carrier, tier) once per order and component, the first time
  that component is seen failed - at delivery or later through a revision;
- `revision` (component) every time a counted verdict changes, both ways.
So increase(perfect)/increase(delivered) is the ratio as first known, and a claim that breaks a
perfect order shows up as a failure and a revision, not as a decrement.
"""

from __future__ import annotations

from .catalog import COMPONENTS, ISSUE_CATEGORIES, enum_label
from .facts import EMITTED_DELIVERED, FAILED_EMITTED_SHIFT, IX_CATEGORY, IX_EMITTED, OrderFacts


def score_order(order: OrderFacts, reasons: tuple, observations: list) -> None:
    """Record the component verdicts of a scorable order; emit what is new."""
    verdicts = tuple(reason is None for reason in reasons)
    carrier, tier = order.labels[0], order.labels[2]
    if order.scored is None:
        order.flags |= EMITTED_DELIVERED
        observations.append(("order_delivered", carrier, tier, all(verdicts)))
        observations.append(("processing_seconds", tier, (order.completed[0] - order.placed[0]) / 1000))
    elif verdicts != order.scored:
        event_id, etype, time_ms = order.last_event or (None, None, None)
        if order.revisions is None:
            order.revisions = []
        for component, before, after in zip(COMPONENTS, order.scored, verdicts, strict=True):
            if before != after:
                observations.append(("revision", component))
                order.revisions.append((component, before, after, time_ms, event_id, etype))
    for index, holds in enumerate(verdicts):
        bit = FAILED_EMITTED_SHIFT << index
        if not holds and not order.flags & bit:
            order.flags |= bit
            observations.append(("component_failure", COMPONENTS[index], carrier, tier))
    order.scored = verdicts


def note_breaches(order: OrderFacts, breaches: list, observations: list) -> None:
    """`issue_sla_breach` (clock, category) once per issue and clock, however it was learned."""
    for issue_id, clock_name, flag in breaches:
        record = order.issues[issue_id]
        if not record[IX_EMITTED] & flag:
            record[IX_EMITTED] |= flag
            observations.append(("issue_sla_breach", clock_name, enum_label(record[IX_CATEGORY], ISSUE_CATEGORIES)))
