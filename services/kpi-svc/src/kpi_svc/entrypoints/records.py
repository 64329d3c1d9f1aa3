"""Applying fetched records to the partitions' engines (a mixin of KpiStream): the structural
check, the engine, dead letters for what cannot be applied, offsets and metrics per topic;
records of an order the engine already settled revive its facts from the store first (late
events revise the windows they belong to); the record stored with an offset is checked again
after a restore (a topic reset otherwise)."""

from __future__ import annotations

import logging
from datetime import datetime

import orjson
from aiokafka import TopicPartition
from orderpulse.events import EVENT_TYPES
from orderpulse.messaging.dead_letters import MAX_EVENT_BYTES, DeadLetter

from kpi_svc.adapters.checkpoint_store import StoredOffset
from kpi_svc.domain import APPLIED, DUPLICATE, EVICTED, InvalidEvent
from kpi_svc.entrypoints import metrics

log = logging.getLogger(__name__)

KNOWN_TYPES = frozenset(EVENT_TYPES)
_REQUIRED = ("id", "type", "time", "data")
_loads = orjson.loads
_JSONError = orjson.JSONDecodeError


def poison_reason(event: object) -> str | None:
    """The cheap structural check before an event reaches an engine."""
    if type(event) is not dict:
        return "not a JSON object"
    if "id" in event and "type" in event and "time" in event and "data" in event:
        if event["type"] in KNOWN_TYPES:
            return None
        return f"unknown event type {event['type']!r}"
    for name in _REQUIRED:
        if name not in event:
            return f"not a CloudEvent: {name} missing"
    return None  # not reached


class RecordApplier:
    """Mixin of KpiStream: needs its consumer, store, engines, position maps and metric children."""

    async def _apply(self, batch: dict) -> None:
        letters: list[DeadLetter] = []
        engines, positions, loads, records_total = self.engines, self._positions, _loads, self._records
        for tp, records in batch.items():
            engine = engines.get(tp.partition)
            if engine is None or tp in self._unrestored:
                if tp in self.consumer.assignment():  # not restored yet: read these again afterwards
                    self.consumer.seek(tp, records[0].offset)
                continue
            expected = self._read_pos.get(tp)
            if expected is not None and records[0].offset < expected:
                high = self.consumer.highwater(tp)
                if high is not None and high < expected:  # out of range, read again from the earliest: a new log
                    self.topic_reset(tp, f"the log ends at offset {high}, before the stored position {expected}")
                else:  # fetched before the assignment's seek to the checkpointed offset: already in the state
                    records = [record for record in records if record.offset >= expected]
                    if not records:
                        continue
            if tp in self._verify:
                records = await self._verified(tp, records)
                if not records:
                    continue
            apply = engine.apply
            applied = duplicates = ignored = 0
            last_id = None
            late: list[tuple] = []
            for record in records:
                value = record.value
                last_id = None
                try:
                    if value is None or len(value) > MAX_EVENT_BYTES:
                        raise InvalidEvent(f"record value missing or larger than {MAX_EVENT_BYTES} bytes")
                    try:
                        event = loads(value)
                    except _JSONError as error:
                        raise InvalidEvent(f"value is not JSON: {error}") from None
                    reason = poison_reason(event)
                    if reason is not None:
                        raise InvalidEvent(reason)
                    outcome = apply(event)
                    if outcome is DUPLICATE:
                        duplicates += 1
                    elif outcome is EVICTED:
                        late.append((record, event))  # settled: revived below, then applied
                    elif outcome is not APPLIED:
                        ignored += 1
                    applied += 1
                    last_id = event["id"] if type(event["id"]) is str else None
                except InvalidEvent as error:
                    letters.append(DeadLetter(record, str(error), 1))
                except Exception as error:  # unforeseen: dead-lettered too, never retried forever
                    log.exception("kpi engine failed on a record; dead-lettering it", extra={"topic": tp.topic, "offset": record.offset})
                    letters.append(DeadLetter(record, f"unexpected {type(error).__name__}: {error}", 1))
            if late:
                again_duplicates, again_ignored = await self._apply_late(tp.partition, late, letters)
                duplicates += again_duplicates
                ignored += again_ignored
            last = records[-1]
            positions[tp] = StoredOffset(last.offset + 1, last_id)
            self._read_pos[tp] = last.offset + 1
            self._note_event_time(tp, last)
            label = self._label[tp.topic]
            metrics.events.labels(label).inc(applied)
            if duplicates:
                metrics.duplicates.labels(label).inc(duplicates)
                records_total[(tp.topic, "duplicate")].inc(duplicates)
            if ignored:
                records_total[(tp.topic, "ignored")].inc(ignored)
            records_total[(tp.topic, "applied")].inc(applied - duplicates - ignored)
            self.applied += applied
        if letters:
            self.dead_lettered += len(letters)
            for letter in letters:
                records_total[(letter.record.topic, "dead_lettered")].inc()
            if self._dead_letters is not None:
                await self._dead_letters.send(letters)

    async def _verified(self, tp: TopicPartition, records: list) -> list | None:
        """The records after the one stored with the offset, if it is still that record; else a topic reset."""
        offset, event_id = self._verify.pop(tp)
        first = records[0]
        if first.offset != offset:  # that record is gone (retention): nothing to compare with
            return records
        try:
            seen = _loads(first.value)["id"]
        except Exception:
            seen = None
        if seen == event_id:
            self._read_pos[tp] = offset + 1
            return records[1:]
        self.topic_reset(tp, f"the record at offset {offset} is {seen!r}, not the stored {event_id!r}")
        await self.consumer.seek_to_beginning(tp)
        return None

    def _note_event_time(self, tp: TopicPartition, record) -> None:
        try:
            moment = _loads(record.value)["time"]
            self._event_ms[tp] = round(datetime.fromisoformat(moment).timestamp() * 1000)
        except Exception:  # a poison record ends the batch: keep the previous time
            pass

    async def _apply_late(self, partition: int, late: list[tuple], letters: list[DeadLetter]) -> tuple[int, int]:
        """Events of orders this engine already settled: revive their stored facts (unless every
        such event is among them already: a replay) and apply the events again, in order.
        Returns (duplicates, ignored); a store failure fails the stream (restart, exact)."""
        engine = self.engines[partition]
        wanted: dict[str, set[str]] = {}
        for _, event in late:
            data = event["data"]
            key = (data.get("order_id") if type(data) is dict else None) or event.get("partitionkey")
            wanted.setdefault(key, set()).add(event["id"])
        held = self._unsaved.get(partition)  # settled by a checkpoint that has not been written yet
        settled = (held.settled or {}) if held else {}
        pending = {k: orjson.loads(settled[k][0]) for k in wanted if k in settled}  # encodes only these
        stored = await self.store.settled(wanted.keys() - pending.keys())
        for order_id, payload in {**stored, **pending}.items():
            engine.revive(order_id, payload, wanted[order_id])
        duplicates = ignored = 0
        for record, event in late:
            try:
                outcome = engine.apply(event)
            except InvalidEvent as error:
                letters.append(DeadLetter(record, str(error), 1))
                continue
            if outcome is DUPLICATE:
                duplicates += 1
            elif outcome is not APPLIED:
                ignored += 1
        return duplicates, ignored

