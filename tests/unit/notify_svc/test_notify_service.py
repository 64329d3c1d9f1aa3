"""The consumer's decisions and the sender, over in-memory fakes: digests, parked events, quiet
hours, late customer profiles, duplicates and retries."""

from datetime import UTC, datetime, time, timedelta

from notify_fakes import T0, Clock, FakeUnitOfWork, context
from notify_svc.domain.preferences import Preferences, QuietHours
from notify_svc.domain.retry import RetryPolicy
from notify_svc.service_layer import consuming
from notify_svc.service_layer.ports import ParkedEvent
from notify_svc.service_layer.sending import run_due


def customer(tier: str = "vip", **extra) -> dict:
    return {
        "customer_id": "cus-1", "tier": tier, "name": "Ada", "email": "ada@example.com", "phone": "+491511",
        "locale": "en", "timezone": "Europe/Berlin", "account_manager": "am-1", **extra,
    }


def placed(tier: str = "vip") -> dict:
    return {"order_id": "ord-1", "customer_id": "cus-1", "customer_tier": tier, "promised_by": (T0 + timedelta(days=5)).isoformat()}


def dispatched(shipment: str, **extra) -> dict:
    return {"order_id": "ord-1", "shipment_id": shipment, "carrier": "dhl", "tracking_number": f"T-{shipment}", **extra}


async def deliver(ctx, uow, short_type: str, data: dict, at: datetime, event_id: str | None = None) -> None:
    async with uow:
        if short_type == "order.placed.v1":
            await consuming.order_placed(ctx, uow, data)
        elif short_type == "customer.upserted.v1":
            await consuming.customer_upserted(ctx, uow, data)
        else:
            await consuming.order_event(ctx, uow, ParkedEvent(event_id or f"{short_type}-{at.isoformat()}", short_type, at, data))
        await uow.commit()


async def confirmed_vip_order(ctx, uow) -> None:
    """A VIP customer's order ord-1, placed and confirmed at T0 (an email and an SMS fall due)."""
    await deliver(ctx, uow, "customer.upserted.v1", customer("vip"), T0)
    await deliver(ctx, uow, "order.placed.v1", placed("vip"), T0)
    await deliver(ctx, uow, "order.confirmed.v1", {"order_id": "ord-1"}, T0)


async def test_parcels_dispatched_within_the_window_share_one_message_and_a_late_one_gets_its_own():
    uow, clock = FakeUnitOfWork(), Clock()
    ctx = context(uow, clock, digest_window=timedelta(minutes=2))
    await deliver(ctx, uow, "customer.upserted.v1", customer("standard"), T0)
    await deliver(ctx, uow, "order.placed.v1", placed("standard"), T0)
    await deliver(ctx, uow, "shipment.dispatched.v1", dispatched("shp-1"), T0)
    await deliver(ctx, uow, "shipment.dispatched.v1", dispatched("shp-2"), T0 + timedelta(seconds=40))
    assert await run_due(ctx, clock()) == T0 + timedelta(minutes=2)  # nothing due before the window closes
    await run_due(ctx, clock.advance(minutes=2))
    [digest] = ctx.channels.sent
    assert [s.shipment_id for s in digest.shipments] == ["shp-1", "shp-2"]
    await deliver(ctx, uow, "shipment.dispatched.v1", dispatched("shp-3"), clock.advance(minutes=10))
    await run_due(ctx, clock.advance(minutes=2))
    assert [[s.shipment_id for s in m.shipments] for m in ctx.channels.sent] == [["shp-1", "shp-2"], ["shp-3"]]


async def test_fulfillment_events_before_the_order_is_known_wait_for_it():
    uow, clock = FakeUnitOfWork(), Clock()
    ctx = context(uow, clock, digest_window=timedelta(0))
    await deliver(ctx, uow, "customer.upserted.v1", customer("standard"), T0)
    await deliver(ctx, uow, "shipment.dispatched.v1", dispatched("shp-1"), T0)
    await run_due(ctx, clock())
    assert ctx.channels.sent == [] and uow.state.parked
    await deliver(ctx, uow, "order.placed.v1", placed("standard"), T0)
    await run_due(ctx, clock())
    assert [m.milestone for m in ctx.channels.sent] == ["shipped"] and not uow.state.parked


