"""Handlers of the orderpulse.notifications and orderpulse.feedback topics."""

from __future__ import annotations

from collections.abc import Callable

from .catalog import (
    F_CSAT,
    F_DELIVERY,
    F_ISSUES,
    F_NOTIFY,
    ISSUE_CATEGORIES,
    MILESTONES,
    NOTIFICATION_CHANNELS,
    enum_label,
)
from .facts import BREACH_ACK, BREACH_RESOLVE, IX_BREACHED, IX_OPENED, OrderFacts, new_issue
from .ingest_common import IngestContext, append_fact, required_text
from .shared import shared
from .values import InvalidEvent, optional_money, optional_time_ms, parse_time_ms


def on_notification_sent(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    notification_id = str(data.get("notification_id") or ev["id"])
    sent_text = data.get("sent_at")
    sent = t if sent_text is None or sent_text == ev["time"] else parse_time_ms(sent_text, "sent_at")
    trigger = parse_time_ms(data.get("trigger_time"), "trigger_time")
    milestone = enum_label(data.get("milestone"), MILESTONES)
    channel = enum_label(data.get("channel"), NOTIFICATION_CHANNELS)
    cost = optional_money(data.get("unit_cost"), "unit_cost")
    record = (sent, trigger, milestone, channel, cost, ev["id"])
    if o.notifications is None:
        o.notifications = {}
    known = o.notifications.get(notification_id)
    if known is None:
        ctx.observations.append(("notification_latency_seconds", channel, milestone, (sent - trigger) / 1000))
    if known is None or (sent, ev["id"]) < (known[0], known[5]):
        o.notifications[notification_id] = record
    return F_NOTIFY


def on_feedback_received(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    csat = data.get("csat")
    if isinstance(csat, bool) or not isinstance(csat, int) or not 1 <= csat <= 5:
        raise InvalidEvent(f"data.csat: expected 1-5, got {csat!r}")
    survey_id = str(data.get("survey_id") or ev["id"])
    if o.responses is None:
        o.responses = {}
    known = o.responses.get(survey_id)
    if known is None:
        ctx.observations.append(("survey_response", str(csat)))
    if known is None or (t, ev["id"]) < known[:2]:
        o.responses[survey_id] = (t, ev["id"], csat)
    return F_CSAT


_CLAIM_OF_CATEGORY = {"damaged": "damage", "documentation": "doc_claims", "billing": "doc_claims"}
_CLAIM_REASON = {"damaged": "damage_issue", "documentation": "documentation_issue", "billing": "billing_issue"}


def _issue(o: OrderFacts, issue_id: str) -> list:
    if o.issues is None:
        o.issues = {}
    record = o.issues.get(issue_id)
    if record is None:
        record = o.issues[issue_id] = new_issue()
    return record


def on_issue_opened(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    issue_id = required_text(data, "issue_id")
    category = enum_label(data.get("category"), ISSUE_CATEGORIES)
    ack_due = optional_time_ms(data.get("ack_due"), "ack_due")
    resolve_due = optional_time_ms(data.get("resolve_due"), "resolve_due")
    record = _issue(o, issue_id)
    if record[IX_OPENED] is None or t < record[IX_OPENED]:
        record[0:5] = [
            t,
            t + ctx.ack_ms if ack_due is None else ack_due,
            t + ctx.resolve_ms if resolve_due is None else resolve_due,
            category,
            ev["id"],
        ]
    claim = _CLAIM_OF_CATEGORY.get(category)
    if claim is None:
        return F_ISSUES
    append_fact(o, claim, (t, ev["id"], shared(ev["type"]), _CLAIM_REASON[category]))
    return F_ISSUES | F_DELIVERY


def issue_step(time_ix: int, id_ix: int) -> Callable[..., int]:
    def handler(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
        record = _issue(o, required_text(data, "issue_id"))
        if record[time_ix] is None or t < record[time_ix]:
            record[time_ix], record[id_ix] = t, ev["id"]
        return F_ISSUES

    return handler


def on_issue_sla_breached(o: OrderFacts, ev: dict, data: dict, t: int, ctx: IngestContext) -> int:
    issue_id = required_text(data, "issue_id")
    flag = {"ack": BREACH_ACK, "resolve": BREACH_RESOLVE}.get(data.get("clock"))
    if flag is None:
        raise InvalidEvent(f"data.clock: expected ack or resolve, got {data.get('clock')!r}")
    _issue(o, issue_id)[IX_BREACHED] |= flag
    return F_ISSUES
