"""What the service layer reports for metrics. The default observes nothing; `entrypoints/metrics.py`
subclasses it with Prometheus instruments, so the service layer never imports a metrics client."""

from __future__ import annotations

from datetime import timedelta

from feedback_svc.service_layer.ports import ClockCounts


class Observer:
    def surveys_requested(self, count: int) -> None:
        """Survey links sent out."""

    def survey_answered(self, csat: int) -> None:
        """An answer was recorded."""

    def issue_opened(self, category: str) -> None: ...

    def issue_acknowledged(self, category: str, after: timedelta) -> None:
        """Time from opening to acknowledgement (event time)."""

    def issue_resolved(self, category: str, after: timedelta) -> None:
        """Time from opening to resolution (event time)."""

    def breaches_published(self, clock: str, count: int) -> None: ...

    def open_issues(self, counts: ClockCounts) -> None:
        """Unresolved issues per (clock, state), refreshed by every pass of the due-work loop."""
