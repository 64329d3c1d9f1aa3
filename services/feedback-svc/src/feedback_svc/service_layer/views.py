"""How issues and surveys look to callers (JSON-ready dicts in the shapes of api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feedback_svc.domain.issues import Issue
from feedback_svc.domain.surveys import Survey
from feedback_svc.domain.values import format_time


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else format_time(moment)


def issue_view(issue: Issue, now: datetime) -> dict[str, Any]:
    return {
        "issue_id": issue.issue_id,
        "order_id": issue.order_id,
        "customer_id": issue.customer_id,
        "category": issue.category,
        "description": issue.description,
        "channel": issue.channel,
        "status": issue.status,
        "opened_at": format_time(issue.opened_at),
        "ack_due": format_time(issue.ack.due),
        "resolve_due": format_time(issue.resolve.due),
        "breached": issue.breached(now),
        "acknowledged_at": _time(issue.acknowledged_at),
        "resolved_at": _time(issue.resolved_at),
        "resolution": issue.resolution,
    }


def survey_view(survey: Survey, now: datetime) -> dict[str, Any]:
    return {
        "survey_id": survey.survey_id,
        "order_id": survey.order_id,
        "status": survey.public_status(now),
        "survey_url": survey.survey_url,
        "expires_at": _time(survey.expires_at),
        "requested_at": _time(survey.requested_at),
        "answered_at": _time(survey.answered_at),
    }
