"""The customer's and support's side after the delivery: answering the survey (through the
survey page's HTML form, as a person would; a replayed history's answers through the JSON
route with their event time, which a form cannot carry), and support opening, acknowledging
and resolving issues."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from orderpulse.simulator import steps as s
from orderpulse.simulator.api import FEEDBACK
from orderpulse.simulator.clients import ApiError, format_time, parse_time
from orderpulse.simulator.survey_form import fill_in, read_form
from orderpulse.simulator.tally import IssueRecord, ms

if TYPE_CHECKING:
    from orderpulse.simulator.stories import StoryRun

SURVEY_PATIENCE = 60  # waits (about 1.5 minutes) for the survey link before the customer forgets about it
LIVE_SURVEY_PATIENCE = 25  # live (about 30 s): a stack with feedback-svc's default hour of delay sends none in time
DESCRIPTIONS = {"damaged": "The parcel arrived damaged; the customer sent photos.",
                "late": "The order arrived after the promised date.",
                "billing": "The customer was charged more than the order total."}


def _when(answer: dict, name: str, fallback_ms: int) -> int:
    """The service's own time of a fact where it says it (so windows cut where kpi-svc cuts)."""
    return ms(parse_time(answer[name])) if answer.get(name) else fallback_ms


async def answer_survey(run: StoryRun, step: s.AnswerSurvey) -> bool:
    record, desk = run.order(), run.desk
    if desk.feedback is None or record.completion() is None:
        return True  # no feedback-svc, or nothing arrived to be asked about
    surveys = [survey for survey in await desk.feedback.surveys(record.order_id) if survey.get("survey_url")]
    if not surveys:
        if run.waits >= (LIVE_SURVEY_PATIENCE if run.live else SURVEY_PATIENCE):
            desk.tally.count("survey link never came")
            return True
        return run.not_yet("feedback-svc to send the order's survey")
    survey = surveys[0]
    if survey["status"] != "requested":
        desk.tally.count(f"survey already {survey['status']}")
        return True
    path = urlsplit(survey["survey_url"]).path
    if run.live:
        answered_ms = await _answer_in_browser(run, step, path)
    else:
        body = {"csat": step.csat, "occurred_at": format_time(step.at)}
        if step.nps is not None:
            body["nps"] = step.nps
        if step.comment:
            body["comment"] = step.comment
        answer = await desk.feedback.import_answer(path.rstrip("/").rsplit("/", 1)[-1], body)
        answered_ms = _when(answer, "answered_at", ms(step.at))
    if answered_ms is not None:
        record.responses.append((answered_ms, step.csat))
        desk.tally.count("surveys answered")
        desk.tally.count("surveys answered on the page" if run.live else "survey answers imported")
    return True


async def _answer_in_browser(run: StoryRun, step: s.AnswerSurvey, path: str) -> int | None:
    """GET the page, read its form, post it url-encoded; the answer's time as feedback-svc recorded it."""
    transport, record = run.desk.feedback.t, run.order()
    page = await transport.browse("GET", FEEDBACK, path)
    form = read_form(page.text, path) if page.status_code == 200 else None
    if form is None:
        run.expect(False, "survey page without a form to post", page.status_code, 200)
        return None
    body = fill_in(form, step.csat, step.nps, step.comment)
    before = time.time()
    answer = await transport.browse("POST", FEEDBACK, urlsplit(form.action).path, form=body)
    after = time.time()
    if answer.status_code >= 400:
        run.expect(False, "survey form refused", answer.status_code, 200)
        return None
    for survey in await run.desk.feedback.surveys(record.order_id):
        if survey.get("answered_at"):
            return ms(parse_time(survey["answered_at"]))
    return int((before + after) / 2 * 1000)


async def open_issue(run: StoryRun, step: s.OpenIssue) -> bool:
    record, desk = run.order(), run.desk
    if desk.feedback is None or record.completion() is None:
        return True
    body = {"order_id": record.order_id, "category": step.category, "description": DESCRIPTIONS[step.category],
            "channel": step.channel, "occurred_at": format_time(step.at)}
    try:
        answer = await desk.feedback.open_issue(body, f"{run.key}-issue-{step.number}")
    except ApiError as error:
        unknown = "unknown-order" in error.kind  # feedback-svc has not consumed order.placed yet
        busy = error.status is None or error.status == 429 or error.status >= 500
        if (unknown or busy) and run.waits < SURVEY_PATIENCE:  # the Idempotency-Key makes trying again safe
            return run.not_yet("feedback-svc to hear of the order" if unknown else "feedback-svc to answer")
        desk.traffic.failed(error)
        raise
    issue = IssueRecord(answer["issue_id"], step.category, _when(answer, "opened_at", ms(step.at)),
                        ms(parse_time(answer["ack_due"])), ms(parse_time(answer["resolve_due"])))
    record.issues[issue.issue_id] = issue
    run.issue_ids[step.number] = issue.issue_id
    desk.tally.count(f"issues opened ({step.category})")
    return True


async def acknowledge_issue(run: StoryRun, step: s.AcknowledgeIssue) -> bool:
    record = run.order()
    issue_id = run.issue_ids.get(step.number)
    if issue_id is None:
        return True
    answer = await run.desk.feedback.acknowledge(issue_id, step.at, f"{run.key}-ack-{step.number}")
    issue = record.issues[issue_id]
    issue.acked_ms = _when(answer, "acknowledged_at", ms(step.at))
    run.desk.tally.count("issues acknowledged" if issue.acked_ms <= issue.ack_due_ms else "issues acknowledged late")
    return True


async def resolve_issue(run: StoryRun, step: s.ResolveIssue) -> bool:
    record = run.order()
    issue_id = run.issue_ids.get(step.number)
    if issue_id is None:
        return True
    answer = await run.desk.feedback.resolve(issue_id, step.resolution, step.at, f"{run.key}-resolve-{step.number}")
    issue = record.issues[issue_id]
    issue.resolved_ms = _when(answer, "resolved_at", ms(step.at))
    run.desk.tally.count("issues resolved" if issue.resolved_ms <= issue.resolve_due_ms else "issues resolved late")
    return True
