"""The survey API: a client's JSON answer, and support's list of an order's surveys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from orderpulse.http.auth import Principal, require_roles
from orderpulse.http.problems import Problem

from feedback_svc.domain.surveys import Answer
from feedback_svc.entrypoints.dependencies import ContextDep, optional_principal, problems, respond
from feedback_svc.entrypoints.schemas import ID_PATTERN, SurveyAnswerRequest, SurveyList, SurveyOut
from feedback_svc.service_layer import surveys
from feedback_svc.service_layer.commands import AnswerSurvey
from feedback_svc.service_layer.runner import run_command, run_query

router = APIRouter(tags=["surveys"])

TRUSTED_IMPORTERS = ("support", "admin")
Token = Annotated[str, Path(min_length=1, max_length=2048, description="the token of the survey link")]


@router.post("/v1/surveys/{token}/responses", response_model=SurveyOut, status_code=201, responses=problems(401, 403, 404, 409, 410, 422))
async def answer(token: Token, body: SurveyAnswerRequest, ctx: ContextDep, principal: Annotated[Principal | None, Depends(optional_principal)]):
    """Answer a survey (the link's token is the customer's credential). One answer per survey:
    a second is 409; an expired link 410; an unknown or forged one 404. `occurred_at` dates an
    imported answer and needs a support key."""
    if body.occurred_at is not None and (principal is None or principal.role not in TRUSTED_IMPORTERS):
        raise Problem(
            403, "occurred-at-needs-trusted-importer", "Only trusted importers may date an answer",
            "Leave out `occurred_at`, or send it with a support key.", field="occurred_at",
        )
    aspects = body.aspects.model_dump(exclude_none=True) if body.aspects else None
    command = AnswerSurvey(token, Answer.of(body.csat, body.nps, aspects, body.comment), body.occurred_at)
    return respond(await run_command(ctx, lambda uow: surveys.answer_survey(ctx, uow, command)))


@router.get("/v1/surveys", response_model=SurveyList, responses=problems(401, 403, 422))
async def surveys_of_order(
    principal: Annotated[Principal, Depends(require_roles("support"))],
    ctx: ContextDep,
    order_id: Annotated[str, Query(min_length=1, max_length=200, pattern=ID_PATTERN, description="the order")],
):
    """The order's survey once its link is out: status, link and expiry, to resend it."""
    return {"items": await run_query(ctx, lambda uow: surveys.surveys_of_order(ctx, uow, order_id))}
