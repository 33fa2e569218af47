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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, NamedTuple, Protocol, TypeIs

from .catalog import error_label, get_service
from .exceptions import (
    AlarmNotFoundError,
    UpnpArgumentError,
    UpnpResponseError,
)
from .safe_xml import local_name, parse_xml
from .values import RECURRENCE_PATTERN, Verbatim

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


_NO_ATTRIBUTES: Final[Mapping[str, str]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm of the household as ListAlarms reports it.

    Fields another client may have written in a form we cannot interpret are
    None then (duration is also None for "no duration", an empty Duration);
    `raw` holds every attribute exactly as the speaker sent it, so the value
    can be shown and re-sent as it is. Recurrence and play mode are kept as
    sent, known to us or not.
    """

    alarm_id: int
    start_time: dt.time
    duration: dt.timedelta | None
    recurrence: str
    enabled: bool | None
    room_uuid: str
    program_uri: str
    program_metadata: str
    play_mode: str
    volume: int | None
    include_linked_zones: bool | None
    raw: Mapping[str, str] = field(default=_NO_ATTRIBUTES, hash=False, repr=False)


@dataclass(frozen=True, slots=True)
class UnreadableAlarm:
    """An `<Alarm>` of the list that cannot be read at all, and why."""

    attributes: Mapping[str, str] = field(hash=False)
    reason: str


class AlarmListVersion(NamedTuple):
    """An alarm list version `RINCON_x:n` split into the player that wrote it and n."""

    household_part: str
    counter: int


@dataclass(frozen=True, slots=True)
class AlarmList:
    """Every alarm of the household and the version of the list.

    `unreadable` are the alarms left out of `alarms` because they cannot be
    read at all; `duplicates` are later alarms with an ID an earlier one of
    the list already has (the first one is in `alarms`).
    """

    version: str
    alarms: tuple[Alarm, ...]
    unreadable: tuple[UnreadableAlarm, ...] = ()
    duplicates: tuple[Alarm, ...] = ()

    def get(self, alarm_id: int) -> Alarm | None:
        """Return the alarm with that ID, if the list has it."""
        return next(
            (alarm for alarm in self.alarms if alarm.alarm_id == alarm_id), None
        )

    @property
    def duplicate_ids(self) -> tuple[int, ...]:
        """The IDs that more than one alarm of the list has, in ascending order."""
        return tuple(sorted({alarm.alarm_id for alarm in self.duplicates}))

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


def validate_recurrence(value: object) -> str:
    """Return value if Sonos accepts it as a recurrence, else raise.

    DAILY, ONCE, WEEKDAYS, WEEKENDS or ON_ followed by 1 to 7 distinct days
    0-6 (0 is Sunday), e.g. ON_135.
    """
    if not _is_recurrence(value):
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


# ListAlarms attribute of each AlarmSettings field.
ATTRIBUTES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "start_time": "StartTime",
        "duration": "Duration",
        "recurrence": "Recurrence",
        "enabled": "Enabled",
        "room_uuid": "RoomUUID",
        "program_uri": "ProgramURI",
        "program_metadata": "ProgramMetaData",
        "play_mode": "PlayMode",
        "volume": "Volume",
        "include_linked_zones": "IncludeLinkedZones",
    }
)
# Old firmware leaves these out; a speaker reads their absence as these values.
_ATTRIBUTE_DEFAULTS: Final[Mapping[str, str]] = MappingProxyType(
    {"ProgramMetaData": "", "IncludeLinkedZones": "0"}
)
# ListAlarms says StartTime where CreateAlarm and UpdateAlarm say StartLocalTime.
_ARGUMENT_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {"StartTime": "StartLocalTime"}
)


# Characters of an odd value a reason quotes; the attributes hold it whole.
_MAX_SHOWN: Final = 40


class _UnreadableError(Exception):
    """Why an <Alarm> element cannot be read at all."""


def parse_alarm_list(alarm_list_xml: str | bytes, version: str) -> AlarmList:
    """Parse ListAlarms' CurrentAlarmList, one alarm at a time.

    Only a document that is not an `<Alarms>` list raises UpnpResponseError.
    An alarm without a numeric ID, a readable StartTime or an attribute
    UpdateAlarm needs goes to `unreadable`; a later alarm with an ID already
    seen goes to `duplicates`. Values that cannot be interpreted are kept
    verbatim (see Alarm); unknown attributes are kept in `raw` and ignored.
    """
    root = parse_xml(alarm_list_xml)
    if local_name(root.tag) != "Alarms":
        raise UpnpResponseError(f"alarm list root is <{local_name(root.tag)}>")
    alarms: dict[int, Alarm] = {}
    unreadable: list[UnreadableAlarm] = []
    duplicates: list[Alarm] = []
    for element in root:
        if local_name(element.tag) != "Alarm":
            continue
        attributes = MappingProxyType(dict(element.attrib))
        try:
            alarm = _parse_alarm(attributes)
        except _UnreadableError as err:
            unreadable.append(UnreadableAlarm(attributes, str(err)))
            continue
        if alarm.alarm_id in alarms:
            duplicates.append(alarm)
        else:
            alarms[alarm.alarm_id] = alarm
    return AlarmList(
        version=version,
        alarms=tuple(alarms.values()),
        unreadable=tuple(unreadable),
        duplicates=tuple(duplicates),
    )


def _parse_alarm(attributes: Mapping[str, str]) -> Alarm:
    """Build one alarm from the attributes of an <Alarm> element."""

    def required(name: str) -> str:
        value = attributes.get(name, _ATTRIBUTE_DEFAULTS.get(name))
        if value is None:
            raise _UnreadableError(f"no {name}")
        return value

    alarm_id = _parse_number(required("ID"))
    if alarm_id is None:
        raise _UnreadableError(f"ID {attributes['ID'][:_MAX_SHOWN]!r} is not a number")
    start_time = _parse_clock(required("StartTime"))
    if start_time is None:
        raise _UnreadableError(
            f"StartTime {attributes['StartTime'][:_MAX_SHOWN]!r} is not HH:MM:SS"
        )
    duration = _parse_clock(required("Duration"))
    return Alarm(
        alarm_id=alarm_id,
        start_time=dt.time(*start_time),
        duration=None
        if duration is None
        else dt.timedelta(hours=duration[0], minutes=duration[1], seconds=duration[2]),
        recurrence=required("Recurrence"),
        enabled=_parse_flag(required("Enabled")),
        room_uuid=required("RoomUUID"),
        program_uri=required("ProgramURI"),
        program_metadata=required("ProgramMetaData"),
        play_mode=required("PlayMode"),
        volume=_parse_number(required("Volume")),
        include_linked_zones=_parse_flag(required("IncludeLinkedZones")),
        raw=attributes
        if isinstance(attributes, MappingProxyType)
        else MappingProxyType(dict(attributes)),
    )


def _parse_number(value: str) -> int | None:
    text = value.strip()
    # Bounded: int() refuses very long digit strings.
    if not text.isascii() or not text.isdigit() or len(text) > 10:  # noqa: PLR2004
        return None
    return int(text)


def _parse_flag(value: str) -> bool | None:
    flag = value.strip().lower()
    if flag in _TRUE:
        return True
    if flag in _FALSE:
        return False
    return None


def _parse_clock(value: str) -> tuple[int, int, int] | None:
    match = _CLOCK.fullmatch(value.strip())
    if match is None or int(match[1]) > 23:  # noqa: PLR2004 - hours of a day
        return None
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


def _is_local_time(value: object) -> bool:
    return isinstance(value, dt.time) and value.tzinfo is None


def _is_duration(value: object) -> bool:
    return isinstance(value, dt.timedelta) and dt.timedelta(0) <= value < _DAY


def _is_recurrence(value: object) -> TypeIs[str]:
    return isinstance(value, str) and (
        value in _NAMED_RECURRENCES or RECURRENCE_PATTERN.fullmatch(value) is not None
    )


def _is_volume(value: object) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and 0 <= value <= MAX_VOLUME
    )


# Each field of AlarmSettings: what a speaker takes, and what to say otherwise.
_SETTING_CHECKS: Final[Mapping[str, tuple[Callable[[object], bool], str]]] = {
    "start_time": (_is_local_time, "is no local time"),
    "duration": (_is_duration, "is not 0 to 24 hours"),
    "recurrence": (
        _is_recurrence,
        "is not DAILY, ONCE, WEEKDAYS, WEEKENDS or ON_ with distinct days 0-6",
    ),
    "enabled": (lambda value: isinstance(value, bool), "is not a boolean"),
    "room_uuid": (
        lambda value: isinstance(value, str) and bool(value),
        "is not a room UUID",
    ),
    "program_uri": (lambda value: isinstance(value, str), "is not a string"),
    "program_metadata": (lambda value: isinstance(value, str), "is not a string"),
    "play_mode": (
        lambda value: value in PLAY_MODES,
        f"is not one of {sorted(PLAY_MODES)}",
    ),
    "volume": (_is_volume, f"is not 0 to {MAX_VOLUME}"),
    "include_linked_zones": (
        lambda value: isinstance(value, bool),
        "is not a boolean",
    ),
}


def _check_setting(name: str, value: object) -> None:
    """Refuse a value of one AlarmSettings field that a speaker would refuse."""
    accepts, problem = _SETTING_CHECKS[name]
    if not accepts(value):
        raise UpnpArgumentError(f"{name} {value!r} {problem}")


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
        for setting in dataclasses.fields(self):
            _check_setting(setting.name, getattr(self, setting.name))


SETTING_NAMES: Final = frozenset(
    field.name for field in dataclasses.fields(AlarmSettings)
)


def format_clock(value: dt.time | dt.timedelta) -> str:
    """Format a time of day or a duration as HH:MM:SS."""
    if isinstance(value, dt.time):
        return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    seconds = int(value.total_seconds())
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _setting_argument(value: object) -> object:
    """Return a checked setting as SoapCaller.call takes it."""
    if isinstance(value, dt.time | dt.timedelta):
        return format_clock(value)
    return value


def alarm_arguments(
    settings: AlarmSettings, alarm_id: int | None = None
) -> dict[str, object]:
    """Return the arguments of CreateAlarm, or of UpdateAlarm when given an ID."""
    arguments: dict[str, object] = {} if alarm_id is None else {"ID": alarm_id}
    for name, attribute in ATTRIBUTES.items():
        arguments[_ARGUMENT_NAMES.get(attribute, attribute)] = _setting_argument(
            getattr(settings, name)
        )
    return arguments


def patch_arguments(alarm: Alarm, changes: Mapping[str, object]) -> dict[str, object]:
    """Return UpdateAlarm's arguments for changing only the given fields.

    Only the changes are checked (UpnpArgumentError). Every other field goes
    back exactly as the speaker listed it, as `Verbatim` text, even a value
    we cannot interpret or one the SCPD does not list.
    """
    if unknown := sorted(set(changes) - SETTING_NAMES):
        raise UpnpArgumentError(f"unknown alarm fields {unknown}")
    arguments: dict[str, object] = {"ID": alarm.alarm_id}
    for name, attribute in ATTRIBUTES.items():
        argument = _ARGUMENT_NAMES.get(attribute, attribute)
        if name in changes:
            _check_setting(name, changes[name])
            arguments[argument] = _setting_argument(changes[name])
        else:
            # Absent (old firmware, or an Alarm built in Python): the typed value.
            sent = alarm.raw.get(attribute)
            arguments[argument] = Verbatim(
                _setting_text(getattr(alarm, name)) if sent is None else sent
            )
    return arguments


def _setting_text(value: object) -> str:
    """Return the wire text of a value (for alarms built without `raw`)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.time | dt.timedelta):
        return format_clock(value)
    return "" if value is None else str(value)


