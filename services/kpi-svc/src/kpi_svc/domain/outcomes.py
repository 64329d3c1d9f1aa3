"""What KpiEngine.apply did with an event (the wiring counts them per topic)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Applied:
    """`applied`, `duplicate`, `ignored` (a type no KPI reads) or `evicted` (an order whose
    facts were already dropped: its claim window had closed)."""

    outcome: str

    @property
    def duplicate(self) -> bool:
        return self.outcome == "duplicate"


APPLIED, DUPLICATE, IGNORED, EVICTED = Applied("applied"), Applied("duplicate"), Applied("ignored"), Applied("evicted")
