"""The framework-free core of kpi-svc: KPI rules of kpis.md applied to parsed CloudEvents.

Standard library only. Entry points: KpiEngine (one per Kafka partition), KpiRules,
merge_reports / merge_failures (figures over several partitions), business-day helpers.
"""

from .buckets import BucketStore
from .business_days import add_business_days, promised_by_default, ship_deadline
from .checkpoint import CheckpointDelta, merge_deltas
from .codec import encode_tombstone
from .engine import KpiEngine
from .outcomes import APPLIED, DUPLICATE, EVICTED, IGNORED, Applied
from .partitions import merge_failures, merge_reports
from .rules import DEFAULT_TARGETS, GROUP_DIMENSIONS, KPI_NAMES, KpiRules
from .values import InvalidEvent

__all__ = [
    "APPLIED", "DUPLICATE", "EVICTED", "IGNORED", "Applied", "BucketStore", "CheckpointDelta",
    "DEFAULT_TARGETS", "GROUP_DIMENSIONS", "InvalidEvent", "KPI_NAMES", "KpiEngine", "KpiRules",
    "add_business_days", "encode_tombstone", "merge_deltas", "merge_failures", "merge_reports", "promised_by_default", "ship_deadline",
]
