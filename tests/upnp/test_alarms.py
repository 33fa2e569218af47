"""Tests of alarm parsing, recurrences, next occurrences and wire arguments."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.sonos_upnp.upnp.alarms import (
    Alarm,
    AlarmList,
    AlarmListVersion,
    AlarmSettings,
    UnreadableAlarm,
    alarm_arguments,
    next_occurrence,
    parse_alarm_list,
    parse_alarm_list_version,
    patch_arguments,
    recurrence_days,
    validate_recurrence,
)
from custom_components.sonos_upnp.upnp.exceptions import (
    UpnpArgumentError,
    UpnpClientError,
    UpnpResponseError,
)
from custom_components.sonos_upnp.upnp.safe_xml import child_text, parse_xml
from custom_components.sonos_upnp.upnp.values import Verbatim

FIXTURES = Path(__file__).parent / "fixtures" / "alarms"
CAPTURES = Path(__file__).parents[2].parent / "shared" / "sonos" / "captures"
needs_captures = pytest.mark.skipif(
    not CAPTURES.is_dir(),
    reason=f"the shared Sonos captures are not available at {CAPTURES}",
)
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC

METADATA_17 = (
    '<DIDL-Lite xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/" '
    'xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/" '
    'xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/">'
    '<item id="F00092020s24861" parentID="L" restricted="true">'
    '<dc:title>Café "Größe" &amp; Söhne \u2013 日本</dc:title>'
    "<upnp:class>object.item.audioItem.audioBroadcast</upnp:class>"
    "<r:description>line one&#10;line two</r:description>"
    '<desc id="cdudn" nameSpace="urn:schemas-rinconnetworks-com:metadata-1-0/">'
    "SA_RINCON65031_</desc></item></DIDL-Lite>"
)


def _alarm(**changes: object) -> Alarm:
    fields: dict[str, object] = {
        "alarm_id": 1,
        "start_time": dt.time(7, 0),
        "duration": dt.timedelta(hours=1),
        "recurrence": "DAILY",
        "enabled": True,
        "room_uuid": "RINCON_A",
        "program_uri": "x-rincon-buzzer:0",
        "program_metadata": "",
        "play_mode": "NORMAL",
        "volume": 20,
        "include_linked_zones": False,
    }
    fields.update(changes)
    return Alarm(**fields)  # type: ignore[arg-type]


def _typed(alarm: Alarm | None) -> Alarm | None:
    """Return the alarm without what the speaker sent, to compare typed fields."""
    return dataclasses.replace(alarm, raw=MappingProxyType({})) if alarm else None


# --- parsing ------------------------------------------------------------------------


def test_parse_fixture() -> None:
    alarms = parse_alarm_list(
        (FIXTURES / "alarm_list.xml").read_bytes(), "RINCON_KITCHEN0001400:57"
    )
    assert alarms.version == "RINCON_KITCHEN0001400:57"
    assert alarms.parsed_version == AlarmListVersion("RINCON_KITCHEN0001400", 57)
    assert [alarm.alarm_id for alarm in alarms.alarms] == [3, 17, 42]
    assert _typed(alarms.get(3)) == Alarm(
        alarm_id=3,
        start_time=dt.time(7, 0),
        duration=dt.timedelta(hours=1),
        recurrence="WEEKDAYS",
        enabled=True,
        room_uuid="RINCON_KITCHEN0001400",
        program_uri="x-rincon-buzzer:0",
        program_metadata="",
        play_mode="SHUFFLE_NOREPEAT",
        volume=25,
        include_linked_zones=False,
    )
    radio = alarms.get(17)
    assert radio is not None
    assert radio.start_time == dt.time(23, 45, 30)
    assert radio.duration == dt.timedelta(minutes=8)
    assert (radio.recurrence, radio.enabled, radio.include_linked_zones) == (
        "ON_0246",
        False,
        True,
    )
    assert radio.program_uri == "x-sonosapi-radio:s24861?sid=254&flags=8224&sn=0"
    assert radio.program_metadata == METADATA_17
    assert radio.raw["NewFirmwareAttribute"] == "ignored"
    assert radio.raw["Enabled"] == "0"
    # Old firmware leaves out ProgramMetaData and IncludeLinkedZones.
    once = alarms.get(42)
    assert once is not None
    assert (once.program_metadata, once.include_linked_zones, once.enabled) == (
        "",
        False,
        True,
    )
    assert alarms.get(99) is None


def test_empty_list() -> None:
    assert parse_alarm_list("<Alarms/>", "RINCON_X:1") == AlarmList("RINCON_X:1", ())


@needs_captures
def test_capture_list_alarms() -> None:
    # The capture is two sibling elements; wrap them to read both.
    wrapped = b"<r>" + (CAPTURES / "nst__alarm-service.ListAlarms.xml").read_bytes()
    wrapped += b"</r>"
    response = parse_xml(wrapped)
    alarms = parse_alarm_list(
        child_text(response, "CurrentAlarmList"),
        child_text(response, "CurrentAlarmListVersion"),
    )
    assert alarms.parsed_version == AlarmListVersion("RINCON_B8E9375A170401400", 2472)
    first, second = alarms.alarms
    assert (first.alarm_id, first.start_time, first.duration) == (
        1712,
        dt.time(8, 15),
        dt.timedelta(minutes=8),
    )
    assert (first.recurrence, first.enabled, first.play_mode, first.volume) == (
        "WEEKDAYS",
        False,
        "SHUFFLE",
        8,
    )
    assert first.program_uri.endswith("?sid=9&flags=8300&sn=7")
    assert first.program_metadata.startswith("<DIDL-Lite ")
    assert "<dc:title>Easy On Sunday</dc:title>" in first.program_metadata
    assert (second.alarm_id, second.room_uuid, second.enabled) == (
        1715,
        "RINCON_B8E9375A170401400",
        True,
    )
    assert "SA_RINCON2311_X_#Svc2311-0-Token" in second.program_metadata


@needs_captures
def test_capture_alarm_clock_event_version() -> None:
    root = parse_xml((CAPTURES / "nst__alarmclock.event.xml").read_bytes())
    versions = [
        child_text(prop, "AlarmListVersion")
        for prop in root
        if child_text(prop, "AlarmListVersion")
    ]
    assert [parse_alarm_list_version(v) for v in versions] == [
        AlarmListVersion("RINCON_xxx01400", 2654)
    ]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (
            "RINCON_000E58C9F6E201400:12",
            AlarmListVersion("RINCON_000E58C9F6E201400", 12),
        ),
        (" RINCON_A:0 ", AlarmListVersion("RINCON_A", 0)),
        ("RINCON_A", None),
        ("RINCON_A:x", None),
        ("", None),
    ],
)
def test_parse_version(version: str, expected: AlarmListVersion | None) -> None:
    assert parse_alarm_list_version(version) == expected
    assert AlarmList(version, ()).parsed_version == expected


_GOOD = (
    'ID="1" StartTime="07:00:00" Duration="01:00:00" Recurrence="DAILY" Enabled="1" '
    'RoomUUID="R" ProgramURI="u" ProgramMetaData="" PlayMode="NORMAL" Volume="5" '
    'IncludeLinkedZones="0"'
)


@pytest.mark.parametrize("xml", ["", "<NotAlarms/>", "<Alarms><Alarm"])
def test_malformed_alarm_list(xml: str) -> None:
    with pytest.raises(UpnpResponseError):
        parse_alarm_list(xml, "RINCON_A:1")


_SECOND = _GOOD.replace('ID="1"', 'ID="2"').replace("07:00:00", "08:00:00")


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        *(
            (_GOOD.replace(f" {name}=", f" Other{name}="), f"no {name}")
            for name in (
                "StartTime",
                "Duration",
                "Recurrence",
                "Enabled",
                "RoomUUID",
                "ProgramURI",
                "PlayMode",
                "Volume",
            )
        ),
        (_GOOD.replace("ID=", "XID="), "no ID"),
        (_GOOD.replace('ID="1"', 'ID="one"'), "ID 'one' is not a number"),
        (_GOOD.replace('ID="1"', 'ID="1' + "0" * 30 + '"'), "is not a number"),
        (_GOOD.replace("07:00:00", "24:00:00"), "StartTime '24:00:00' is not HH:MM:SS"),
        (_GOOD.replace("07:00:00", "7:00"), "StartTime '7:00' is not HH:MM:SS"),
    ],
)
def test_an_unreadable_alarm_is_left_out_alone(attributes: str, reason: str) -> None:
    xml = f"<Alarms><Alarm {attributes}/><Alarm {_SECOND}/></Alarms>"
    alarms = parse_alarm_list(xml, "RINCON_A:1")
    assert [alarm.alarm_id for alarm in alarms.alarms] == [2]
    (unreadable,) = alarms.unreadable
    assert isinstance(unreadable, UnreadableAlarm)
    assert reason in unreadable.reason
    assert f' {next(iter(unreadable.attributes))}="' in f" {attributes}"
    assert alarms.duplicates == ()


@pytest.mark.parametrize(
    ("old", "new", "field", "shown"),
    [
        ('Duration="01:00:00"', 'Duration=""', "duration", ""),
        ('Duration="01:00:00"', 'Duration="01:60:00"', "duration", "01:60:00"),
        ('Volume="5"', 'Volume="-5"', "volume", "-5"),
        ('Volume="5"', 'Volume="loud"', "volume", "loud"),
        ('Enabled="1"', 'Enabled="yes"', "enabled", "yes"),
        (
            'IncludeLinkedZones="0"',
            'IncludeLinkedZones="2"',
            "include_linked_zones",
            "2",
        ),
    ],
)
def test_a_value_we_cannot_interpret_is_kept_verbatim(
    old: str, new: str, field: str, shown: str
) -> None:
    xml = f"<Alarms><Alarm {_GOOD.replace(old, new)}/><Alarm {_SECOND}/></Alarms>"
    alarms = parse_alarm_list(xml, "RINCON_A:1")
    odd = alarms.get(1)
    assert odd is not None
    assert getattr(odd, field) is None
    assert odd.raw[new.split("=", maxsplit=1)[0]] == shown
    # The other fields of that alarm, and the other alarm, are read as usual.
    assert (odd.start_time, odd.recurrence, odd.room_uuid) == (dt.time(7), "DAILY", "R")
    assert alarms.get(2) is not None
    assert alarms.unreadable == ()


def test_play_modes_and_recurrences_beyond_the_scpd_are_kept() -> None:
    xml = (
        f"<Alarms><Alarm {_GOOD.replace('NORMAL', 'REPEAT_ONE')}/>"
        f"<Alarm {_SECOND.replace('NORMAL', 'SHUFFLE_REPEAT_ONE')}/></Alarms>"
    )
    alarms = parse_alarm_list(xml, "RINCON_A:1")
    assert [alarm.play_mode for alarm in alarms.alarms] == [
        "REPEAT_ONE",
        "SHUFFLE_REPEAT_ONE",
    ]


def test_duplicate_ids_keep_the_first_and_list_the_rest() -> None:
    third = _SECOND.replace("08:00:00", "09:00:00")
    xml = (
        f"<Alarms><Alarm {_GOOD}/><Alarm {_SECOND}/>"
        f"<Alarm {_GOOD.replace('07:00:00', '10:00:00')}/><Alarm {third}/></Alarms>"
    )
    alarms = parse_alarm_list(xml, "RINCON_A:1")
    assert [(a.alarm_id, a.start_time.hour) for a in alarms.alarms] == [(1, 7), (2, 8)]
    assert [(a.alarm_id, a.start_time.hour) for a in alarms.duplicates] == [
        (1, 10),
        (2, 9),
    ]
    assert alarms.duplicate_ids == (1, 2)
    alarm = alarms.get(1)
    assert alarm is not None
    assert alarm.start_time == dt.time(7)


def test_unknown_recurrence_is_kept() -> None:
    xml = f"<Alarms><Alarm {_GOOD.replace('DAILY', 'FORTNIGHTLY')}/></Alarms>"
    (alarm,) = parse_alarm_list(xml, "RINCON_A:1").alarms
    assert alarm.recurrence == "FORTNIGHTLY"
    assert recurrence_days("FORTNIGHTLY") is None
    after = dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert next_occurrence(alarm, after, BERLIN) is None


@settings(max_examples=200)
@given(st.one_of(st.text(), st.binary()))
def test_arbitrary_alarm_list_only_raises_client_errors(data: str | bytes) -> None:
    try:
        result = parse_alarm_list(data, "RINCON_A:1")
    except UpnpClientError:
        return
    assert isinstance(result, AlarmList)


# --- recurrences ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["DAILY", "ONCE", "WEEKDAYS", "WEEKENDS", "ON_0", "ON_6", "ON_1245", "ON_0123456"],
)
def test_valid_recurrences(value: str) -> None:
    assert validate_recurrence(value) == value


@pytest.mark.parametrize(
    "value",
    ["", "daily", "ON_", "ON_7", "ON_11", "ON_01234560", "ON_1 2", "WEEKLY", " DAILY"],
)
def test_invalid_recurrences(value: str) -> None:
    with pytest.raises(UpnpArgumentError):
        validate_recurrence(value)


@given(st.sets(st.integers(0, 6), min_size=1))
def test_on_days_round_trip(days: set[int]) -> None:
    value = "ON_" + "".join(str(day) for day in sorted(days))
    assert validate_recurrence(value) == value
    assert recurrence_days(value) == frozenset(days)


def test_recurrence_days() -> None:
    assert recurrence_days("WEEKDAYS") == frozenset({1, 2, 3, 4, 5})
    assert recurrence_days("WEEKENDS") == frozenset({0, 6})
    assert recurrence_days("DAILY") == frozenset(range(7))
    assert recurrence_days("ON_35") == frozenset({3, 5})


# --- next occurrence ----------------------------------------------------------------


def _at(tz: ZoneInfo, *parts: int, fold: int = 0) -> dt.datetime:
    return _naive(*parts).replace(tzinfo=tz, fold=fold)


def _naive(*parts: int) -> dt.datetime:
    year, month, day, *clock = parts
    hour, minute, second = (*clock, 0, 0, 0)[:3]
    return dt.datetime(year, month, day, hour, minute, second)  # noqa: DTZ001


@pytest.mark.parametrize(
    ("recurrence", "after", "expected"),
    [
        # Wednesday 2026-03-04, 06:00 Berlin.
        ("DAILY", (2026, 3, 4, 6, 0), (2026, 3, 4, 7, 0)),
        ("DAILY", (2026, 3, 4, 7, 0), (2026, 3, 4, 7, 0)),  # at = inclusive
        ("DAILY", (2026, 3, 4, 7, 0, 1), (2026, 3, 5, 7, 0)),
        ("ONCE", (2026, 3, 4, 8, 0), (2026, 3, 5, 7, 0)),
        ("WEEKDAYS", (2026, 3, 6, 8, 0), (2026, 3, 9, 7, 0)),  # Friday -> Monday
        ("WEEKENDS", (2026, 3, 4, 6, 0), (2026, 3, 7, 7, 0)),  # -> Saturday
        ("WEEKENDS", (2026, 3, 7, 8, 0), (2026, 3, 8, 7, 0)),  # -> Sunday
        ("ON_0", (2026, 3, 4, 6, 0), (2026, 3, 8, 7, 0)),  # 0 = Sunday
        ("ON_3", (2026, 3, 4, 6, 0), (2026, 3, 4, 7, 0)),  # 3 = Wednesday
        ("ON_3", (2026, 3, 4, 7, 30), (2026, 3, 11, 7, 0)),  # a week later
        ("ON_15", (2026, 3, 4, 6, 0), (2026, 3, 6, 7, 0)),
    ],
)
def test_next_occurrence_plain_days(
    recurrence: str, after: tuple[int, ...], expected: tuple[int, ...]
) -> None:
    alarm = _alarm(recurrence=recurrence)
    result = next_occurrence(alarm, _at(BERLIN, *after), BERLIN)
    assert result == _at(BERLIN, *expected)
    assert result is not None
    assert result.tzinfo is BERLIN


def test_next_occurrence_disabled() -> None:
    alarm = _alarm(enabled=False)
    assert next_occurrence(alarm, _at(BERLIN, 2026, 3, 4, 6), BERLIN) is None


def test_next_occurrence_needs_aware_after() -> None:
    with pytest.raises(UpnpArgumentError):
        next_occurrence(_alarm(), dt.datetime(2026, 3, 4, 6), BERLIN)  # noqa: DTZ001


def test_next_occurrence_after_in_other_zone() -> None:
    # 05:30 UTC is 06:30 in Berlin (winter): today's 07:00 Berlin alarm is next.
    after = dt.datetime(2026, 3, 4, 5, 30, tzinfo=UTC)
    assert next_occurrence(_alarm(), after, BERLIN) == _at(BERLIN, 2026, 3, 4, 7)
    # 06:30 UTC is 07:30 Berlin: tomorrow.
    after = dt.datetime(2026, 3, 4, 6, 30, tzinfo=UTC)
    assert next_occurrence(_alarm(), after, BERLIN) == _at(BERLIN, 2026, 3, 5, 7)


@pytest.mark.parametrize(
    ("tz", "day", "gap_start", "gap_end_utc"),
    [
        # Berlin springs forward on 2026-03-29 at 02:00 CET -> 03:00 CEST (01:00 UTC).
        (BERLIN, (2026, 3, 29), 2, (2026, 3, 29, 1, 0)),
        # New York springs forward on 2026-03-08 at 02:00 EST -> 03:00 EDT (07:00 UTC).
        (NEW_YORK, (2026, 3, 8), 2, (2026, 3, 8, 7, 0)),
    ],
)
@pytest.mark.parametrize("minute", [0, 1, 30, 59])
def test_start_in_spring_forward_gap(
    tz: ZoneInfo,
    day: tuple[int, int, int],
    gap_start: int,
    gap_end_utc: tuple[int, ...],
    minute: int,
) -> None:
    alarm = _alarm(start_time=dt.time(gap_start, minute))
    after = _at(tz, *day, 0, 0)
    result = next_occurrence(alarm, after, tz)
    expected = _naive(*gap_end_utc).replace(tzinfo=UTC)
    assert result == expected
    assert result is not None
    assert (result.hour, result.minute) == (3, 0)
    # Once the gap has passed, the next day rings at the ordinary time.
    later = next_occurrence(alarm, result + dt.timedelta(seconds=1), tz)
    assert later == _at(tz, day[0], day[1], day[2] + 1, gap_start, minute)


@pytest.mark.parametrize(
    ("tz", "day", "first_utc"),
    [
        # Berlin falls back on 2026-10-25 at 03:00 CEST -> 02:00 CET; 02:30 exists
        # twice, first at 00:30 UTC, then at 01:30 UTC.
        (BERLIN, (2026, 10, 25), (2026, 10, 25, 0, 30)),
        # New York falls back on 2026-11-01 at 02:00 EDT -> 01:00 EST; 01:30
        # exists twice, first at 05:30 UTC.
        (NEW_YORK, (2026, 11, 1), (2026, 11, 1, 5, 30)),
    ],
)
def test_start_in_fall_back_fold(
    tz: ZoneInfo, day: tuple[int, int, int], first_utc: tuple[int, ...]
) -> None:
    clock = dt.time(2, 30) if tz is BERLIN else dt.time(1, 30)
    alarm = _alarm(start_time=clock)
    first = _naive(*first_utc).replace(tzinfo=UTC)
    result = next_occurrence(alarm, _at(tz, *day, 0, 0), tz)
    assert result is not None
    # Aware datetimes in a fold never compare equal across zones (PEP 495).
    assert result.astimezone(UTC) == first
    assert (result.tzinfo, result.fold, result.time()) == (tz, 0, clock)
    # Between the two occurrences the alarm does not ring again that night.
    between = first + dt.timedelta(minutes=30)
    assert next_occurrence(alarm, between, tz) == _at(
        tz, day[0], day[1], day[2] + 1, clock.hour, clock.minute
    )


def test_ordinary_time_across_dst_keeps_wall_clock() -> None:
    # A 07:00 alarm is 06:00 UTC before the Berlin switch and 05:00 UTC after it.
    alarm = _alarm()
    before = next_occurrence(alarm, _at(BERLIN, 2026, 3, 28, 8), BERLIN)
    assert before == dt.datetime(2026, 3, 29, 5, 0, tzinfo=UTC)
    after = next_occurrence(alarm, _at(NEW_YORK, 2026, 10, 31, 8), NEW_YORK)
    assert after == dt.datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_gap_at_midnight_shifts_to_next_day() -> None:
    # Havana springs forward at midnight: 2026-03-08 00:00 CST -> 01:00 CDT.
    havana = ZoneInfo("America/Havana")
    alarm = _alarm(start_time=dt.time(0, 30), recurrence="ON_0")  # Sundays
    result = next_occurrence(alarm, _at(havana, 2026, 3, 7, 12), havana)
    assert result == _at(havana, 2026, 3, 8, 1, 0)


@settings(max_examples=200)
@given(
    st.datetimes(
        min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001
        max_value=dt.datetime(2040, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.times(),
    st.sampled_from(["DAILY", "ONCE", "WEEKDAYS", "WEEKENDS", "ON_1", "ON_0246"]),
    st.sampled_from([BERLIN, NEW_YORK]),
)
def test_next_occurrence_properties(
    after: dt.datetime, start: dt.time, recurrence: str, tz: ZoneInfo
) -> None:
    alarm = _alarm(start_time=start.replace(microsecond=0), recurrence=recurrence)
    result = next_occurrence(alarm, after, tz)
    assert result is not None
    assert after <= result <= after + dt.timedelta(days=8)
    local = result.astimezone(tz)
    days = recurrence_days(recurrence)
    assert days is not None
    wall = local.replace(tzinfo=None)
    if wall.time() == alarm.start_time:
        assert (local.weekday() + 1) % 7 in days
    else:
        # Only a start inside a gap moves, and only forward to the gap's end.
        just_before = (result - dt.timedelta(seconds=1)).astimezone(tz)
        assert just_before.utcoffset() != local.utcoffset()
        assert wall.time() > alarm.start_time


# --- settings and arguments ---------------------------------------------------------


def test_settings_defaults_and_arguments() -> None:
    setting = AlarmSettings(start_time=dt.time(6, 5, 4), room_uuid="RINCON_A")
    assert alarm_arguments(setting) == {
        "StartLocalTime": "06:05:04",
        "Duration": "01:00:00",
        "Recurrence": "DAILY",
        "Enabled": True,
        "RoomUUID": "RINCON_A",
        "ProgramURI": "x-rincon-buzzer:0",
        "ProgramMetaData": "",
        "PlayMode": "NORMAL",
        "Volume": 20,
        "IncludeLinkedZones": False,
    }
    arguments = alarm_arguments(
        AlarmSettings(
            start_time=dt.time(23, 59, 59),
            room_uuid="RINCON_B",
            duration=dt.timedelta(hours=23, minutes=59, seconds=59),
            recurrence="ON_06",
            enabled=False,
            program_uri="x-sonosapi-radio:s1?sid=254&flags=1",
            program_metadata=METADATA_17,
            play_mode="SHUFFLE",
            volume=100,
            include_linked_zones=True,
        ),
        alarm_id=9,
    )
    assert list(arguments) == [
        "ID",
        "StartLocalTime",
        "Duration",
        "Recurrence",
        "Enabled",
        "RoomUUID",
        "ProgramURI",
        "ProgramMetaData",
        "PlayMode",
        "Volume",
        "IncludeLinkedZones",
    ]
    assert arguments["ID"] == 9
    assert arguments["StartLocalTime"] == "23:59:59"
    assert arguments["Duration"] == "23:59:59"
    assert arguments["ProgramMetaData"] == METADATA_17


_ODD = (
    'ID="5" StartTime="06:30:00" Duration="" Recurrence="ON_113" Enabled="true" '
    'RoomUUID="RINCON_A" ProgramURI="x-rincon-buzzer:0" '
    'ProgramMetaData="a &amp; &lt;b&gt;" PlayMode="REPEAT_ONE" Volume="020" '
    'IncludeLinkedZones="0" Future="x"'
)


def test_patch_resends_untouched_fields_verbatim() -> None:
    (alarm,) = parse_alarm_list(f"<Alarms><Alarm {_ODD}/></Alarms>", "R:1").alarms
    arguments = patch_arguments(alarm, {"enabled": False})
    assert arguments == {
        "ID": 5,
        "StartLocalTime": "06:30:00",
        "Duration": "",
        "Recurrence": "ON_113",
        "Enabled": False,
        "RoomUUID": "RINCON_A",
        "ProgramURI": "x-rincon-buzzer:0",
        "ProgramMetaData": "a & <b>",
        "PlayMode": "REPEAT_ONE",
        "Volume": "020",
        "IncludeLinkedZones": "0",
    }
    untouched = {key for key, value in arguments.items() if isinstance(value, Verbatim)}
    assert untouched == set(arguments) - {"ID", "Enabled"}


def test_patch_checks_only_the_changes() -> None:
    (alarm,) = parse_alarm_list(f"<Alarms><Alarm {_ODD}/></Alarms>", "R:1").alarms
    arguments = patch_arguments(alarm, {"volume": 30, "start_time": dt.time(6, 45)})
    assert (arguments["Volume"], arguments["StartLocalTime"]) == (30, "06:45:00")
    assert arguments["PlayMode"] == "REPEAT_ONE"
    with pytest.raises(UpnpArgumentError, match="play_mode"):
        patch_arguments(alarm, {"play_mode": "REPEAT_ONE"})
    with pytest.raises(UpnpArgumentError, match="colour"):
        patch_arguments(alarm, {"colour": "red"})


def test_patch_of_an_alarm_built_in_python() -> None:
    alarm = _alarm(duration=None, program_metadata=METADATA_17, volume=7)
    arguments = patch_arguments(alarm, {"enabled": False})
    assert (arguments["Duration"], arguments["Volume"]) == ("", "7")
    assert arguments["ProgramMetaData"] == METADATA_17
    assert arguments["IncludeLinkedZones"] == "0"


@pytest.mark.parametrize(
    "changes",
    [
        {"start_time": "07:00:00"},
        {"start_time": dt.time(7, tzinfo=UTC)},
        {"start_time": dt.datetime(2026, 1, 1, 7, tzinfo=UTC)},
        {"room_uuid": ""},
        {"room_uuid": 5},
        {"duration": dt.timedelta(hours=24)},
        {"duration": dt.timedelta(seconds=-1)},
        {"duration": 60},
        {"recurrence": "ON_77"},
        {"recurrence": None},
        {"enabled": 1},
        {"include_linked_zones": "0"},
        {"program_uri": None},
        {"program_metadata": b"<DIDL-Lite/>"},
        {"play_mode": "RANDOM"},
        {"volume": 101},
        {"volume": -1},
        {"volume": True},
        {"volume": 20.0},
    ],
)
def test_settings_refuse_bad_values(changes: dict[str, object]) -> None:
    fields: dict[str, object] = {"start_time": dt.time(7), "room_uuid": "RINCON_A"}
    fields.update(changes)
    with pytest.raises(UpnpArgumentError):
        AlarmSettings(**fields)  # type: ignore[arg-type]
