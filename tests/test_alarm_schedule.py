"""Alarm days in words and occurrences in a window, without Home Assistant."""

import datetime as dt
from zoneinfo import ZoneInfo

from custom_components.sonos_upnp.alarm_schedule import (
    DEFAULT_EVENT_LENGTH,
    MAX_OCCURRENCES,
    alarm_day_keys,
    clock_text,
    occurrences,
)
from custom_components.sonos_upnp.upnp.alarms import Alarm

BERLIN = ZoneInfo("Europe/Berlin")


def alarm(**fields: object) -> Alarm:
    """Return an enabled daily alarm at 07:00 for an hour, changed by fields."""
    values: dict[str, object] = {
        "alarm_id": 1,
        "start_time": dt.time(7, 0),
        "duration": dt.timedelta(hours=1),
        "recurrence": "DAILY",
        "enabled": True,
        "room_uuid": "RINCON_1",
        "program_uri": "x-rincon-buzzer:0",
        "program_metadata": "",
        "play_mode": "NORMAL",
        "volume": 20,
        "include_linked_zones": False,
    }
    values.update(fields)
    return Alarm(**values)  # type: ignore[arg-type]


def test_days_read_monday_first() -> None:
    assert alarm_day_keys("ON_0135") == ["monday", "wednesday", "friday", "sunday"]
    assert alarm_day_keys("WEEKENDS") == ["saturday", "sunday"]
    assert alarm_day_keys("ONCE") == []
    assert alarm_day_keys("ON_1135") is None
    assert alarm_day_keys("EVERY_OTHER_DAY") is None


def test_clock_text_shows_seconds_only_when_set() -> None:
    assert clock_text(alarm(start_time=dt.time(6, 5))) == "06:05"
    assert clock_text(alarm(start_time=dt.time(6, 5, 30))) == "06:05:30"


def test_a_once_alarm_rings_only_at_its_next_start() -> None:
    now = dt.datetime(2026, 5, 4, 12, 0, tzinfo=BERLIN)
    once = alarm(recurrence="ONCE", duration=None)
    week = occurrences(once, now, now + dt.timedelta(days=7), BERLIN, now)
    assert [(o.start, o.end - o.start) for o in week] == [
        (dt.datetime(2026, 5, 5, 7, 0, tzinfo=BERLIN), DEFAULT_EVENT_LENGTH)
    ]
    later = now + dt.timedelta(days=2)
    assert occurrences(once, later, later + dt.timedelta(days=7), BERLIN, now) == []


def test_nothing_for_disabled_or_unreadable_alarms_and_windows_are_bounded() -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=BERLIN)
    end = start + dt.timedelta(days=3650)
    assert occurrences(alarm(enabled=False), start, end, BERLIN, start) == []
    assert occurrences(alarm(enabled=None), start, end, BERLIN, start) == []
    assert occurrences(alarm(recurrence="SOMETIMES"), start, end, BERLIN, start) == []
    many = occurrences(alarm(duration=dt.timedelta(0)), start, end, BERLIN, start)
    assert len(many) == MAX_OCCURRENCES
    assert many[0].end - many[0].start == DEFAULT_EVENT_LENGTH
