"""Reading a service's dead letters and replaying them onto their original topic once fixed.

A redriven record is the original bytes, key and CloudEvents headers, published again to the
topic it came from with an `orderpulse_redriven_from` header. Every consumer of that topic sees
it again: those that applied it skip it as a duplicate, and the service that dead-lettered it
applies it, because a dead-lettered event's id is never recorded as processed. Redriving the
same letter twice is therefore harmless.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from orderpulse.events.topics import dlq_topic
from orderpulse.messaging.kafka import OutgoingRecord, Publisher

KEPT_HEADERS = ("content-type", "ce_type", "ce_id", "traceparent")


@dataclass(frozen=True)
class DeadLetterView:
    """One record of `orderpulse.dlq.<service>` as an operator sees it."""

    partition: int
    offset: int
    key: str
    value: bytes
    headers: dict[str, str]
    raw_headers: tuple[tuple[str, bytes], ...]

    @property
    def letter_id(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def error(self) -> str:
        return self.headers.get("orderpulse_error", "")

    @property
    def original_topic(self) -> str:
        return self.headers.get("orderpulse_original_topic", "")

    @property
    def truncated(self) -> bool:
        return "orderpulse_original_size" in self.headers

    def summary(self) -> str:
        where = (f"{self.original_topic}[{self.headers.get('orderpulse_original_partition', '?')}]"
                 f"@{self.headers.get('orderpulse_original_offset', '?')}")
        kind = self.headers.get("ce_type", "?")
        return f"{self.letter_id:<10} {self.headers.get('orderpulse_failed_at', '?'):<33} {where:<36} {kind:<40} {self.error[:120]}"


def _view(record) -> DeadLetterView:
    raw = tuple((name, bytes(value)) for name, value in (record.headers or ()))
    return DeadLetterView(
        partition=record.partition,
        offset=record.offset,
        key=record.key.decode(errors="replace") if record.key else "",
        value=record.value or b"",
        headers={name: value.decode(errors="replace") for name, value in raw},
        raw_headers=raw,
    )


async def read_dead_letters(bootstrap: str, service: str, *, quiet_s: float = 1.0, timeout_s: float = 60.0) -> list[DeadLetterView]:
    """Every dead letter of `service`, oldest first per partition: read until nothing new comes for `quiet_s`.

    (Tansu's "latest" offsets are not the end of a partition, so reading to them would stop early.)
    """
    topic = dlq_topic(service)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    letters: list[DeadLetterView] = []
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - topic made after our start
            partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            return []
        consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
        await consumer.seek_to_beginning()
        deadline = asyncio.get_running_loop().time() + timeout_s
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=int(quiet_s * 1000))
            if not batch:
                break
            for records in batch.values():
                letters.extend(_view(record) for record in records)
    finally:
        await consumer.stop()
    return sorted(letters, key=lambda letter: (letter.partition, letter.offset))


def select(letters: Sequence[DeadLetterView], ids: Iterable[str]) -> list[DeadLetterView]:
    """The letters named `partition:offset`; KeyError naming the first unknown one."""
    by_id = {letter.letter_id: letter for letter in letters}
    chosen = []
    for letter_id in ids:
        if letter_id not in by_id:
            raise KeyError(letter_id)
        chosen.append(by_id[letter_id])
    return chosen


def redrive_record(letter: DeadLetterView, service: str) -> OutgoingRecord:
    if letter.truncated:
        raise ValueError(f"dead letter {letter.letter_id} was truncated on the DLQ (original "
                         f"{letter.headers['orderpulse_original_size']} bytes); it cannot be replayed")
    if not letter.original_topic:
        raise ValueError(f"dead letter {letter.letter_id} does not say which topic it came from")
    headers = [(name, value) for name, value in letter.raw_headers if name in KEPT_HEADERS]
    headers.append(("orderpulse_redriven_from", f"{dlq_topic(service)}:{letter.letter_id}".encode()))
    return OutgoingRecord(topic=letter.original_topic, key=letter.key, value=letter.value, headers=tuple(headers))


async def redrive(publisher: Publisher, letters: Sequence[DeadLetterView], service: str) -> int:
    """Publish the letters back to their original topics, in DLQ order; returns how many."""
    records = [redrive_record(letter, service) for letter in letters]
    if records:
        await publisher.publish(records)
    return len(records)
