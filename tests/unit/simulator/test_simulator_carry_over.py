"""Messages notify-svc sends an earlier run's orders during a later run (an SMS held for quiet hours,
a survey email after a delivery): kpi-svc counts them in the later run's figures, so the later
run's tally counts them too — those sent since it began, never those sent before
(simulator/carry_over.py). Found by the interrupted-run
end-to-end test: two SMS held by run 1 went out at 21:00:00 UTC, the end of their customers'
quiet hours, in the middle of run 2."""

from __future__ import annotations

from pathlib import Path

import orjson
from orderpulse.simulator.carry_over import (
    EARLIER_ORDERS_FILE,
    EarlierMessages,
    load_earlier_orders,
    save_earlier_orders,
)
from orderpulse.simulator.clients import parse_time
from orderpulse.simulator.measures import Window, measure
from orderpulse.simulator.tally import Tally, money, ms

CONFIRMED = {"occurred_at": "2026-12-07T19:45:39.841Z", "type": "orderpulse.order.confirmed.v1", "data": {}}
EMAIL = {"notification_id": "ntf_email", "milestone": "order_confirmed", "channel": "email", "status": "sent",
         "trigger_time": "2026-12-07T19:45:39.841Z", "sent_at": "2026-12-07T20:58:51.735Z"}
HELD_SMS = {"notification_id": "ntf_sms", "milestone": "order_confirmed", "channel": "sms", "status": "pending",
            "reason": "quiet_hours_deferred", "trigger_time": "2026-12-07T19:45:39.841Z"}
SMS_SENT = {**HELD_SMS, "status": "sent", "reason": "quiet_hours_deferred", "sent_at": "2026-12-07T21:00:00.014Z"}
SURVEY_SENT = {"notification_id": "ntf_survey", "milestone": "survey", "channel": "email", "status": "sent",
               "trigger_time": "2026-12-07T22:00:00.000Z", "sent_at": "2026-12-07T22:00:01.500Z"}
SMS_ON_TIMELINE = {"occurred_at": "2026-12-07T21:00:00.014Z", "type": "orderpulse.notification.sent.v1",
                   "data": {"notification_id": "ntf_sms", "unit_cost": "0.05"}}


class FakeNotify:
    """notify-svc's notifications of each order, as the test sets them; counts the readings."""

    def __init__(self, items: dict[str, list[dict]]) -> None:
        self.items, self.readings = items, 0

    async def notifications(self, order_id: str) -> list[dict]:
        self.readings += 1
        return self.items.get(order_id, [])


class FakeOrders:
    def __init__(self, timelines: dict[str, list[dict]]) -> None:
        self.timelines = timelines

    async def timeline(self, order_id: str) -> list[dict]:
        return self.timelines.get(order_id, [])


def window_at(moment: str) -> Window:
    return Window.ending("24h", ms(parse_time(moment)))


async def test_a_message_held_when_the_run_began_and_sent_during_it_counts_in_the_tally(tmp_path: Path):
    save_earlier_orders(tmp_path, ["ord_earlier"])  # what the earlier run left
    notify = FakeNotify({"ord_earlier": [EMAIL, HELD_SMS]})
    orders = FakeOrders({"ord_earlier": [CONFIRMED]})
    earlier, tally = EarlierMessages(notify, orders, tmp_path), Tally()

    assert await earlier.note() == 1
    notify.items["ord_earlier"] = [EMAIL, SMS_SENT]  # quiet hours over, mid-run
    orders.timelines["ord_earlier"] = [CONFIRMED, SMS_ON_TIMELINE]
    await earlier.read(tally)

    assert [note.key for note in tally.earlier["ord_earlier"].notifications] == ["ntf_sms"]  # not the email sent before
    figures = measure(tally, window_at("2026-12-07T21:05:00Z"))
    assert (figures["notification_timeliness"].numerator, figures["notification_timeliness"].denominator) == (0, 1)
    assert (figures["status_communication_accuracy"].numerator,
            figures["status_communication_accuracy"].denominator) == (1, 1)
    assert figures["cost_per_order"].numerator * 10_000 == money("0.05")


async def test_a_message_still_held_counts_nothing_and_its_order_is_handed_on_to_the_next_run(tmp_path: Path):
    save_earlier_orders(tmp_path, ["ord_earlier", "ord_all_sent"])
    notify = FakeNotify({"ord_earlier": [EMAIL, HELD_SMS], "ord_all_sent": [EMAIL]})
    earlier, tally = EarlierMessages(notify, FakeOrders({}), tmp_path), Tally()

    assert await earlier.note() == 1
    await earlier.read(tally)
    earlier.save(["ord_of_this_run"])

    assert tally.earlier == {}
    assert load_earlier_orders(tmp_path) == ["ord_earlier", "ord_of_this_run"]  # the one with nothing pending left out


async def test_an_earlier_order_with_nothing_pending_is_followed_too_for_a_survey_sent_during_the_run(tmp_path: Path):
    save_earlier_orders(tmp_path, ["ord_delivered"])  # delivered late in the earlier run: its survey is not due yet
    notify = FakeNotify({"ord_delivered": [EMAIL]})
    orders = FakeOrders({"ord_delivered": [CONFIRMED]})
    earlier, tally = EarlierMessages(notify, orders, tmp_path), Tally()

    assert await earlier.note() == 0
    notify.items["ord_delivered"] = [EMAIL, SURVEY_SENT]
    await earlier.read(tally)

    assert [note.key for note in tally.earlier["ord_delivered"].notifications] == ["ntf_survey"]
    assert measure(tally, window_at("2026-12-07T22:10:00Z"))["notification_timeliness"].denominator == 1


def test_no_file_or_a_damaged_one_means_no_earlier_orders(tmp_path: Path):
    assert load_earlier_orders(tmp_path) == []
    assert load_earlier_orders(None) == []
    (tmp_path / EARLIER_ORDERS_FILE).write_text("{not json")
    assert load_earlier_orders(tmp_path) == []
    (tmp_path / EARLIER_ORDERS_FILE).write_bytes(orjson.dumps({"orders": ["ord_1", 7]}))
    assert load_earlier_orders(tmp_path) == ["ord_1"]
