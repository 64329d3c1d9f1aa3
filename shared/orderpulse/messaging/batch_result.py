"""What a consumer did with one batch: counts per outcome, and the records it dead-lettered."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from orderpulse.messaging.dead_letters import DeadLetter


@dataclass
class BatchResult:
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered: list[DeadLetter] = field(default_factory=list)
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # records per (topic, outcome)

    def count(self, topic: str, outcome: str, records: int = 1) -> None:
        self.outcomes[(topic, outcome)] += records
        if outcome == "applied":
            self.applied += records
        elif outcome == "duplicate":
            self.duplicates += records
        elif outcome == "ignored":
            self.ignored += records

    def count_applied(self, topics: Iterable[str]) -> None:
        """One record applied per topic given (a batch handler's records: counted at once, not a call each)."""
        for topic, records in Counter(topics).items():
            self.count(topic, "applied", records)
