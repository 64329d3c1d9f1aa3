from datetime import UTC, datetime, timedelta

import pytest
from feedback_svc.domain.errors import (
    CommentTooLong,
    InvalidRating,
    InvalidTime,
    SurveyAlreadyAnswered,
    SurveyExpired,
    SurveyNotFound,
)
from feedback_svc.domain.orders import Completion, survey_due
from feedback_svc.domain.surveys import Answer, Survey

DELIVERED = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def requested_survey(now=DELIVERED + HOUR) -> Survey:
    survey = Survey("srv_1", "ord_1", delivered_at=DELIVERED, due_at=DELIVERED + HOUR)
    survey.request(customer_id="cus_1", survey_url="https://f/surveys/t", now=now, expires_at=now + timedelta(days=14))
    return survey


def test_a_delivered_order_is_surveyed_the_delay_after_its_delivery():
    completion = Completion("ord_1", DELIVERED, units_delivered=3, closed_short=False)
    assert survey_due(completion, delay=HOUR) == DELIVERED + HOUR
    assert survey_due(completion, delay=timedelta(0)) == DELIVERED


def test_an_order_closed_short_with_nothing_delivered_gets_no_survey_but_a_partial_one_does():
    assert survey_due(Completion("ord_1", None, units_delivered=0, closed_short=True), delay=HOUR) is None
    partial = Completion("ord_1", DELIVERED, units_delivered=1, closed_short=True)
    assert survey_due(partial, delay=HOUR) == DELIVERED + HOUR


def test_the_request_is_dated_at_the_due_time_but_expires_from_when_it_was_sent():
    backfilled = Survey("srv_1", "ord_1", delivered_at=DELIVERED, due_at=DELIVERED + HOUR)
    sent_at = DELIVERED + timedelta(days=30)
    event = backfilled.request(customer_id="cus_1", survey_url="u", now=sent_at, expires_at=sent_at + timedelta(days=14))
    assert event.occurred_at == DELIVERED + HOUR
    assert event.expires_at == sent_at + timedelta(days=14)
    assert event.to_data()["expires_at"] == "2027-01-03T14:00:00.000Z"


def test_an_answer_carries_every_rating_given():
    survey = requested_survey()
    answer = Answer.of(csat=4, nps=9, aspects={"accuracy": 5, "timeliness": 3}, comment="  Quick, thanks! ")
    event = survey.answer(answer, at=DELIVERED + 2 * HOUR, now=DELIVERED + 2 * HOUR)
    assert event.to_data() == {
        "survey_id": "srv_1",
        "order_id": "ord_1",
        "customer_id": "cus_1",
        "csat": 4,
        "nps": 9,
        "aspects": {"accuracy": 5, "timeliness": 3},
        "comment": "Quick, thanks!",
    }


def test_optional_parts_left_out_are_not_sent_as_null():
    event = requested_survey().answer(Answer.of(csat=2), at=DELIVERED + 2 * HOUR, now=DELIVERED + 2 * HOUR)
    assert event.to_data() == {"survey_id": "srv_1", "order_id": "ord_1", "customer_id": "cus_1", "csat": 2}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"csat": 6}, "csat"),
        ({"csat": 0}, "csat"),
        ({"csat": True}, "csat"),
        ({"csat": None}, "csat"),
        ({"csat": 3, "nps": 11}, "nps"),
        ({"csat": 3, "aspects": {"accuracy": 0}}, "aspects.accuracy"),
        ({"csat": 3, "aspects": {"speed": 4}}, "aspects"),
    ],
)
def test_a_rating_out_of_range_is_refused_naming_the_field(kwargs, field):
    with pytest.raises(InvalidRating) as refused:
        Answer.of(**kwargs)
    assert refused.value.field == field


def test_a_comment_over_2000_characters_is_refused_and_one_of_2000_is_kept():
    with pytest.raises(CommentTooLong) as refused:
        Answer.of(csat=3, comment="x" * 2001)
    assert refused.value.field == "comment"
    assert Answer.of(csat=3, comment="x" * 2000).comment == "x" * 2000


def test_a_survey_takes_one_answer():
    survey = requested_survey()
    survey.answer(Answer.of(csat=5), at=DELIVERED + 2 * HOUR, now=DELIVERED + 2 * HOUR)
    with pytest.raises(SurveyAlreadyAnswered):
        survey.answer(Answer.of(csat=1), at=DELIVERED + 3 * HOUR, now=DELIVERED + 3 * HOUR)


def test_an_expired_survey_is_gone_and_says_so_to_support():
    survey = requested_survey()
    later = DELIVERED + HOUR + timedelta(days=14)
    assert survey.public_status(later - timedelta(seconds=1)) == "requested"
    assert survey.public_status(later) == "expired"
    with pytest.raises(SurveyExpired):
        survey.answer(Answer.of(csat=5), at=later, now=later)


def test_a_survey_not_yet_sent_or_withdrawn_cannot_be_answered():
    scheduled = Survey("srv_1", "ord_1", delivered_at=DELIVERED, due_at=DELIVERED + HOUR)
    with pytest.raises(SurveyNotFound):
        scheduled.answer(Answer.of(csat=5), at=DELIVERED, now=DELIVERED)
    assert scheduled.withdraw() and scheduled.status == "withdrawn"
    assert not requested_survey().withdraw()


def test_an_imported_answer_cannot_predate_the_delivery():
    with pytest.raises(InvalidTime) as refused:
        requested_survey().answer(Answer.of(csat=5), at=DELIVERED - HOUR, now=DELIVERED + 2 * HOUR)
    assert refused.value.field == "occurred_at"
