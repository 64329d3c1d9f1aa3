"""What every handler is given: how to open a unit of work, the policy, survey links, a clock,
an id source, the due-work loop's nudge and the metrics observer.

`bootstrap.py` builds one `ServiceContext` with production defaults; tests pass their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from feedback_svc.domain.issues import SlaPolicy
from feedback_svc.domain.survey_links import SurveyLinks
from feedback_svc.service_layer.observer import Observer
from feedback_svc.service_layer.ports import FeedbackUnitOfWork


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """`srv_3f2c...`, `iss_...`: a prefix saying what it names, and 128 random bits."""
    return f"{prefix}_{uuid.uuid4().hex}"


def _no_nudge() -> None:
    return None


@dataclass(frozen=True)
class Policy:
    """Decisions the merchant configures (see `FeedbackSettings`)."""

    survey_delay: timedelta = timedelta(hours=1)
    survey_valid_for: timedelta = timedelta(days=14)
    sla: SlaPolicy = field(default_factory=SlaPolicy)
    due_batch_size: int = 200


@dataclass(frozen=True)
class ServiceContext:
    unit_of_work: Callable[[], FeedbackUnitOfWork]
    links: SurveyLinks
    policy: Policy = field(default_factory=Policy)
    clock: Callable[[], datetime] = utcnow
    new_id: Callable[[str], str] = new_id
    nudge: Callable[[], None] = _no_nudge
    observer: Observer = field(default_factory=Observer)