# --- operations -------------------------------------------------------------------


async def list_alarms(caller: SoapCaller, host: str, port: int) -> AlarmList:
    """Return every alarm of the household that host belongs to."""
    outputs = await caller.call(host, port, SERVICE, "ListAlarms")
    alarm_list = outputs.get("CurrentAlarmList")
    version = outputs.get("CurrentAlarmListVersion")
    if not isinstance(alarm_list, str) or not isinstance(version, str):
        raise UpnpResponseError(
            "ListAlarms answered without an alarm list and its version"
        )
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
        raise UpnpResponseError("CreateAlarm answered without the new alarm's ID")
    return assigned


async def update_alarm(
    caller: SoapCaller, host: str, port: int, alarm_id: int, **changes: object
) -> Alarm:
    """Change only the given fields of an alarm and return the updated alarm.

    Every other field goes back exactly as ListAlarms reported it, byte for
    byte, and is not checked again (see patch_arguments). Unknown field names
    or bad values raise UpnpArgumentError before anything is sent;
    AlarmNotFoundError when the household has no such alarm.
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
    arguments = patch_arguments(current, changes)
    await caller.call(host, port, SERVICE, "UpdateAlarm", arguments)
    sent = {
        attribute: _setting_text(arguments[_ARGUMENT_NAMES.get(attribute, attribute)])
        for attribute in ATTRIBUTES.values()
    }
    return _parse_alarm({**current.raw, **sent, "ID": str(alarm_id)})


async def delete_alarm(caller: SoapCaller, host: str, port: int, alarm_id: int) -> None:
    """Destroy an alarm (AlarmNotFoundError from the speaker if it is unknown)."""
    await caller.call(host, port, SERVICE, "DestroyAlarm", {"ID": alarm_id})
