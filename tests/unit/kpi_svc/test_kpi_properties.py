"""Property tests: arrival order, duplicates, clock ticks and crashes do not change the figures."""

import json
from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kpi_events import MONDAY, OrderStory
from kpi_svc.domain import KpiEngine, KpiRules

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
FINAL = MONDAY + 9 * DAY
# Eviction is tested on its own: here the facts must stay while events may still arrive.
RULES = KpiRules(eviction_grace_s=60 * 86400)
PROPERTY_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def hours(draw, low: float, high: float) -> timedelta:
    return timedelta(minutes=draw(st.integers(int(low * 60), int(high * 60))))


@st.composite
def order_events(draw, order_id: str) -> list[dict]:
    """One order told with a random mix of everything that can go right or wrong."""
    start = MONDAY + hours(draw, 0, 30)
    story = OrderStory(order_id, start)
    quantity = draw(st.integers(1, 3))
    lines = [{"line_id": "l1", "sku": "SKU-A", "quantity": quantity, "unit_price": "10.00"}]
    story.placed(
        lines=lines,
        promised_by=start + hours(draw, 24, 120),
        tier=draw(st.sampled_from(["vip", "standard", "one_time", "gold"])),
        channel=draw(st.sampled_from(["web", "mobile", "b2b", "fax"])),
        requested_at=start - MINUTE if draw(st.booleans()) else None,
        entry_discrepancies=[{"code": "price_mismatch"}] if draw(st.integers(0, 5)) == 0 else (),
    )
    if draw(st.integers(0, 4)) == 0:
        story.held(start + MINUTE, codes=draw(st.sampled_from([("invalid_address",), ("payment_failed",)])))
    if draw(st.integers(0, 4)) == 0:
        quantity = max(1, quantity - 1)
        story.corrected(start + 2 * MINUTE, lines=[{"line_id": "l1", "sku": "SKU-A", "quantity": quantity,
                                                    "unit_price": "10.00"}])
    story.confirmed(start + 3 * MINUTE, lines=lines)
    if draw(st.booleans()):
        story.invoiced(start + 4 * MINUTE, lines=[{"line_id": "l1", "sku": "SKU-A",
                                                   "quantity": draw(st.integers(quantity - 1, quantity)),
                                                   "unit_price": draw(st.sampled_from(["10.00", "9.50"]))}])
    if draw(st.integers(0, 6)) == 0:
        story.cancelled(start + hours(draw, 1, 80))
    if draw(st.integers(0, 5)) != 0:  # fulfilled
        shipments = draw(st.integers(1, 2))
        dispatch_at = start + hours(draw, 2, 70)
        first_units = quantity if shipments == 1 else 1
        story.packed(dispatch_at - HOUR, shipment="s1",
                     discrepancies=("invoice",) if draw(st.integers(0, 4)) == 0 else ())
        story.dispatched(dispatch_at, shipment="s1", carrier=draw(st.sampled_from(["dhl", "ups"])),
                         warehouse=draw(st.sampled_from(["wh_a", "wh_b"])), shipping_cost="4.90",
                         lines=[{"sku": "SKU-A", "quantity": first_units}])
        if shipments == 2:
            story.dispatched(dispatch_at + HOUR, shipment="s2", lines=[{"sku": "SKU-A", "quantity": quantity - 1}])
        story.scan("shipment.in_transit.v1", dispatch_at + 3 * HOUR)
        if draw(st.booleans()):
            story.scan("shipment.exception.v1", dispatch_at + 5 * HOUR,
                       reason=draw(st.sampled_from(["damaged_in_transit", "lost"])))
        delivered_at = dispatch_at + hours(draw, 20, 90)
        story.scan("shipment.out_for_delivery.v1", delivered_at - 2 * HOUR)
        story.shipment_delivered(delivered_at, condition=draw(st.sampled_from(["intact", "intact", "damaged"])),
                                 lines=[{"sku": "SKU-A", "quantity": first_units}])
        delivered = draw(st.integers(max(0, quantity - 1), quantity))
        story.completed(delivered_at, delivered=[{"sku": "SKU-A", "quantity": delivered}],
                        closed_short=delivered < quantity and draw(st.booleans()), shipments=shipments)
        for milestone, trigger in (("shipped", dispatch_at), ("delivered", delivered_at)):
            if draw(st.booleans()):
                story.notification(trigger + timedelta(seconds=draw(st.integers(1, 900))), trigger,
                                   milestone=milestone, unit_cost="0.01")
        after = delivered_at + hours(draw, 1, 24 * 8)
        choice = draw(st.sampled_from(["none", "survey", "issue", "return"]))
        if choice == "survey":
            story.feedback(after, draw(st.integers(1, 5)))
        elif choice == "return":
            story.return_requested(after, reason=draw(st.sampled_from(["damaged", "changed_mind"])))
        elif choice == "issue":
            story.issue_opened(after, category=draw(st.sampled_from(["damaged", "billing", "documentation", "late"])))
            if draw(st.booleans()):
                story.issue_acknowledged(after + hours(draw, 1, 30))
            if draw(st.booleans()):
                story.issue_resolved(after + hours(draw, 2, 60))
            if draw(st.booleans()):
                story.issue_breached(after + 24 * HOUR, clock="ack")
    return story.events


