"""Rendering the survey pages (Jinja2, autoescaped) and reading the page's form.

The pages work without JavaScript, label every control, and never let the link leak: no
referrer leaves the page, nothing is cached, and the page cannot be framed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from feedback_svc.domain.errors import CommentTooLong, FeedbackError, InvalidInput
from feedback_svc.domain.surveys import ASPECTS, MAX_COMMENT_CHARS, Answer
from feedback_svc.entrypoints.page_copy import COPY

FORM_FIELDS = ("csat", "nps", *ASPECTS, "comment")
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
# what each kind of refusal is called on a page, by the error's code
MESSAGE_OF_CODE = {
    "survey_already_answered": "answered",
    "survey_expired": "expired",
    "survey_not_found": "not_found",
}


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=PackageLoader("feedback_svc", "templates"), autoescape=select_autoescape(["html"]))


def render(template: str, language: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = environment().get_template(template).render(lang=language, t=COPY[language], **context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def survey_form(language: str, *, token: str, order_id: str, values: dict[str, str], errors: dict[str, str], status_code: int = 200) -> HTMLResponse:
    return render(
        "survey.html",
        language,
        status_code=status_code,
        token=token,
        order_id=order_id,
        values=values,
        errors=errors,
        aspects=ASPECTS,
        max_comment=MAX_COMMENT_CHARS,
    )


def message_page(language: str, kind: str, *, status_code: int, order_id: str = "") -> HTMLResponse:
    words = COPY[language]
    return render(
        "message.html",
        language,
        status_code=status_code,
        heading=words[f"{kind}_title"],
        text=words[f"{kind}_text"].format(order_id=order_id),
    )


def refusal_page(language: str, error: FeedbackError, status_code: int) -> HTMLResponse:
    return message_page(language, MESSAGE_OF_CODE.get(error.code, "not_found"), status_code=status_code)


class FormProblem(InvalidInput):
    """A form value that is not a number where one is expected."""

    code = "invalid_form"


def _whole_number(text: str, *, field: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 3:
        raise FormProblem(f"{field} must be a whole number", field=field)
    return int(text)


def answer_from_form(values: dict[str, str]) -> Answer:
    """The page's fields as an `Answer`; raises `InvalidInput` naming the field."""
    aspects = {name: _whole_number(values.get(name, ""), field=f"aspects.{name}") for name in ASPECTS}
    comment = values.get("comment", "")
    return Answer.of(
        csat=_whole_number(values.get("csat", ""), field="csat"),
        nps=_whole_number(values.get("nps", ""), field="nps"),
        aspects={name: score for name, score in aspects.items() if score is not None} or None,
        comment=comment if comment.strip() else None,
    )


def form_errors(language: str, error: InvalidInput) -> dict[str, str]:
    """One message per part of the form, in the page's language."""
    words = COPY[language]
    field = (error.field or "").split(".", 1)[0]
    if field == "csat":
        return {"csat": words["error_csat"]}
    if field == "nps":
        return {"nps": words["error_nps"]}
    if field == "aspects":
        return {"aspects": words["error_aspects"]}
    if field == "comment" or isinstance(error, CommentTooLong):
        return {"comment": words["error_comment"]}
    return {"csat": words["error_input"]}
