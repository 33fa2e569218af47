"""Sonos alarms: the household's alarm list, when alarms ring, and changing them.

Alarms live in the household, not in one speaker: any player's AlarmClock
service lists, creates, updates and destroys all of them. `ListAlarms` returns
the list as an XML document of `<Alarm .../>` elements plus a version string
`RINCON_<player>:<counter>` that changes with every edit (the AlarmClock event
carries the same string as `AlarmListVersion`).

The operations take any `SoapCaller` (`SonosUpnpClient` is one), so this module
never speaks HTTP itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, Protocol

from .catalog import error_label, get_service
from .exceptions import (
    AlarmNotFoundError,
    UpnpArgumentError,
    UpnpResponseError,
)
from .safe_xml import local_name, parse_xml
from .values import RECURRENCE_PATTERN

SERVICE: Final = "AlarmClock"
ALARM_NOT_FOUND: Final = 800

DAILY: Final = "DAILY"
ONCE: Final = "ONCE"
WEEKDAYS: Final = "WEEKDAYS"
WEEKENDS: Final = "WEEKENDS"
_NAMED_RECURRENCES: Final = frozenset({DAILY, ONCE, WEEKDAYS, WEEKENDS})
# Sonos numbers days 0 (Sunday) to 6 (Saturday).
_RECURRENCE_DAYS: Final[dict[str, frozenset[int]]] = {
    DAILY: frozenset(range(7)),
    ONCE: frozenset(range(7)),
    WEEKDAYS: frozenset({1, 2, 3, 4, 5}),
    WEEKENDS: frozenset({0, 6}),
}
MAX_VOLUME: Final = 100
_CLOCK: Final = re.compile(r"([0-9]{1,2}):([0-5][0-9]):([0-5][0-9])")
_VERSION: Final = re.compile(r"(.+):([0-9]+)")
_TRUE: Final = frozenset({"1", "true"})
_FALSE: Final = frozenset({"0", "false"})
_DAY: Final = dt.timedelta(days=1)
_UTC: Final = dt.UTC


class SoapCaller(Protocol):
    """Anything that invokes a SOAP action on a speaker (SonosUpnpClient does)."""

    async def call(
        self,
        host: str,
        port: int,
        service: str,
        action: str,
        args: Mapping[str, object] | None = None,
    ) -> dict[str, Any]:
        """Invoke service.action on host:port and return its typed outputs."""


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm of the household as ListAlarms reports it."""

    alarm_id: int
    start_time: dt.time
    duration: dt.timedelta
    recurrence: str
    enabled: bool
    room_uuid: str
    program_uri: str
    program_metadata: str
    play_mode: str
    volume: int
    include_linked_zones: bool


class AlarmListVersion(NamedTuple):
    """An alarm list version `RINCON_x:n` split into the player that wrote it and n."""

    household_part: str
    counter: int


@dataclass(frozen=True, slots=True)
class AlarmList:
    """Every alarm of the household and the version of the list."""

    version: str
    alarms: tuple[Alarm, ...]

    def get(self, alarm_id: int) -> Alarm | None:
        """Return the alarm with that ID, if the list has it."""
        return next(
            (alarm for alarm in self.alarms if alarm.alarm_id == alarm_id), None
        )

    @property
    def parsed_version(self) -> AlarmListVersion | None:
        """The version split into its parts; None when it has another shape."""
        return parse_alarm_list_version(self.version)


def parse_alarm_list_version(version: str) -> AlarmListVersion | None:
    """Split `RINCON_x:n` into ("RINCON_x", n); None when it has another shape."""
    match = _VERSION.fullmatch(version.strip())
    if match is None:
        return None
    return AlarmListVersion(match[1], int(match[2]))


def validate_recurrence(value: str) -> str:
    """Return value if Sonos accepts it as a recurrence, else raise.

    DAILY, ONCE, WEEKDAYS, WEEKENDS or ON_ followed by 1 to 7 distinct days
    0-6 (0 is Sunday), e.g. ON_135.
    """
    if not isinstance(value, str) or not (
        value in _NAMED_RECURRENCES or RECURRENCE_PATTERN.fullmatch(value)
    ):
        raise UpnpArgumentError(f"invalid alarm recurrence {value!r}")
    return value


