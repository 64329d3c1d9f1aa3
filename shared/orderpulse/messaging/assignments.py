"""The consumer's rebalance listener: counts rebalances and rereads partitions whose group offset is ours."""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener

from orderpulse.messaging.rebuilt_partitions import CommitLedger

log = logging.getLogger(__name__)


class AssignmentChanges(ConsumerRebalanceListener):
    """Counts the consumer's rebalances, so a batch can tell whether its assignment still holds, and
    has each newly assigned partition whose group offset is still ours read from the record before
    it (see `rebuilt_partitions`)."""

    def __init__(self, consumer: AIOKafkaConsumer, ledger: CommitLedger) -> None:
        self._consumer = consumer
        self._ledger = ledger
        self.count = 0

    async def on_partitions_revoked(self, revoked) -> None:
        self.count += 1
        self._ledger.forget_checks(revoked)

    async def on_partitions_assigned(self, assigned) -> None:
        self.count += 1
        for tp in assigned:
            try:
                check_from = self._ledger.ours(tp, await self._consumer.committed(tp))
            except Exception as error:  # the broker cannot say now: the group's offset stands
                log.warning("could not read the committed offset", extra={"partition": str(tp), "error": repr(error)})
                continue
            if check_from is not None:
                self._consumer.seek(tp, check_from)
