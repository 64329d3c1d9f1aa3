"""Whole traffic plans: the backfilled history (placed in the past, every step before now) and
live stories (placed now, run `speedup` times faster than real time)."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime, timedelta

from orderpulse.business_days import BusinessCalendar
from orderpulse.simulator.config import ErrorMix
from orderpulse.simulator.scenario import Story, backfill_placements, choose_profile
from orderpulse.simulator.steps import Step
from orderpulse.simulator.timing import fit_before, is_tail, plan_story
from orderpulse.simulator.world import DEFAULT_CARRIERS, Customer

MILLISECOND = timedelta(milliseconds=1)
START_MARGIN = timedelta(hours=1)  # the oldest order stays inside the window it was meant for a while longer
END_MARGIN = timedelta(minutes=2)  # the newest step of the history is this long before "now"


def history_bounds(now: datetime, span: timedelta) -> tuple[datetime, datetime]:
    return now - span + START_MARGIN, now - END_MARGIN


def plan_history(
    seed: int,
    count: int,
    now: datetime,
    span: timedelta,
    mix: ErrorMix,
    customers: tuple[Customer, ...],
    calendar: BusinessCalendar,
    carriers: tuple[str, ...] = DEFAULT_CARRIERS,
) -> list[Story]:
    """`count` stories placed over `span` before `now`, every step in the past, oldest first.

    A story that would not be over by the end of the history is placed earlier (re-planned with
    the same choices); only when the history is shorter than the story are its last steps left out.
    Returns and their receipt (the tail) may simply fall off the end.
    """
    start, limit = history_bounds(now, span)
    stories = []
    for index, placed in enumerate(backfill_placements(seed, count, start, limit)):
        profile = choose_profile(seed, index, mix, customers, carriers)
        story = plan_story(profile, placed, calendar, seed, mix)
        for attempt in range(8):
            core_end = max(step.at for step in story.steps if not is_tail(step))
            if core_end <= limit:
                break
            # a weekend between placing and the promise does not move the promise: step back a day more each time
            earlier = story.placed_at - (core_end - limit) - timedelta(minutes=10) - timedelta(days=attempt)
            if earlier < start:
                break
            story = plan_story(profile, earlier, calendar, seed, mix)
        stories.append(fit_before(story, limit))
    stories.sort(key=lambda story: (story.placed_at, story.index))
    return stories


def plan_live(
    seed: int,
    index: int,
    placed_at: datetime,
    speedup: float,
    mix: ErrorMix,
    customers: tuple[Customer, ...],
    calendar: BusinessCalendar,
    carriers: tuple[str, ...] = DEFAULT_CARRIERS,
) -> Story:
    """A story placed at `placed_at` whose days pass in minutes: every time after placing is
    brought `speedup` times closer to it, the promise included (sent explicitly)."""
    story = plan_story(choose_profile(seed, index, mix, customers, carriers), placed_at, calendar, seed, care_mix=mix)
    return compress(story, speedup)


def compress(story: Story, speedup: float) -> Story:
    origin = story.placed_at

    def squeeze(moment: datetime) -> datetime:
        exact = origin + (moment - origin) / speedup
        return exact.replace(microsecond=exact.microsecond // 1000 * 1000)

    moved: list[Step] = []
    for step in story.steps:
        changes = {item.name: squeeze(getattr(step, item.name)) for item in fields(step)
                   if isinstance(getattr(step, item.name), datetime)}
        if moved and changes["at"] <= moved[-1].at:
            changes["at"] = moved[-1].at + MILLISECOND
        moved.append(replace(step, **changes))
    return replace(story, steps=tuple(moved), promised_by=squeeze(story.promised_by), explicit_promise=True)
