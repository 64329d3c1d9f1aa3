"""Providers that fail: retries with backoff, then a final `notification.failed`; a provider that
recovers gets the message exactly once; one failing channel never holds back the others."""

from __future__ import annotations

from notify_stack import notify_settings
from notify_svc.bootstrap import build_app
from orderpulse.stack.processes import free_port
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import auth, running_app


def of_order(events: list[dict], order_id: str, suffix: str) -> list[dict]:
    return [e["data"] for e in events if e["type"].endswith(suffix) and e["data"]["order_id"] == order_id]


async def test_an_smtp_server_that_is_down_means_retries_then_a_final_failure_while_a_flaky_sms_provider_gets_one_message(
    infrastructure, clean_schema, smtp_sink, sms_receiver, world, notifications_topic
):
    nobody_listens = free_port()
    settings = notify_settings(
        infrastructure,
        smtp_port=nobody_listens,
        sms_url=f"{sms_receiver.url}/sms",
        retry_max_attempts={"email": 3, "sms": 3, "webhook": 3},
        digest_window_s=0,
    )
    sms_receiver.fail_next = 1
    async with running_app(build_app(settings)) as client:
        customer_id = await world.customer("bob", "standard")

        def failed_finally(milestone: str):
            def check(_records) -> bool:
                failures = of_order(notifications_topic.events(), order_id, "notification.failed.v1")
                return any(f["milestone"] == milestone and f["final"] for f in failures)

            return check

        order_id = await world.place_and_confirm("ord", customer_id, "standard")
        await notifications_topic.wait_until(failed_finally("order_confirmed"))
        shipment_id = await world.dispatch(order_id, "shp")
        await notifications_topic.wait_until(failed_finally("shipped"))
        await world.scan(order_id, shipment_id, "out_for_delivery")
        await notifications_topic.wait_until(failed_finally("out_for_delivery"))
        await notifications_topic.wait_until(lambda _: of_order(notifications_topic.events(), order_id, "notification.sent.v1"))
        # the refused first SMS attempt is its own event, read in its own time (seen late under load)
        await notifications_topic.wait_until(lambda _: any(
            f["channel"] == "sms" and not f["final"]
            for f in of_order(notifications_topic.events(), order_id, "notification.failed.v1")))
        bodies = notifications_topic.events()
        failures = of_order(bodies, order_id, "notification.failed.v1")
        final = sorted((f["milestone"], f["channel"], f["attempts"]) for f in failures if f["final"])
        assert final == [("order_confirmed", "email", 3), ("out_for_delivery", "email", 3), ("shipped", "email", 3)]
        # refused at once, or (on a loaded machine) timed out while connecting: either way about connecting
        assert all("connect" in f["error"].lower() or "refused" in f["error"].lower() for f in failures if f["channel"] == "email")
        [sent] = of_order(bodies, order_id, "notification.sent.v1")
        assert (sent["milestone"], sent["channel"]) == ("out_for_delivery", "sms")
        assert any(f["channel"] == "sms" and not f["final"] and f["attempts"] == 1 for f in failures)

        assert smtp_sink.received == 0
        await eventually(lambda: len(sms_receiver.accepted) == 1)
        assert sms_receiver.refused == 1

        history = (await client.get(f"/v1/orders/{order_id}/notifications", headers=auth("support"))).json()["items"]
        statuses = {(i["milestone"], i["channel"]): i["status"] for i in history}
        assert statuses == {
            ("order_confirmed", "email"): "failed",
            ("shipped", "email"): "failed",
            ("out_for_delivery", "email"): "failed",
            ("out_for_delivery", "sms"): "sent",
        }
        metrics = (await client.get("/metrics")).text
        assert 'orderpulse_notifications_failed_total{channel="email",final="true"}' in metrics
        assert 'orderpulse_notification_retries_total{channel="sms"}' in metrics