async def test_an_sms_in_quiet_hours_waits_once_while_the_email_goes_at_once():
    night = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    uow, clock = FakeUnitOfWork(), Clock(night)
    ctx = context(uow, clock)
    await deliver(ctx, uow, "customer.upserted.v1", customer("vip"), night)
    await uow.state.save_preferences("cus-1", Preferences(quiet_hours=QuietHours(time(22), time(7))))
    await deliver(ctx, uow, "order.placed.v1", placed("vip"), night)
    await deliver(ctx, uow, "order.confirmed.v1", {"order_id": "ord-1"}, night)
    assert await run_due(ctx, night) == datetime(2026, 12, 8, 6, 0, tzinfo=UTC)  # 07:00 Berlin
    await run_due(ctx, clock.advance(minutes=30))
    assert [m.channel for m in ctx.channels.sent] == ["email"]
    assert [e["reason"] for e in uow.published("notification.suppressed")] == ["quiet_hours_deferred"]
    clock.now = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)
    await run_due(ctx, clock())
    assert [m.channel for m in ctx.channels.sent] == ["email", "sms"]


async def test_a_call_scheduled_before_the_profile_arrived_goes_to_its_account_manager():
    uow, clock = FakeUnitOfWork(), Clock()
    ctx = context(uow, clock)
    await deliver(ctx, uow, "order.placed.v1", placed("vip"), T0)
    await deliver(ctx, uow, "order.confirmed.v1", {"order_id": "ord-1"}, T0)
    [call] = uow.calls.calls.values()
    assert call.account_manager == "unassigned"
    assert call.due_by == datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # Monday 12:00 + 4 working hours
    await run_due(ctx, clock())
    assert ctx.channels.sent == []  # no address yet: retried, not lost
    await deliver(ctx, uow, "customer.upserted.v1", customer("vip"), T0)
    assert [c["account_manager"] for c in uow.published("courtesy_call.scheduled")] == ["unassigned", "am-1"]
    await run_due(ctx, clock.advance(minutes=1))
    assert sorted(m.channel for m in ctx.channels.sent) == ["email", "sms"]


async def test_a_message_due_before_the_profile_arrived_waits_for_it_however_long_without_failing():
    uow, clock = FakeUnitOfWork(), Clock()
    ctx = context(uow, clock, retries={"email": RetryPolicy(max_attempts=2, base_s=1, cap_s=1)})
    await deliver(ctx, uow, "order.placed.v1", placed("standard"), T0)
    await deliver(ctx, uow, "order.confirmed.v1", {"order_id": "ord-1"}, T0)
    for _ in range(5):  # more looks than the email's attempts
        await run_due(ctx, clock.advance(seconds=1))
    assert ctx.channels.sent == [] and uow.published("notification.failed") == []
    await deliver(ctx, uow, "customer.upserted.v1", customer("standard"), clock())
    await run_due(ctx, clock.advance(seconds=1))
    assert [(m.milestone, m.channel, m.to) for m in ctx.channels.sent] == [("order_confirmed", "email", "ada@example.com")]


async def test_a_second_event_for_a_parcel_already_told_is_a_duplicate_and_sends_nothing():
    uow, clock = FakeUnitOfWork(), Clock()
    ctx = context(uow, clock, digest_window=timedelta(0))
    await deliver(ctx, uow, "customer.upserted.v1", customer("standard"), T0)
    await deliver(ctx, uow, "order.placed.v1", placed("standard"), T0)
    await deliver(ctx, uow, "shipment.delivered.v1", dispatched("shp-1", condition="intact"), T0, event_id="scan-1")
    await run_due(ctx, clock())
    await deliver(ctx, uow, "shipment.delivered.v1", dispatched("shp-1", condition="intact"), T0, event_id="scan-2")
    await run_due(ctx, clock.advance(minutes=1))
    assert len(ctx.channels.sent) == 1
    assert [e["reason"] for e in uow.published("notification.suppressed")] == ["duplicate"]


