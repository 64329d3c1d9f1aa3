"""What a consumer did with one batch: counts per outcome, and the records it dead-lettered."""

from __future__ import annotations

from dataclasses import dataclass, field

from orderpulse.messaging.dead_letters import DeadLetter


@dataclass
class BatchResult:
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered: list[DeadLetter] = field(default_factory=list)
    outcomes: list[tuple[str, str]] = field(default_factory=list)

    def count(self, topic: str, outcome: str) -> None:
        self.outcomes.append((topic, outcome))
        if outcome == "applied":
            self.applied += 1
        elif outcome == "duplicate":
            self.duplicates += 1
        elif outcome == "ignored":
            self.ignored += 1
