"""notify-svc killed (SIGKILL) while it is sending, then restarted, sends nothing twice that a
customer would see: every expected (order, milestone, channel) message arrives, each is stored
once, and each has exactly one `notification.sent`.

The design (services/notify-svc/.../sending.py): a batch of due rows is claimed, sent, and marked
sent in one transaction. A kill after a send but before the commit leaves those rows pending, so
the restarted service sends them again — under the same notification id, which is the email's
Message-ID and the SMS's webhook-id, so the sink / provider drops the repeat. So a repeat on the
wire is possible only for the batches in flight at the kill (one per sender loop), never twice, and
never stored twice.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from notify_stack import SHOP_URL, TRACKING_SECRET, WEBHOOK_SECRET
from orderpulse.stack.processes import free_port
from orderpulse.testing.service import TEST_SIGNING_SECRETS
from orderpulse.testing.uvicorn import service_environment, serving

ORDERS = 40
VIP_EVERY = 4  # every 4th customer is vip: email + SMS at every milestone, courtesy calls
SENDER_BATCH = 10
SENDER_WORKERS = 2  # sender loops, each with a batch of its own in flight
MILESTONES = ("order_confirmed", "shipped", "out_for_delivery", "delivered")
CALLED_AT = {"order_confirmed", "shipped", "delivered"}  # api.md's vip calls among MILESTONES
DELIVERED = {"condition": "intact", "lines": [{"sku": "MUG", "quantity": 1}]}
SENT, SCHEDULED = "notification.sent.v1", "courtesy_call.scheduled.v1"


def channels(tier: str, milestone: str) -> set[str]:
    """api.md's policy for the milestones of this test."""
    if tier == "vip":
        return {"email", "sms"}
    return {"email", "sms"} if milestone == "out_for_delivery" else {"email"}


def ids_by(events: list[dict], type_: str, *fields: str) -> dict[tuple, set[str]]:
    """Per value of `fields` in the data: the distinct event ids."""
    seen: dict[tuple, set[str]] = defaultdict(set)
    for event in events:
        if event["type"].endswith(type_):
            seen[tuple(event["data"][f] for f in fields)].add(event["id"])
    return seen