def recurrence_days(recurrence: str) -> frozenset[int] | None:
    """Return the Sonos days (0 = Sunday) an alarm rings on; None if unknown."""
    if recurrence in _RECURRENCE_DAYS:
        return _RECURRENCE_DAYS[recurrence]
    if RECURRENCE_PATTERN.fullmatch(recurrence):
        return frozenset(int(day) for day in recurrence.removeprefix("ON_"))
    return None


# --- parsing ------------------------------------------------------------------------


def parse_alarm_list(alarm_list_xml: str | bytes, version: str) -> AlarmList:
    """Parse ListAlarms' CurrentAlarmList; raise UpnpResponseError if malformed.

    Unknown attributes are ignored. ProgramMetaData and IncludeLinkedZones may
    be absent (old firmware); every other attribute is required. Recurrences
    are kept as sent, even ones this module does not know.
    """
    root = parse_xml(alarm_list_xml)
    if local_name(root.tag) != "Alarms":
        raise UpnpResponseError(f"alarm list root is <{local_name(root.tag)}>")
    alarms = tuple(
        _parse_alarm(element.attrib)
        for element in root
        if local_name(element.tag) == "Alarm"
    )
    return AlarmList(version=version, alarms=alarms)


def _parse_alarm(attributes: Mapping[str, str]) -> Alarm:
    """Build one alarm from the attributes of an <Alarm> element."""

    def required(name: str) -> str:
        if (value := attributes.get(name)) is None:
            raise UpnpResponseError(f"alarm without {name}: {dict(attributes)!r}")
        return value

    alarm_id = _parse_number(required("ID"), "ID")
    start_time = _parse_clock(required("StartTime"), "StartTime")
    return Alarm(
        alarm_id=alarm_id,
        start_time=dt.time(*start_time),
        duration=dt.timedelta(
            hours=(duration := _parse_clock(required("Duration"), "Duration"))[0],
            minutes=duration[1],
            seconds=duration[2],
        ),
        recurrence=required("Recurrence"),
        enabled=_parse_flag(required("Enabled"), "Enabled"),
        room_uuid=required("RoomUUID"),
        program_uri=required("ProgramURI"),
        program_metadata=attributes.get("ProgramMetaData", ""),
        play_mode=required("PlayMode"),
        volume=_parse_number(required("Volume"), "Volume"),
        include_linked_zones=_parse_flag(
            attributes.get("IncludeLinkedZones", "0"), "IncludeLinkedZones"
        ),
    )


def _parse_number(value: str, name: str) -> int:
    if not value.strip().isascii() or not value.strip().isdigit():
        raise UpnpResponseError(f"alarm {name} {value!r} is not a number")
    return int(value)


def _parse_flag(value: str, name: str) -> bool:
    flag = value.strip().lower()
    if flag in _TRUE:
        return True
    if flag in _FALSE:
        return False
    raise UpnpResponseError(f"alarm {name} {value!r} is not a boolean")


def _parse_clock(value: str, name: str) -> tuple[int, int, int]:
    match = _CLOCK.fullmatch(value.strip())
    if match is None or int(match[1]) > 23:  # noqa: PLR2004 - hours of a day
        raise UpnpResponseError(f"alarm {name} {value!r} is not HH:MM:SS")
    return int(match[1]), int(match[2]), int(match[3])


# --- when alarms ring ---------------------------------------------------------------


