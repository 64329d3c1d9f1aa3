"""What notify-svc says it sent is joined with order-svc's timeline: milestones for status
accuracy, unit costs from notification.sent, and courtesy calls that no notification.sent records."""

from __future__ import annotations

from orderpulse.simulator.notices import milestones_of, notifications_of, read_notifications
from orderpulse.simulator.tally import OrderRecord, Tally, money

TIMELINE = [
    {"occurred_at": "2026-12-01T10:00:00.000Z", "type": "orderpulse.order.placed.v1", "data": {}},
    {"occurred_at": "2026-12-01T10:00:00.000Z", "type": "orderpulse.order.confirmed.v1", "data": {}},
    {"occurred_at": "2026-12-01T12:00:00.000Z", "type": "orderpulse.shipment.dispatched.v1", "data": {}},
    {"occurred_at": "2026-12-02T09:00:00.000Z", "type": "orderpulse.fulfillment.completed.v1", "data": {}},
    {"occurred_at": "2026-12-01T10:01:00.000Z", "type": "orderpulse.notification.sent.v1",
     "data": {"notification_id": "ntf_1", "unit_cost": "0.001"}},
]
SENT = [
    {"notification_id": "ntf_1", "milestone": "order_confirmed", "channel": "email", "status": "sent",
     "trigger_time": "2026-12-01T10:00:00.000000Z", "sent_at": "2026-12-01T10:01:00.123456Z"},
    {"notification_id": "ntf_2", "milestone": "shipped", "channel": "sms", "status": "sent",
     "trigger_time": "2026-12-01T12:00:00Z", "sent_at": "2026-12-01T12:00:30Z"},
    {"notification_id": "call_1", "milestone": "order_confirmed", "channel": "call", "status": "sent",
     "trigger_time": "2026-12-01T10:00:00Z", "sent_at": "2026-12-01T11:00:00Z"},
]


def test_status_milestones_come_from_the_timeline_and_other_events_are_left_out():
    assert [name for _at, name in milestones_of(TIMELINE)] == ["order_confirmed", "shipped", "delivered"]


def test_a_sent_message_takes_its_cost_from_its_notification_sent_event_and_says_whether_it_was_there():
    notes = {note.key: note for note in notifications_of(SENT, TIMELINE)}
    assert notes["ntf_1"].cost == money("0.001") and notes["ntf_1"].on_timeline
    assert notes["ntf_1"].sent_ms - notes["ntf_1"].trigger_ms == 60_123  # the API's microseconds, to the millisecond
    assert notes["ntf_2"].cost == 0 and not notes["ntf_2"].on_timeline  # not there yet: read again later


def test_a_courtesy_call_without_a_notification_sent_is_not_a_notification():
    assert "call_1" not in {note.key for note in notifications_of(SENT, TIMELINE)}


class FakeNotify:
    def __init__(self, items: list[dict]) -> None:
        self.items = items

    async def notifications(self, order_id: str) -> list[dict]:
        return self.items


class FakeOrders:
    async def timeline(self, order_id: str) -> list[dict]:
        return TIMELINE


async def test_pending_messages_are_told_apart_held_for_quiet_hours_or_coming_soon():
    tally = Tally()
    tally.orders[0] = OrderRecord(0, "ord-1", "vip", "web", "standard", 0, 0, 0, {"MUG": 1}, "confirmed")
    tally.orders[0].fresh = True
    items = [*SENT,
             {"milestone": "shipped", "channel": "sms", "status": "pending", "reason": "quiet_hours_deferred",
              "trigger_time": "2026-12-01T12:00:00Z"},
             {"milestone": "delivered", "channel": "email", "status": "pending", "trigger_time": "2026-12-02T09:00:00Z"},
             {"milestone": "delivered", "channel": "call", "status": "pending", "trigger_time": "2026-12-02T09:00:00Z"}]
    pending = await read_notifications(FakeNotify(items), FakeOrders(), tally)
    assert (pending.held, pending.coming, pending.total) == (1, 1, 2)
    assert {note.key for note in tally.orders[0].notifications} == {"ntf_1", "ntf_2"}


async def test_a_parcel_told_in_a_digest_is_not_a_message_of_its_own():
    tally = Tally()
    tally.orders[0] = OrderRecord(0, "ord-1", "vip", "web", "standard", 0, 0, 0, {"MUG": 1}, "confirmed")
    tally.orders[0].fresh = True
    digest = {"notification_id": "ntf_2b", "milestone": "shipped", "channel": "email", "status": "sent",
              "trigger_time": "2026-12-01T12:00:05Z", "sent_at": "2026-12-01T12:02:00Z", "merged_into": "ntf_2"}
    await read_notifications(FakeNotify([*SENT, digest]), FakeOrders(), tally)
    assert sorted(note.key for note in tally.orders[0].notifications) == ["ntf_1", "ntf_2"]
