"""Answering a survey, showing its page, and listing an order's surveys for support."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedback_svc.domain.errors import SurveyAlreadyAnswered, SurveyExpired, SurveyNotFound
from feedback_svc.domain.locales import choose_language
from feedback_svc.domain.surveys import ANSWERED, REQUESTED, Survey
from feedback_svc.domain.values import event_time
from feedback_svc.service_layer.commands import AnswerSurvey
from feedback_svc.service_layer.context import ServiceContext
from feedback_svc.service_layer.ports import FeedbackUnitOfWork
from feedback_svc.service_layer.runner import Reply
from feedback_svc.service_layer.views import survey_view


@dataclass(frozen=True)
class SurveyPage:
    """What the survey page shows: the order it is about (and nothing of anyone else's)."""

    survey_id: str
    order_id: str
    language: str
    expires_at: datetime | None


async def _survey_behind(ctx: ServiceContext, uow: FeedbackUnitOfWork, token: str, *, lock: bool) -> Survey:
    now = ctx.clock()
    survey_id = ctx.links.survey_id(token, now=now)
    survey = await uow.surveys.get(survey_id, lock=lock)
    if survey is None:
        raise SurveyNotFound("no survey is waiting behind this link")
    return survey


async def language_for(ctx: ServiceContext, uow: FeedbackUnitOfWork, token: str, accept_language: str | None) -> str:
    """The language of a page about this token, even an error page: the customer's if the token
    names a survey, else the browser's."""
    try:
        survey_id = ctx.links.survey_id(token, now=ctx.clock())
    except (SurveyNotFound, SurveyExpired):
        survey_id = None
    survey = await uow.surveys.get(survey_id) if survey_id else None
    locale = await uow.orders.locale_of(survey.customer_id) if survey and survey.customer_id else None
    return choose_language(locale, accept_language)


async def survey_page(ctx: ServiceContext, uow: FeedbackUnitOfWork, token: str, accept_language: str | None) -> SurveyPage:
    survey = await _survey_behind(ctx, uow, token, lock=False)
    if survey.status == ANSWERED:
        raise SurveyAlreadyAnswered("this survey has already been answered; thank you")
    if survey.status != REQUESTED or survey.customer_id is None:
        raise SurveyNotFound("no survey is waiting behind this link")
    if survey.public_status(ctx.clock()) == "expired":
        raise SurveyExpired("this survey link has expired")
    locale = await uow.orders.locale_of(survey.customer_id)
    return SurveyPage(survey.survey_id, survey.order_id, choose_language(locale, accept_language), survey.expires_at)


async def answer_survey(ctx: ServiceContext, uow: FeedbackUnitOfWork, command: AnswerSurvey) -> Reply:
    now = ctx.clock()
    survey = await _survey_behind(ctx, uow, command.token, lock=True)
    at = event_time(command.occurred_at, now=now)
    event = survey.answer(command.answer, at=at, now=now)
    await uow.surveys.save(survey)
    uow.record([event])
    csat = command.answer.csat
    return Reply(201, survey_view(survey, now), after_commit=(lambda: ctx.observer.survey_answered(csat),))


async def surveys_of_order(ctx: ServiceContext, uow: FeedbackUnitOfWork, order_id: str) -> list[dict[str, Any]]:
    """The order's survey once its link is out (a scheduled one has no link to resend yet)."""
    survey = await uow.surveys.get_by_order(order_id)
    if survey is None or survey.survey_url is None:
        return []
    return [survey_view(survey, ctx.clock())]
