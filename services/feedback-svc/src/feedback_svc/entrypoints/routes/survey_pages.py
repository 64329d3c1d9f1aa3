"""The survey as a person sees it: an HTML page with a form, posted back as a plain form.

Every outcome is a readable page in the customer's language: the thank-you page, the form
again with what to fix (422), already answered (409), expired (410), unknown or forged (404).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from feedback_svc.domain.errors import FeedbackError, InvalidInput
from feedback_svc.entrypoints.dependencies import ContextDep
from feedback_svc.entrypoints.errors import status_of
from feedback_svc.entrypoints.pages import (
    FORM_FIELDS,
    answer_from_form,
    form_errors,
    message_page,
    refusal_page,
    survey_form,
)
from feedback_svc.service_layer import surveys
from feedback_svc.service_layer.commands import AnswerSurvey
from feedback_svc.service_layer.ports import TransientConflict
from feedback_svc.service_layer.runner import run_command, run_query

router = APIRouter(tags=["survey pages"])

# no length limit here: any token that is not one of ours gets the readable 404 page, not a 422
Token = Annotated[str, Path(min_length=1, description="the token of the survey link")]
HTML = {"content": {"text/html": {}}}
PAGE_RESPONSES = {status: {"description": what, **HTML} for status, what in (
    (404, "unknown or forged link"), (409, "answered before"), (410, "expired link"), (422, "the form again, with what to fix"),
)}


async def _language(ctx, token: str, request: Request) -> str:
    accept = request.headers.get("accept-language")
    return await run_query(ctx, lambda uow: surveys.language_for(ctx, uow, token, accept))


@router.get("/surveys/{token}", response_class=HTMLResponse, responses=PAGE_RESPONSES)
async def survey_page(token: Token, request: Request, ctx: ContextDep):
    """The survey page: rate 1–5, optional NPS, aspects and comment; no JavaScript needed."""
    accept = request.headers.get("accept-language")
    try:
        page = await run_query(ctx, lambda uow: surveys.survey_page(ctx, uow, token, accept))
    except FeedbackError as error:
        return refusal_page(await _language(ctx, token, request), error, status_of(error))
    return survey_form(page.language, token=token, order_id=page.order_id, values={}, errors={})


@router.post("/surveys/{token}", response_class=HTMLResponse, responses=PAGE_RESPONSES)
async def survey_page_answer(token: Token, request: Request, ctx: ContextDep):
    """The page's own form (application/x-www-form-urlencoded) → a thank-you or error page."""
    form = await request.form(max_files=0, max_fields=len(FORM_FIELDS) + 5)
    values = {name: value for name in FORM_FIELDS if isinstance(value := form.get(name, ""), str)}
    accept = request.headers.get("accept-language")
    try:
        page = await run_query(ctx, lambda uow: surveys.survey_page(ctx, uow, token, accept))
    except FeedbackError as error:
        return refusal_page(await _language(ctx, token, request), error, status_of(error))
    try:
        command = AnswerSurvey(token, answer_from_form(values))
        await run_command(ctx, lambda uow: surveys.answer_survey(ctx, uow, command))
    except InvalidInput as error:
        errors = form_errors(page.language, error)
        return survey_form(page.language, token=token, order_id=page.order_id, values=values, errors=errors, status_code=422)
    except FeedbackError as error:  # answered or expired in the meantime
        return refusal_page(page.language, error, status_of(error))
    except TransientConflict:
        return message_page(page.language, "busy", status_code=503)
    return message_page(page.language, "thanks", status_code=200, order_id=page.order_id)
