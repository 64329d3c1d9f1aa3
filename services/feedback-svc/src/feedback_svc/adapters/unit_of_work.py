"""The PostgreSQL unit of work: the shared transaction-with-outbox plus this service's repositories."""

from __future__ import annotations

from collections.abc import Iterable

from orderpulse.unit_of_work import ServiceUnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

from feedback_svc.adapters.idempotency import SqlIdempotencyKeys
from feedback_svc.adapters.issue_repository import SqlIssueRepository
from feedback_svc.adapters.order_book import SqlOrderBook
from feedback_svc.adapters.survey_repository import SqlSurveyRepository
from feedback_svc.domain.events import DomainEvent
from feedback_svc.service_layer.ports import TransientConflict


class SqlUnitOfWork(ServiceUnitOfWork):
    source = "/feedback-svc"
    transient_error = TransientConflict

    def _attach(self, session: AsyncSession) -> None:
        self.orders = SqlOrderBook(session)
        self.surveys = SqlSurveyRepository(session)
        self.issues = SqlIssueRepository(session)
        self.idempotency = SqlIdempotencyKeys(session)

    def record(self, events: Iterable[DomainEvent]) -> None:
        for event in events:
            self._stage(event.type, event.key, event.to_data(), event.occurred_at)
