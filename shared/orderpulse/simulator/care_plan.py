"""After the delivery: whether the customer answers the survey (and how happy they are), and
the issues support opens for damaged, late and billing cases, with when they are acknowledged
and resolved — some after their SLA (pure, from the seed).

Randomness: `<seed>/care/<index>`, its own stream, so adding the journey after the delivery does
not change what happens to an order before it.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from orderpulse.simulator import steps as s
from orderpulse.simulator.config import ErrorMix

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
ACK_DUE, RESOLVE_DUE = 24 * HOUR, 48 * HOUR  # feedback-svc's default clocks (calendar hours)
SURVEY_AFTER = 70 * MINUTE  # feedback-svc asks an hour after the delivery (its default delay)
HAPPY = ((5, 50), (4, 35), (3, 9), (2, 4), (1, 2))
TROUBLED = ((5, 8), (4, 17), (3, 30), (2, 25), (1, 20))
COMMENTS = {5: "Quick and well packed, thank you!", 4: "All good.", 3: "Fine, but it took a while.",
            2: "Not what I hoped for.", 1: "Very disappointed."}
RESOLUTIONS = {"damaged": "replacement sent", "late": "shipping refunded as a goodwill gesture",
               "billing": "invoice corrected and the difference refunded"}


def _between(rng: random.Random, low: timedelta, high: timedelta) -> timedelta:
    return low + (high - low) * rng.random()


def _weighted(rng: random.Random, pairs) -> int:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def plan_care(seed: int, index: int, mix: ErrorMix, delivered: datetime, *, late: bool, damaged: bool) -> list[s.Step]:
    """The survey answer and the issues of an order delivered at `delivered`."""
    rng = random.Random(f"{seed}/care/{index}")
    steps: list[s.Step] = []
    categories = [category for category, chance in (("damaged", mix.damage_issue if damaged else 0.0),
                                                     ("late", mix.late_issue if late else 0.0),
                                                     ("billing", mix.billing_issue)) if rng.random() < chance]
    for number, category in enumerate(categories, 1):
        steps += _issue(rng, mix, number, category, delivered + _between(rng, HOUR, 30 * HOUR))
    if rng.random() < mix.survey_answered:
        csat = _weighted(rng, TROUBLED if (late or damaged or categories) else HAPPY)
        nps = max(0, min(10, 2 * csat + rng.randint(-2, 1)))
        comment = COMMENTS[csat] if rng.random() < 0.4 else None
        answered = delivered + SURVEY_AFTER + _between(rng, 5 * MINUTE, 3 * DAY)
        steps.append(s.AnswerSurvey(at=answered, csat=csat, nps=nps if rng.random() < 0.7 else None, comment=comment))
    return steps


def _issue(rng: random.Random, mix: ErrorMix, number: int, category: str, opened: datetime) -> list[s.Step]:
    channel = rng.choice(("email", "phone", "chat"))
    if rng.random() < mix.issue_ack_late:
        acked = opened + ACK_DUE + _between(rng, HOUR, 16 * HOUR)
    else:
        acked = opened + _between(rng, 10 * MINUTE, 20 * HOUR)
    if rng.random() < mix.issue_resolve_late:
        resolved = opened + RESOLVE_DUE + _between(rng, HOUR, 30 * HOUR)
    else:
        resolved = acked + (opened + RESOLVE_DUE - HOUR - acked) * (0.1 + 0.85 * rng.random())
    return [s.OpenIssue(at=opened, number=number, category=category, channel=channel),
            s.AcknowledgeIssue(at=acked, number=number),
            s.ResolveIssue(at=resolved, number=number, resolution=RESOLUTIONS[category])]
