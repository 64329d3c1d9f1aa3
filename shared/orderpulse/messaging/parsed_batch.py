"""A fetched batch read into envelopes, its poison records set aside for the DLQ.

Parsing is pure (`dead_letters.parse_record`: the JSON, the envelope, the event's data against
its schema), so it need not wait for the batch before it: `parse_stepwise` reads a few records
at a time and lets the event loop run in between, so that the next batch is parsed while the
consumer waits for PostgreSQL's answers to the batch in hand (`read_ahead`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from orderpulse.events.envelope import Envelope
from orderpulse.messaging.dead_letters import DeadLetter, PoisonRecord, parse_record

# records parsed between two turns of the event loop: ~0.3 ms of CPU, so an answer from
# PostgreSQL for the batch in hand waits at most that long for the consumer to take it up
PARSE_STEP = 25


@dataclass
class ParsedBatch:
    events: list[tuple[ConsumerRecord, Envelope]] = field(default_factory=list)
    poison: list[DeadLetter] = field(default_factory=list)

    def add(self, record: ConsumerRecord) -> None:
        try:
            self.events.append((record, parse_record(record)))
        except PoisonRecord as error:
            self.poison.append(DeadLetter(record, str(error), attempts=1))


def parse(batch: Mapping[TopicPartition, list[ConsumerRecord]]) -> ParsedBatch:
    parsed = ParsedBatch()
    for record in _records(batch.values()):
        parsed.add(record)
    return parsed


async def parse_stepwise(batch: Mapping[TopicPartition, list[ConsumerRecord]], step: int = PARSE_STEP) -> ParsedBatch:
    """`parse`, yielding to the event loop every `step` records."""
    parsed = ParsedBatch()
    for position, record in enumerate(_records(batch.values()), 1):
        parsed.add(record)
        if position % step == 0:
            await asyncio.sleep(0)
    return parsed


def _records(partitions: Iterable[list[ConsumerRecord]]) -> Iterable[ConsumerRecord]:
    for records in partitions:
        yield from records
