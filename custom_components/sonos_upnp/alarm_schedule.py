"""When alarms ring, in words and as occurrences in a window (no Home Assistant).

Sonos numbers days 0 (Sunday) to 6 (Saturday); people read weeks from
Monday. Day keys are the lowercase English names, which the translations
turn into words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from .upnp.alarms import (
    DAILY,
    ONCE,
    WEEKDAYS,
    WEEKENDS,
    Alarm,
    next_occurrence,
    recurrence_days,
)

# Sonos day number -> day key.
DAY_KEYS: Final = (
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
)
# Sonos day numbers in the order a week is read, Monday first.
WEEK_ORDER: Final = (1, 2, 3, 4, 5, 6, 0)
PRESETS: Final = (DAILY, WEEKDAYS, WEEKENDS, ONCE)
# An alarm without a duration plays until it is stopped; its calendar event
# lasts as long as a new Sonos alarm does by default.
DEFAULT_EVENT_LENGTH: Final = dt.timedelta(hours=1)
# At most this many occurrences of one alarm are returned for one window
# (a day's alarm over 5 years); longer windows are cut off.
MAX_OCCURRENCES: Final = 1830
_SECOND: Final = dt.timedelta(seconds=1)


def alarm_day_numbers(recurrence: str) -> tuple[int, ...] | None:
    """Return the Sonos days of a recurrence, Monday first; None if unknown."""
    days = recurrence_days(recurrence)
    if days is None:
        return None
    return tuple(day for day in WEEK_ORDER if day in days)


def alarm_day_keys(recurrence: str) -> list[str] | None:
    """Return the day keys ("monday", ...) of a recurrence; None if unknown.

    ONCE rings on the next day its start time comes, so it has no days.
    """
    if recurrence == ONCE:
        return []
    days = alarm_day_numbers(recurrence)
    return None if days is None else [DAY_KEYS[day] for day in days]


def clock_text(alarm: Alarm) -> str:
    """Return the alarm's start time as a clock shows it (seconds if any)."""
    start = alarm.start_time
    text = f"{start.hour:02d}:{start.minute:02d}"
    return f"{text}:{start.second:02d}" if start.second else text


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One time an alarm rings: from start to end, household time."""

    alarm: Alarm
    start: dt.datetime
    end: dt.datetime


def event_length(alarm: Alarm) -> dt.timedelta:
    """Return how long the alarm's calendar event lasts."""
    if alarm.duration is None or alarm.duration <= dt.timedelta(0):
        return DEFAULT_EVENT_LENGTH
    return alarm.duration


def occurrences(
    alarm: Alarm,
    start: dt.datetime,
    end: dt.datetime,
    tz: dt.tzinfo,
    now: dt.datetime,
) -> list[Occurrence]:
    """Return the occurrences of an alarm that overlap [start, end).

    None for a disabled alarm or an unknown recurrence. A ONCE alarm rings
    only at its next start after now (the speaker disables it then).
    """
    length = event_length(alarm)
    if alarm.recurrence == ONCE:
        first = next_occurrence(alarm, now, tz)
        if first is None or not (first < end and first + length > start):
            return []
        return [Occurrence(alarm, first, first + length)]
    found: list[Occurrence] = []
    after = start - length + _SECOND
    while len(found) < MAX_OCCURRENCES:
        begin = next_occurrence(alarm, after, tz)
        if begin is None or begin >= end:
            break
        found.append(Occurrence(alarm, begin, begin + length))
        after = begin + _SECOND
    return found