def next_occurrence(
    alarm: Alarm, after: dt.datetime, tz: dt.tzinfo
) -> dt.datetime | None:
    """Return the alarm's next start at or after `after`, in the household's tz.

    None when the alarm is disabled or its recurrence is unknown. A start time
    that falls into a spring-forward gap rings at the first instant after the
    gap; one that exists twice (autumn fold) rings at its first occurrence.
    """
    if after.tzinfo is None or after.utcoffset() is None:
        raise UpnpArgumentError("next_occurrence needs an aware datetime")
    days = recurrence_days(alarm.recurrence)
    if not alarm.enabled or days is None:
        return None
    # Start a day early: a start shifted past a gap at midnight lands on the next day.
    day = after.astimezone(tz).date() - _DAY
    for _ in range(9):
        if (day.weekday() + 1) % 7 in days:
            start = _local_instant(day, alarm.start_time, tz)
            if start >= after:
                return start
        day += _DAY
    return None  # pragma: no cover - every recurrence rings within a week


def _local_instant(day: dt.date, clock: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """Return the instant a wall clock in tz shows `clock` on `day` (gaps/folds)."""
    wall = dt.datetime.combine(day, clock.replace(tzinfo=None))
    first = wall.replace(tzinfo=tz, fold=0)  # in a fold: the first occurrence
    if first.astimezone(_UTC).astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # In a gap: fold=0 reads the wall with the offset before the switch, fold=1
    # with the offset after it; the switch lies between the two instants.
    late = first.astimezone(_UTC)
    early = wall.replace(tzinfo=tz, fold=1).astimezone(_UTC)
    early, late = min(early, late), max(early, late)
    after_offset = late.astimezone(tz).utcoffset()
    while late - early > dt.timedelta(seconds=1):
        middle = early + (late - early) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(tz).utcoffset() == after_offset:
            late = middle
        else:
            early = middle
    return late.astimezone(tz)


# --- creating and changing ----------------------------------------------------------


def _allowed_play_modes() -> frozenset[str]:
    argument = get_service(SERVICE).action("CreateAlarm").input("PlayMode")
    return frozenset(argument.allowed_values if argument else ())


PLAY_MODES: Final = _allowed_play_modes()


@dataclass(frozen=True, slots=True)
class AlarmSettings:
    """Everything CreateAlarm and UpdateAlarm send, validated on construction."""

    start_time: dt.time
    room_uuid: str
    duration: dt.timedelta = dt.timedelta(hours=1)
    recurrence: str = DAILY
    enabled: bool = True
    program_uri: str = "x-rincon-buzzer:0"
    program_metadata: str = ""
    play_mode: str = "NORMAL"
    volume: int = 20
    include_linked_zones: bool = False

    def __post_init__(self) -> None:
        """Refuse anything a speaker would refuse, before it is sent."""
        if not isinstance(self.start_time, dt.time) or self.start_time.tzinfo:
            raise UpnpArgumentError(f"start_time {self.start_time!r} is no local time")
        if not isinstance(self.duration, dt.timedelta) or not (
            dt.timedelta(0) <= self.duration < _DAY
        ):
            raise UpnpArgumentError(f"duration {self.duration!r} is not 0 to 24 hours")
        validate_recurrence(self.recurrence)
        for name in ("room_uuid", "program_uri", "program_metadata"):
            if not isinstance(getattr(self, name), str):
                raise UpnpArgumentError(f"{name} must be a string")
        if not self.room_uuid:
            raise UpnpArgumentError("room_uuid must not be empty")
        if self.play_mode not in PLAY_MODES:
            raise UpnpArgumentError(
                f"play_mode {self.play_mode!r} is not one of {sorted(PLAY_MODES)}"
            )
        for name in ("enabled", "include_linked_zones"):
            if not isinstance(getattr(self, name), bool):
                raise UpnpArgumentError(f"{name} must be a boolean")
        if (
            not isinstance(self.volume, int)
            or isinstance(self.volume, bool)
            or not 0 <= self.volume <= MAX_VOLUME
        ):
            raise UpnpArgumentError(f"volume {self.volume!r} is not 0 to {MAX_VOLUME}")

    @classmethod
    def from_alarm(cls, alarm: Alarm) -> AlarmSettings:
        """Return the settings an existing alarm was made with."""
        fields = {
            field.name: getattr(alarm, field.name) for field in dataclasses.fields(cls)
        }
        return cls(**fields)


SETTING_NAMES: Final = frozenset(
    field.name for field in dataclasses.fields(AlarmSettings)
)


def format_clock(value: dt.time | dt.timedelta) -> str:
    """Format a time of day or a duration as HH:MM:SS."""
    if isinstance(value, dt.time):
        return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    seconds = int(value.total_seconds())
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def alarm_arguments(
    settings: AlarmSettings, alarm_id: int | None = None
) -> dict[str, object]:
    """Return the arguments of CreateAlarm, or of UpdateAlarm when given an ID."""
    arguments: dict[str, object] = {} if alarm_id is None else {"ID": alarm_id}
    arguments.update(
        StartLocalTime=format_clock(settings.start_time),
        Duration=format_clock(settings.duration),
        Recurrence=settings.recurrence,
        Enabled=settings.enabled,
        RoomUUID=settings.room_uuid,
        ProgramURI=settings.program_uri,
        ProgramMetaData=settings.program_metadata,
        PlayMode=settings.play_mode,
        Volume=settings.volume,
        IncludeLinkedZones=settings.include_linked_zones,
    )
    return arguments


# --- operations -------------------------------------------------------------------


async def list_alarms(caller: SoapCaller, host: str, port: int) -> AlarmList:
    """Return every alarm of the household that host belongs to."""
    outputs = await caller.call(host, port, SERVICE, "ListAlarms")
    alarm_list = outputs.get("CurrentAlarmList")
    version = outputs.get("CurrentAlarmListVersion")
    if not isinstance(alarm_list, str) or not isinstance(version, str):
        raise UpnpResponseError(f"ListAlarms answered {outputs!r}")
    return parse_alarm_list(alarm_list, version)


async def create_alarm(
    caller: SoapCaller, host: str, port: int, settings: AlarmSettings
) -> int:
    """Create an alarm and return its ID (DuplicateAlarmError if the time is taken)."""
    outputs = await caller.call(
        host, port, SERVICE, "CreateAlarm", alarm_arguments(settings)
    )
    assigned = outputs.get("AssignedID")
    if not isinstance(assigned, int) or isinstance(assigned, bool):
        raise UpnpResponseError(f"CreateAlarm answered {outputs!r}")
    return assigned


async def update_alarm(
    caller: SoapCaller, host: str, port: int, alarm_id: int, **changes: object
) -> Alarm:
    """Change only the given fields of an alarm and return the updated alarm.

    The other fields, ProgramURI and ProgramMetaData among them, are sent back
    exactly as ListAlarms reported them. Unknown field names or bad values raise
    UpnpArgumentError before anything is sent; AlarmNotFoundError when the
    household has no such alarm.
    """
    if unknown := sorted(set(changes) - SETTING_NAMES):
        raise UpnpArgumentError(f"unknown alarm fields {unknown}")
    current = (await list_alarms(caller, host, port)).get(alarm_id)
    if current is None:
        service = get_service(SERVICE)
        raise AlarmNotFoundError(
            ALARM_NOT_FOUND,
            error_label(service, ALARM_NOT_FOUND) or "Alarm not found",
            SERVICE,
            "UpdateAlarm",
        )
    # Typed as Any on purpose: AlarmSettings checks every value at run time.
    checked_later: dict[str, Any] = dict(changes)
    settings = dataclasses.replace(AlarmSettings.from_alarm(current), **checked_later)
    await caller.call(
        host, port, SERVICE, "UpdateAlarm", alarm_arguments(settings, alarm_id)
    )
    return Alarm(
        alarm_id=alarm_id, **{name: getattr(settings, name) for name in SETTING_NAMES}
    )


async def delete_alarm(caller: SoapCaller, host: str, port: int, alarm_id: int) -> None:
    """Destroy an alarm (AlarmNotFoundError from the speaker if it is unknown)."""
    await caller.call(host, port, SERVICE, "DestroyAlarm", {"ID": alarm_id})
