"""The end of the summary: what to fix first (kpi-svc's failure Pareto), a few orders' scorecards
to open, and where the mail the customers got can be read."""

from __future__ import annotations

import time

from orderpulse.simulator.clients import Stack
from orderpulse.simulator.measures import CLAIM_WINDOW_MS
from orderpulse.simulator.tally import OrderRecord, Tally

SCORECARDS = 4


def pareto_lines(failures: dict | None, window: str, top: int = 8) -> list[str]:
    if not failures or not failures.get("failures"):
        return []
    lines = [f"What to fix first (kpi-svc, {window}): {failures.get('failed', 0)} of {failures.get('delivered', 0)} "
             "delivered orders not perfect"]
    for row in failures["failures"][:top]:
        lines.append(f"  {row['orders']:>6}  {row['component']:<16} {row['reason']}")
    return lines


def why_not_perfect(order: OrderRecord) -> str | None:
    completion = order.completion()
    if completion is None:
        return None
    at, short = completion
    for fails, reason in ((not order.on_time(at), "late"), (not order.in_full(short), "not in full"),
                          (not order.damage_free(at, CLAIM_WINDOW_MS), "damaged"),
                          (not order.documentation(at, CLAIM_WINDOW_MS), "documents")):
        if fails:
            return reason
    return None


def scorecard_lines(tally: Tally, stack: Stack) -> list[str]:
    """A few recent orders that were not perfect, one per reason (kpi-svc keeps an order's
    scorecard while its claim window is open: delivered in the last 7 days)."""
    url = stack.services.get("kpi-svc")
    if url is None:
        return []
    recent_ms = int(time.time() * 1000) - CLAIM_WINDOW_MS
    chosen: dict[str, OrderRecord] = {}
    for order in sorted(tally.orders.values(), key=lambda record: -record.placed_ms):
        reason = why_not_perfect(order)
        completion = order.completion()
        if reason and reason not in chosen and completion and completion[0] > recent_ms:
            chosen[reason] = order
        if len(chosen) == SCORECARDS:
            break
    if not chosen:
        return []
    return ["Why was an order not perfect? Its scorecard:"] + [
        f"  {reason:<12} {url}/v1/orders/{order.order_id}/scorecard" for reason, order in chosen.items()]


def mail_lines(stack: Stack) -> list[str]:
    if stack.mail_page:
        return [f"The mail and SMS customers got: {stack.mail_page}"]
    emails = stack.emails_caught()
    if emails is not None and stack.state_dir is not None:
        return [f"The mail customers got: {emails} messages in {stack.state_dir / 'mail'} (`orderpulse mail` lists them)"]
    return []


def pointer_lines(failures: dict | None, window: str, tally: Tally, stack: Stack, pending: int) -> list[str]:
    """Everything after the KPI table: Pareto, scorecards, mail, messages still held back."""
    held = [f"{pending} messages are still pending (SMS held for quiet hours, or a retry): not sent, not counted"]
    return pareto_lines(failures, window) + scorecard_lines(tally, stack) + mail_lines(stack) + (held if pending else [])
