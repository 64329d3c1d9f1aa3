"""Several kpi-svc replicas: checkpoints of a stale owner are refused, a rebalance in the middle
of the stream keeps the figures exact, and every replica answers every order's scorecard."""

from __future__ import annotations

import pytest
from kpi_stories import all_events, stories
from kpi_svc.adapters.checkpoint_store import CheckpointStore, Fenced, StoredOffset
from kpi_svc.bootstrap import build_app
from kpi_svc.domain import CheckpointDelta
from orderpulse.db.direct import DirectConnections
from orderpulse.testing.polling import eventually
from orderpulse.testing.service import auth, running_app
from test_kpi_stream import expected, until_figures  # noqa: I001


def split_between(one, two) -> bool:
    """Both replicas own partitions, and none is owned by both."""
    mine, theirs = set(one.state.stream.engines), set(two.state.stream.engines)
    return bool(mine and theirs and not mine & theirs)


def delta(order_payload: bytes) -> CheckpointDelta:
    return CheckpointDelta({"ord-x": order_payload}, [], {}, [], {"format": 1})


async def test_a_stale_owner_cannot_checkpoint_after_another_replica_restored_the_partition(settings):
    connections = DirectConnections(settings.database_url, schema="kpi_svc", size=2)
    stale, fresh = CheckpointStore(connections), CheckpointStore(connections)
    try:
        stale_epoch, _ = await stale.claim(0)
        await stale.save({0: delta(b'"first"')}, {("orders", 0): StoredOffset(5, "evt-5")}, {0: stale_epoch})
        fresh_epoch, restored = await fresh.claim(0)  # a new owner: the stale one stalled past its session
        assert fresh_epoch > stale_epoch and restored.orders == {"ord-x": "first"}
        with pytest.raises(Fenced):
            await stale.save({0: delta(b'"stale"')}, {("orders", 0): StoredOffset(9, "evt-9")}, {0: stale_epoch})
        assert (await fresh.load(0)).orders == {"ord-x": "first"}
        assert (await fresh.offsets([("orders", 0)]))[("orders", 0)] == StoredOffset(5, "evt-5")
        await fresh.save({0: delta(b'"fresh"')}, {("orders", 0): StoredOffset(7, "evt-7")}, {0: fresh_epoch})
        assert await connections.fetchval("SELECT next_offset FROM kpi_offsets") == 7
    finally:
        await connections.close()


async def test_two_replicas_with_a_rebalance_in_the_middle_report_exact_figures_and_every_scorecard(settings, publish):
    told = stories("r2")
    names = list(told)
    first = [e for name in names[::2] for e in told[name]]
    second = [e for name in names[1::2] for e in told[name]]
    await publish(first)
    one, two = build_app(settings), build_app(settings)
    async with running_app(one) as first_client:
        await until_figures(first_client, expected(settings, first))
        async with running_app(two) as second_client:  # joins: the partitions are split between the two
            await publish(second)
            # the figures can agree before the group has rebalanced (the first replica may read the
            # second half alone, and the second reports from its checkpoints): wait for the split
            await eventually(lambda: split_between(one, two), timeout_s=60)
            wanted = expected(settings, first + second)
            await until_figures(first_client, wanted)
            await until_figures(second_client, wanted)
            assert split_between(one, two)  # still: no partition owned twice once the figures agree
            for order_id in names:
                cards = [await client.get(f"/v1/orders/{order_id}/scorecard", headers=auth("support")) for client in (first_client, second_client)]
                assert [card.status_code for card in cards] == [200, 200], order_id
                assert cards[0].json()["components"] == cards[1].json()["components"]
    assert len(all_events(told)) == len(first) + len(second)
