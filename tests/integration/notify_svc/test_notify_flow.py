"""A vip order through the real broker: emails arrive at the SMTP server, SMS at the provider with
a valid Standard Webhooks signature, courtesy calls reach the list — and a replay of every event
(even with the dedup record gone) sends nothing twice."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
from notify_stack import SHOP_URL, TRACKING_SECRET, WEBHOOK_SECRET, notify_settings
from notify_svc.bootstrap import build_app
from orderpulse.signed_tokens import TokenSigner
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import auth, running_app
from standardwebhooks import Webhook


def about(events: list[dict], order_id: str, suffix: str) -> list[dict]:
    return [e["data"] for e in events if e["type"].endswith(suffix) and e["data"]["order_id"] == order_id]


async def test_a_vip_order_is_told_every_milestone_once_by_email_sms_and_a_call_and_a_replay_sends_nothing_again(
    infrastructure, clean_schema, smtp_sink, sms_receiver, world, notifications_topic, database
):
    settings = notify_settings(
        infrastructure, smtp_port=smtp_sink.port, sms_url=f"{sms_receiver.url}/sms", webhook_url=f"{sms_receiver.url}/webhooks"
    )
    async with running_app(build_app(settings)) as client:
        customer_id = await world.customer("ada", "vip", account_manager="am-grace")
        order_id = await world.place_and_confirm("ord", customer_id, "vip")

        # --- order_confirmed: an email with the right headers and a working tracking link, an SMS, a call
        [confirmed] = await eventually(lambda: smtp_sink.about(order_id))
        assert order_id in confirmed["Subject"] and confirmed["To"].addresses[0].addr_spec == f"{customer_id}@example.com"
        assert re.fullmatch(r"<ntf_[0-9a-f]{32}@notify\.orderpulse>", confirmed["Message-ID"])
        assert str(confirmed["List-Unsubscribe"]).strip().startswith("<mailto:unsubscribe@")
        text = confirmed.get_body(("plain",)).get_content()
        html = confirmed.get_body(("html",)).get_content()
        link = re.search(rf"{re.escape(SHOP_URL)}/track/(\S+)", text)
        assert link and f'href="{link.group(0)}"' in html
        assert TokenSigner(TRACKING_SECRET, purpose="tracking").verify(link.group(1), now=datetime.now(UTC)) == order_id

        [sms] = await eventually(lambda: [r for r in sms_receiver.accepted if order_id.encode() in r.body])
        assert sms.path == "/sms"
        payload = Webhook(WEBHOOK_SECRET).verify(sms.body, sms.headers)
        assert payload["to"] == "+4915112345678" and order_id in payload["text"]
        assert sms.headers["webhook-id"] == payload["notification_id"]

        async def open_calls() -> list[dict]:
            params = {"account_manager": "am-grace", "status": "open"}
            calls = await client.get("/v1/courtesy-calls", params=params, headers=auth("account_manager"))
            return [c for c in calls.json()["items"] if c["order_id"] == order_id]

        [call] = await eventually(open_calls)
        assert call["milestone"] == "order_confirmed" and call["status"] == "open" and call["customer_id"] == customer_id

        # --- two parcels dispatched together: one digest email and one SMS naming both
        first = await world.dispatch(order_id, "shp-a")
        second = await world.dispatch(order_id, "shp-b", carrier="ups")
        shipped = await eventually(lambda: [m for m in smtp_sink.about(order_id) if "on its way" in m["Subject"]])
        body = shipped[0].get_body(("plain",)).get_content()
        assert f"TRK-{first}" in body and f"TRK-{second}" in body
        await eventually(lambda: len([r for r in sms_receiver.accepted if order_id.encode() in r.body]) == 2)

        # --- the account manager completes the call
        refused = await client.post(f"/v1/courtesy-calls/{call['call_id']}/complete", json={"outcome": "reached"}, headers=auth("support"))
        assert refused.status_code == 403
        done = await client.post(
            f"/v1/courtesy-calls/{call['call_id']}/complete", json={"outcome": "reached", "note": "happy"}, headers=auth("account_manager")
        )
        assert done.status_code == 200 and done.json()["status"] == "completed"
        again = await client.post(f"/v1/courtesy-calls/{call['call_id']}/complete", json={"outcome": "voicemail"}, headers=auth("account_manager"))
        assert again.status_code == 409 and again.json()["field"] == "outcome"

        def call_ids(bodies: list[dict]) -> set[str]:
            return {c["call_id"] for c in about(bodies, order_id, "courtesy_call.scheduled.v1")}

        # --- what was published: sends with trigger and send times and costs, calls scheduled and completed
        def settled(events: list) -> bool:
            bodies = notifications_topic.events()
            return (
                len(about(bodies, order_id, "notification.sent.v1")) == 4
                and about(bodies, order_id, "courtesy_call.completed.v1")
                and len(call_ids(bodies)) == 2
            )

        await notifications_topic.wait_until(settled, timeout_s=30)
        sent = about(notifications_topic.events(), order_id, "notification.sent.v1")
        assert sorted((s["milestone"], s["channel"]) for s in sent) == [
            ("order_confirmed", "email"), ("order_confirmed", "sms"), ("shipped", "email"), ("shipped", "sms")
        ]
        assert all(s["trigger_time"] <= s["sent_at"] and s["customer_id"] == customer_id for s in sent)
        assert {s["channel"]: s["unit_cost"] for s in sent} == {"email": "0.001", "sms": "0.05"}

        history = await client.get(f"/v1/orders/{order_id}/notifications", headers=auth("support"))
        assert history.status_code == 200
        lines = [(i["milestone"], i["channel"], i["status"]) for i in history.json()["items"]]
        assert lines.count(("shipped", "email", "sent")) == 2  # the digest covers both parcels' rows
        digest_email = [i for i in history.json()["items"] if (i["milestone"], i["channel"]) == ("shipped", "email")]
        carried = [i for i in digest_email if i.get("merged_into")]  # the second parcel's row names the message that told it
        assert len(carried) == 1 and carried[0]["merged_into"] in {s["notification_id"] for s in sent}
        assert ("order_confirmed", "call", "sent") in lines and ("shipped", "call", "pending") in lines
        assert (await client.get(f"/v1/orders/{order_id}/notifications", headers=auth("storefront"))).status_code == 403

        # --- replay everything, even with the dedup record gone, and one new event for a parcel already told
        emails_before, sms_before = smtp_sink.received, len(sms_receiver.accepted)
        await database("DELETE FROM processed_events")
        for topic, envelope in world.published:
            await world.send(topic, envelope)
        first_dispatch = world.published[3][1]  # parcel a, announced again under a new event id
        await world.publish("shipment.dispatched.v1", order_id, first_dispatch.data)
        await notifications_topic.wait_until(
            lambda _: any(s["reason"] == "duplicate" for s in about(notifications_topic.events(), order_id, "notification.suppressed.v1"))
        )
        await notifications_topic.settle(quiet_s=2.0)
        assert smtp_sink.received == emails_before and len(sms_receiver.accepted) == sms_before
        assert len(about(notifications_topic.events(), order_id, "notification.sent.v1")) == 4
        assert len(call_ids(notifications_topic.events())) == 2


async def test_preferences_are_checked_field_by_field_and_only_for_storefronts_and_support(infrastructure, clean_schema):
    app = build_app(notify_settings(infrastructure))  # routes only: no consumer group to join
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        url = "/v1/customers/cus-pref-1/preferences"
        unknown = await client.put(url, json={"channels": {"pager": True}}, headers=auth("support"))
        assert unknown.status_code == 422 and unknown.json()["field"] == "channels.pager"
        bad_time = await client.put(url, json={"channels": {}, "quiet_hours": {"start": "10pm", "end": "07:00"}}, headers=auth("storefront"))
        assert bad_time.status_code == 422 and bad_time.json()["field"] == "quiet_hours.start"
        assert (await client.put(url, json={"channels": {"sms": False}}, headers=auth("warehouse"))).status_code == 403
        saved = await client.put(
            url, json={"channels": {"sms": False, "webhook": True}, "quiet_hours": {"start": "22:00", "end": "07:00"}, "locale": "de"},
            headers=auth("storefront"),
        )
        assert saved.status_code == 200
        assert saved.json() == {
            "customer_id": "cus-pref-1", "channels": {"email": True, "sms": False, "webhook": True},
            "quiet_hours": {"start": "22:00", "end": "07:00"}, "locale": "de",
        }
        kept = await client.put(url, json={"channels": {"email": False}}, headers=auth("support"))
        assert kept.json()["quiet_hours"] == {"start": "22:00", "end": "07:00"} and kept.json()["channels"]["sms"] is False
        unknown_order = await client.get("/v1/orders/ord-nobody/notifications", headers=auth("support"))
        assert unknown_order.status_code == 404 and unknown_order.headers["content-type"] == "application/problem+json"
    await app.state.platform.stop()
