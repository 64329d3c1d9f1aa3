"""Whether kpi-svc's stream is working, and if not, why: every failure path of the stream ends
here, so it is visible three ways - `/readyz` answers 503 with the reason, the
`orderpulse_kpi_stream_up` gauge is 0 (and `orderpulse_kpi_stream_failures_total{stage}` counts
the failures), and a log line names the stage and the error. The stream keeps retrying; the
first success of the failing stage clears it."""

from __future__ import annotations

import logging

from kpi_svc.entrypoints import metrics

log = logging.getLogger(__name__)

STAGES = ("start", "restore", "checkpoint", "stream")


class StreamHealth:
    def __init__(self) -> None:
        self._failing: dict[str, str] = {}
        self._started = False
        metrics.stream_up.set(0)

    def started(self) -> None:
        """The consumer joined its group and got (possibly no) partitions."""
        self._started = True
        self._publish()

    def stopped(self) -> None:
        self._started = False
        self._publish()

    def failing(self, stage: str, error: BaseException | str, *, retry_in_s: float | None = None) -> None:
        reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        first = stage not in self._failing
        self._failing[stage] = reason
        metrics.stream_failures.labels(stage).inc()
        log.warning(
            "kpi stream %s failed (%s); applying nothing until it works again, retrying", stage, reason,
            extra={"stage": stage, "error": reason, "retry_in_s": retry_in_s, "first": first},
        )
        self._publish()

    def ok(self, *stages: str) -> None:
        recovered = [stage for stage in stages if self._failing.pop(stage, None) is not None]
        if recovered:
            log.info("kpi stream recovered", extra={"stages": recovered})
            self._publish()

    def reason(self) -> str | None:
        """None when working; otherwise why kpi-svc is not ready."""
        if self._failing:
            return "; ".join(f"{stage} failing: {reason}" for stage, reason in self._failing.items())
        if not self._started:
            return "starting: joining the consumer group and restoring the checkpoint"
        return None

    def _publish(self) -> None:
        metrics.stream_up.set(1 if self.reason() is None else 0)
