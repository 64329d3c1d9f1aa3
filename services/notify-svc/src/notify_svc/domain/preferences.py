"""A customer's preferences: channels on/off, quiet hours in their own timezone, locale."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notify_svc.domain.errors import InvalidPreferences
from notify_svc.domain.milestones import CHANNELS

_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_LOCALE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z]{2,4})?$")


def parse_hh_mm(text: object, field_name: str) -> time:
    if not isinstance(text, str) or not _HH_MM.match(text):
        raise InvalidPreferences(f"{field_name} must be a time of day as HH:MM, e.g. 22:00", field=field_name)
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class QuietHours:
    """From `start` to `end` local time; when `end` <= `start` the span crosses midnight."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, moment: datetime, timezone: str) -> datetime | None:
        """When the quiet hours `moment` falls in end (UTC); None when `moment` is not in them."""
        zone = zone_of(timezone)
        local = moment.astimezone(zone)
        if not self.contains(local.time().replace(tzinfo=None)):
            return None
        end_day = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        end = datetime.combine(end_day, self.end, tzinfo=zone)
        # a wall-clock time that a DST change skips or repeats: normalise through UTC
        return end.astimezone(ZoneInfo("UTC"))

    def to_data(self) -> dict[str, str]:
        return {"start": self.start.strftime("%H:%M"), "end": self.end.strftime("%H:%M")}


def zone_of(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")  # a customer's unknown zone must not stop their notifications


@dataclass(frozen=True)
class Preferences:
    """`channels` holds only what the customer switched; a channel not named follows the policy."""

    channels: Mapping[str, bool] = field(default_factory=dict)
    quiet_hours: QuietHours | None = None
    locale: str | None = None

    def allows(self, channel: str) -> bool:
        return self.channels.get(channel, True)

    @property
    def webhook_opt_in(self) -> bool:
        return self.channels.get("webhook", False)

    def updated(self, change: PreferenceChange) -> Preferences:
        merged = replace(self, channels={**self.channels, **change.channels})
        if change.quiet_hours_given:
            merged = replace(merged, quiet_hours=change.quiet_hours)
        if change.locale is not None:
            merged = replace(merged, locale=change.locale)
        return merged

    def to_data(self) -> dict:
        return {
            "channels": {channel: self.allows(channel) if channel != "webhook" else self.webhook_opt_in for channel in CHANNELS},
            "quiet_hours": None if self.quiet_hours is None else self.quiet_hours.to_data(),
            "locale": self.locale,
        }


@dataclass(frozen=True)
class PreferenceChange:
    channels: Mapping[str, bool]
    quiet_hours: QuietHours | None
    quiet_hours_given: bool
    locale: str | None


def preference_change(
    channels: Mapping[str, object] | None, quiet_hours: Mapping[str, object] | None, quiet_hours_given: bool, locale: object
) -> PreferenceChange:
    """Check a preferences body; `InvalidPreferences` names the field that is wrong."""
    checked: dict[str, bool] = {}
    for channel, on in (channels or {}).items():
        if channel not in CHANNELS:
            raise InvalidPreferences(f"unknown channel {channel!r}; known: {', '.join(CHANNELS)}", field=f"channels.{channel}")
        if not isinstance(on, bool):
            raise InvalidPreferences("a channel is switched with true or false", field=f"channels.{channel}")
        checked[channel] = on
    quiet = None
    if quiet_hours is not None:
        quiet = QuietHours(
            parse_hh_mm(quiet_hours.get("start"), "quiet_hours.start"),
            parse_hh_mm(quiet_hours.get("end"), "quiet_hours.end"),
        )
    if locale is not None and (not isinstance(locale, str) or not _LOCALE.match(locale)):
        raise InvalidPreferences("locale is a language tag such as en or de-AT", field="locale")
    return PreferenceChange(checked, quiet, quiet_hours_given, locale)
