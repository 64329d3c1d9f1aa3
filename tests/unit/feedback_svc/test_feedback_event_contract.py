"""Every event feedback-svc writes matches the shared catalog (events.md), and the API's
category list is the catalog's."""

from datetime import UTC, datetime, timedelta
from typing import get_args

from feedback_svc.domain.events import (
    FeedbackReceived,
    IssueAcknowledged,
    IssueOpened,
    IssueResolved,
    IssueSlaBreached,
    SurveyRequested,
)
from feedback_svc.domain.issues import CATEGORIES
from feedback_svc.entrypoints.schemas import Category
from orderpulse.events import validate_data
from orderpulse.events.feedback import IssueOpened as CatalogIssueOpened

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_every_feedback_event_validates_against_the_catalog():
    events = [
        SurveyRequested(NOW, "srv_1", "ord_1", "cus_1", "https://f/surveys/t", NOW + timedelta(days=14)),
        FeedbackReceived(NOW, "srv_1", "ord_1", "cus_1", 5, 10, {"accuracy": 5}, "great"),
        FeedbackReceived(NOW, "srv_1", "ord_1", "cus_1", 1),
        IssueOpened(NOW, "iss_1", "ord_1", "cus_1", "billing", NOW, NOW),
        IssueAcknowledged(NOW, "iss_1", "ord_1", "support"),
        IssueResolved(NOW, "iss_1", "ord_1", "refunded", "support"),
        IssueSlaBreached(NOW, "iss_1", "ord_1", "ack", NOW),
    ]
    for event in events:
        validate_data(event.type, event.to_data())
        assert event.key == "ord_1"


def test_the_categories_are_the_catalogs():
    catalog = set(get_args(CatalogIssueOpened.model_fields["category"].annotation))
    assert set(CATEGORIES) == catalog == set(get_args(Category))