@st.composite
def scenario(draw) -> list[dict]:
    count = draw(st.integers(1, 3))
    return [item for n in range(count) for item in draw(order_events(f"ord_{n}"))]


def outcome(engine: KpiEngine) -> dict:
    """Everything the figures and explanations depend on (not the history-bound revisions)."""
    result = {}
    for window in ("1h", "24h", "7d", "30d"):
        result[window] = engine.report(window, FINAL)
        for by in ("carrier", "warehouse", "tier", "channel", "service_level"):
            result[f"{window}/{by}"] = engine.report(window, FINAL, by=by)
    result["failures"] = engine.failures("7d", FINAL)
    for order_id in sorted(engine.order_ids()):
        card = engine.scorecard(order_id)
        card.pop("revisions")
        result[order_id] = card
    return result


def run(events: list[dict], ticks: dict[int, object] | None = None) -> KpiEngine:
    engine = KpiEngine(RULES)
    for position, item in enumerate(events):
        if ticks and position in ticks:
            engine.advance(ticks[position])
        engine.apply(item)
    engine.advance(FINAL)
    return engine


@PROPERTY_SETTINGS
@given(data=st.data())
def test_any_arrival_order_with_duplicates_and_clock_ticks_gives_the_same_verdicts_and_figures(data):
    events = data.draw(scenario())
    reference = run(events)
    shuffled = data.draw(st.permutations(events))
    duplicates = data.draw(st.lists(st.sampled_from(events), max_size=8))
    mixed = list(shuffled)
    for item in duplicates:
        mixed.insert(data.draw(st.integers(0, len(mixed))), item)
    tick_positions = data.draw(st.lists(st.integers(0, len(mixed)), max_size=4, unique=True))
    tick_times = sorted(MONDAY + hours(data.draw, 0, 8 * 24) for _ in tick_positions)
    replayed = run(mixed, dict(zip(sorted(tick_positions), tick_times, strict=True)))
    assert outcome(replayed) == outcome(reference)
    assert_observations_consistent(replayed)


def assert_observations_consistent(engine: KpiEngine) -> None:
    """What the Prometheus observations count once per fact, for any moment orders were reconciled at."""
    observed = Counter(item[0] for item in engine.drain_observations())
    orders = [engine.peek_order(order_id) for order_id in engine.order_ids()]
    scored = sum(1 for order in orders if engine.scorecard(order.order_id)["perfect"] is not None)
    completed = sum(1 for order in orders if order.completed is not None)
    # counters cannot go down: an order cancelled after it was scored stays counted as delivered
    assert scored <= observed["order_delivered"] == observed["processing_seconds"] <= completed
    assert observed["survey_response"] == sum(len(o.responses or {}) for o in orders)
    assert observed["notification_latency_seconds"] == sum(len(o.notifications or {}) for o in orders)


def keep(delta, database: dict) -> None:
    """The wiring's checkpoint tables: latest payload per key, removals deleted, via JSON."""
    for name, table, removed in (("orders", delta.orders, delta.removed_orders),
                                 ("buckets", delta.buckets, delta.removed_buckets)):
        rows = database.setdefault(name, {})
        rows.update(json.loads(json.dumps(table)))
        for key in removed:
            rows.pop(key, None)
    database["meta"] = json.loads(json.dumps(delta.meta))


@PROPERTY_SETTINGS
@given(data=st.data())
def test_a_crash_and_restore_at_any_point_gives_the_same_figures_as_no_crash(data):
    events = data.draw(st.permutations(data.draw(scenario())))
    every = data.draw(st.integers(1, 6))
    flush = data.draw(st.booleans())
    crash_at = data.draw(st.integers(0, len(events)))

    def clock(position: int):
        return MONDAY + position * 3 * HOUR

    def process(engine: KpiEngine, start: int, stop: int, database: dict | None, observations: list) -> int:
        """Apply events[start:stop] with a checkpoint every `every` events; the last checkpoint's position."""
        last = start
        for position in range(start, stop):
            engine.apply(events[position])
            if (position + 1) % every == 0:
                engine.advance(clock(position), flush=flush)
                delta = engine.dirty_snapshot(flush=flush)
                observations += engine.drain_observations()
                if database is not None:
                    keep(delta, database)
                last = position + 1
        return last

    seen_without_crash: list = []
    uninterrupted = KpiEngine(RULES)
    process(uninterrupted, 0, len(events), None, seen_without_crash)
    uninterrupted.advance(FINAL)

    database: dict = {}
    seen_with_crash: list = []
    crashed = KpiEngine(RULES)
    checkpointed = process(crashed, 0, crash_at, database, seen_with_crash)
    seen_with_crash = seen_with_crash[:]  # everything drained was drained at or before a checkpoint
    restored = KpiEngine.restore(RULES, database.get("orders", {}), database.get("buckets", {}), database.get("meta"))
    process(restored, checkpointed, len(events), database, seen_with_crash)
    restored.advance(FINAL)

    assert outcome(restored) == outcome(uninterrupted)
    for order_id in restored.order_ids():
        assert restored.scorecard(order_id)["revisions"] == uninterrupted.scorecard(order_id)["revisions"]
    seen_without_crash += uninterrupted.drain_observations()
    seen_with_crash += restored.drain_observations()
    assert Counter(seen_with_crash) == Counter(seen_without_crash)