async def test_a_failing_channel_retries_with_growing_waits_then_fails_finally_without_holding_back_the_others():
    uow, clock = FakeUnitOfWork(), Clock()
    ctx = context(uow, clock, retries={"email": RetryPolicy(max_attempts=3, base_s=10, cap_s=60)})
    ctx.channels.failing.add("email")
    await confirmed_vip_order(ctx, uow)
    waits = []
    for _ in range(3):
        following = await run_due(ctx, clock())
        if following is not None:
            waits.append((following - clock()).total_seconds())
            clock.now = following
    assert [m.channel for m in ctx.channels.sent] == ["sms"]
    assert 5 <= waits[0] <= 10 and 10 <= waits[1] <= 20
    failures = uow.published("notification.failed")
    assert [(f["attempts"], f["final"]) for f in failures] == [(1, False), (2, False), (3, True)]
    assert await run_due(ctx, clock.advance(hours=1)) is None


async def test_a_channel_that_breaks_unexpectedly_is_a_failed_attempt_and_the_rest_of_the_batch_is_recorded_sent():
    uow, clock = FakeUnitOfWork(), Clock()
    ctx = context(uow, clock, retries={"email": RetryPolicy(max_attempts=2, base_s=10, cap_s=60)})
    ctx.channels.broken.add("email")
    await confirmed_vip_order(ctx, uow)
    following = await run_due(ctx, clock())
    assert [m.channel for m in ctx.channels.sent] == ["sms"] and [s["channel"] for s in uow.published("notification.sent")] == ["sms"]
    [failure] = uow.published("notification.failed")
    assert (failure["channel"], failure["attempts"], failure["final"]) == ("email", 1, False)
    assert "UnicodeEncodeError" in failure["error"] and "ada@example.com" not in failure["error"]
    await run_due(ctx, following)
    assert [(f["attempts"], f["final"]) for f in uow.published("notification.failed")] == [(1, False), (2, True)]
    assert [m.channel for m in ctx.channels.sent] == ["sms"]


async def test_a_carrier_eta_past_the_promise_tells_the_customer_of_a_delay_once():
    uow, clock = FakeUnitOfWork(), Clock()
    ctx = context(uow, clock, digest_window=timedelta(0))
    await deliver(ctx, uow, "customer.upserted.v1", customer("standard"), T0)
    await deliver(ctx, uow, "order.placed.v1", placed("standard"), T0)
    late = (T0 + timedelta(days=9)).isoformat()
    for minutes in (1, 2):
        scan = {"order_id": "ord-1", "shipment_id": "shp-1", "carrier": "dhl", "eta": late}
        await deliver(ctx, uow, "shipment.in_transit.v1", scan, T0 + timedelta(minutes=minutes))
    await run_due(ctx, clock.advance(minutes=3))
    assert sorted((m.milestone, m.channel) for m in ctx.channels.sent) == [("delayed", "email"), ("delayed", "sms")]
    assert ctx.channels.sent[0].details["reason"] == "predicted"


async def test_a_replayed_day_old_milestone_is_suppressed_as_stale_and_never_sent():
    uow, clock = FakeUnitOfWork(), Clock(T0 + timedelta(days=2))
    ctx = context(uow, clock)
    await confirmed_vip_order(ctx, uow)
    assert await run_due(ctx, clock()) is None and ctx.channels.sent == [] and not uow.calls.calls
    assert [e["reason"] for e in uow.published("notification.suppressed")] == ["stale"]
    assert sorted((n.channel, n.status, n.reason) for n in uow.notifications.rows.values()) == [
        ("email", "suppressed", "stale"), ("sms", "suppressed", "stale")
    ]