async def test_a_kill_mid_batch_and_a_restart_send_every_message_and_none_twice(
    infrastructure, clean_schema, smtp_sink, sms_receiver, world, notifications_topic, database
):
    env = service_environment(
        infrastructure,
        signing_secrets={**TEST_SIGNING_SECRETS, "tracking": TRACKING_SECRET, "notify-webhooks": WEBHOOK_SECRET},
        public_urls={"order-svc": SHOP_URL},
        smtp_port=str(smtp_sink.port), sms_url=f"{sms_receiver.url}/sms", webhook_url=f"{sms_receiver.url}/webhooks",
        digest_window_s="0.3", retry_base_s="0.05", retry_cap_s="0.2", provider_timeout_s="5",
        sender_max_sleep_s="0.2", sender_batch_size=str(SENDER_BATCH), sender_workers=str(SENDER_WORKERS),
        sender_concurrency="4", consumer_batch_size="10",
    )
    smtp_sink.delay_s, sms_receiver.delay_s = 0.02, 0.15  # slow providers: the kill lands inside a batch
    tiers: dict[str, str] = {}
    shipments: dict[str, str] = {}
    for n in range(ORDERS):
        tier = "vip" if n % VIP_EVERY == 0 else "standard"
        customer = await world.customer(f"c{n}", tier, account_manager="am-crash" if tier == "vip" else None)
        tiers[await world.place_and_confirm(f"o{n}", customer, tier)] = tier
    expected = {(o, m, c) for o, tier in tiers.items() for m in MILESTONES for c in channels(tier, m)}

    def own_events() -> list[dict]:
        """This test's orders only: the topics and the schema are shared with earlier tests, whose
        surveys and issue updates a fresh notify-svc also tells (from the start of the topics)."""
        return [e for e in notifications_topic.events() if e["data"].get("order_id") in tiers]

    def sent_keys() -> set[tuple]:
        return set(ids_by(own_events(), SENT, "order_id", "milestone", "channel"))

    def all_sent(milestone: str) -> bool:
        return {k for k in expected if k[1] == milestone} <= sent_keys()

    async def until_sent(milestone: str) -> None:
        try:
            await notifications_topic.wait_until(lambda _: all_sent(milestone), timeout_s=60)
        except AssertionError:
            missing = sorted({k for k in expected if k[1] == milestone} - sent_keys())
            rows = await database(
                "SELECT order_id, channel, status, attempts, due_at, reason, last_error FROM notifications WHERE milestone = :m",
                m=milestone,
            )
            unsent = [tuple(r) for r in rows if (r.order_id, milestone, r.channel) in set(missing)]
            raise AssertionError(f"{milestone}: {len(missing)} not sent, e.g. {missing[:3]}; their rows: {unsent[:6]}") from None

    def on_the_wire() -> int:
        return smtp_sink.received + len(sms_receiver.accepted)

    # one milestone at a time, each told before the next (a later one would supersede it)
    with serving("notify_svc.main:app", free_port(), env) as served:
        await until_sent("order_confirmed")
        before = on_the_wire()
        for order_id in tiers:
            shipments[order_id] = await world.dispatch(order_id, f"shp-{order_id}")
        wave = sum(len(channels(t, "shipped")) for t in tiers.values())
        await notifications_topic.wait_until(lambda _: on_the_wire() - before >= wave // 3, timeout_s=60)
        served.kill()  # SIGKILL while the shipped wave is being sent: no shutdown, no commit
    assert on_the_wire() - before < wave, "the kill came too late to test anything"

    with serving("notify_svc.main:app", free_port(), env):
        await until_sent("shipped")
        for milestone, fields in (("out_for_delivery", {}), ("delivered", DELIVERED)):
            for order_id, shipment_id in shipments.items():
                await world.scan(order_id, shipment_id, milestone, **fields)
            await until_sent(milestone)
        await notifications_topic.settle(quiet_s=3.0)

    events = own_events()
    sent = ids_by(events, SENT, "order_id", "milestone", "channel")
    assert set(sent) == expected
    assert [k for k, ids in sent.items() if len(ids) != 1] == []  # one notification.sent each (a relay repeat keeps its id)
    by_id = {e["data"]["notification_id"]: (e["data"]["order_id"], e["data"]["milestone"], e["data"]["channel"])
             for e in events if e["type"].endswith(SENT)}
    assert len(by_id) == len(expected)

    # stored once each, as the customer sees them: the mailbox and the SMS folder
    def message_id(message) -> str:
        return str(message["Message-ID"]).strip("<>").split("@")[0]

    own_mail = [m for m in smtp_sink.messages if message_id(m) in by_id]
    emails = {message_id(m) for m in own_mail}
    texts = {i for i in sms_receiver.stored() if i in by_id}
    assert sorted(by_id[i] for i in emails) == sorted(k for k in expected if k[2] == "email")
    assert sorted(by_id[i] for i in texts) == sorted(k for k in expected if k[2] == "sms")
    assert len(own_mail) == len(emails)

    # on the wire: a repeat only for the batches in flight at the kill, under the same id, at most once
    wire = Counter({i.strip("<>").split("@")[0]: n for i, n in smtp_sink.received_ids.items()})
    wire.update(r.headers["webhook-id"] for r in sms_receiver.accepted)
    repeated = {by_id[i]: n for i, n in wire.items() if n > 1 and i in by_id}
    assert all(n == 2 for n in repeated.values()), repeated
    assert len(repeated) <= SENDER_BATCH * SENDER_WORKERS, repeated
    assert {milestone for _, milestone, _ in repeated} <= {"shipped"}, repeated

    # courtesy calls: one per (vip order, milestone), announced once to its account manager (a call
    # scheduled before the customer's profile arrived is announced unassigned first, then again
    # with the manager: customers and orders are different topics, consumed side by side)
    calls = ids_by(events, SCHEDULED, "order_id", "milestone", "call_id")
    assert sorted(k[:2] for k in calls) == sorted((o, m) for o, tier in tiers.items() if tier == "vip" for m in CALLED_AT)
    assigned = ids_by([e for e in events if e["data"].get("account_manager") == "am-crash"], SCHEDULED, "order_id", "milestone")
    assert set(assigned) == {k[:2] for k in calls}
    assert {k: ids for k, ids in assigned.items() if len(ids) != 1} == {}
