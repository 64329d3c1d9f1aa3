"""Settled orders stay answerable: once an order left memory (its claim window closed), any
replica answers its scorecard from PostgreSQL, and a late event for it (a survey answer, an
issue, a notification) still counts in the window it belongs to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kpi_stories import OrderStory, all_events, scalar, stories
from kpi_svc.bootstrap import build_app
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import auth, running_app
from test_kpi_stream import expected, until_figures  # noqa: I001


async def settled_orders(settings) -> int:
    return await scalar(settings, "SELECT count(*) FROM kpi_settled")


async def test_settled_orders_answer_their_scorecard_on_any_replica_and_count_their_late_events(settings, publish):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    base = now - timedelta(days=20)  # delivered 17 days ago: past the 7-day claim window
    told = stories("s", base=base)
    events = all_events(told)
    await publish(events)
    async with running_app(build_app(settings)) as client:
        await until_figures(client, expected(settings, events))
        await eventually(lambda: _at_least(settings, 20))  # the delivered ones left memory
        late_order = OrderStory("ord-s-happy0", base)
        late = [
            late_order.feedback(now - timedelta(hours=2), csat=2, survey_id="srv-s-late"),
            late_order.issue_opened(now - timedelta(hours=3), category="damaged", issue_id="iss-s-late"),
            late_order.notification(now - timedelta(hours=1), now - timedelta(hours=1, minutes=20), milestone="issue_update"),
        ]
        await publish(late)
        wanted = expected(settings, events + late)
        assert wanted["7d"]["csat"] == (0, 1) and wanted["7d"]["notification_timeliness"] == (0, 1)
        await until_figures(client, wanted)
    other_replica = build_app(settings)
    async with running_app(other_replica) as client:
        await until_figures(client, wanted)
        card = await client.get("/v1/orders/ord-s-late/scorecard", headers=auth("account_manager"))
        assert card.status_code == 200 and card.json()["components"]["on_time"]["holds"] is False
        assert "ord-s-late" not in {o for engine in other_replica.state.stream.engines.values() for o in engine.orders}


async def _at_least(settings, count: int) -> bool:
    return await settled_orders(settings) >= count
