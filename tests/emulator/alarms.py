"""The household-wide alarm list (AlarmClock service state)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any, Final
from xml.etree.ElementTree import Element, SubElement

from .xml_tools import to_text

_TIME: Final = re.compile(r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$")
_RECURRENCE: Final = re.compile(r"^(DAILY|ONCE|WEEKDAYS|WEEKENDS|ON_[0-6]{1,7})$")
# The SCPD lists four; players also take the other two AVTransport play modes
# (SoCo writes all six for alarms).
PLAY_MODES: Final = frozenset(
    (
        "NORMAL",
        "REPEAT_ALL",
        "REPEAT_ONE",
        "SHUFFLE_NOREPEAT",
        "SHUFFLE",
        "SHUFFLE_REPEAT_ONE",
    )
)
ERROR_ALARM_NOT_FOUND: Final = 800
ERROR_DUPLICATE_ALARM: Final = 801


class AlarmError(Exception):
    """An alarm operation a speaker refuses, with its UPnP error code."""

    def __init__(self, code: int) -> None:
        """Keep the UPnP error code."""
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm as ListAlarms shows it."""

    id: int
    start_time: str
    duration: str
    recurrence: str
    enabled: bool
    room_uuid: str
    program_uri: str = "x-rincon-buzzer:0"
    program_metadata: str = ""
    play_mode: str = "NORMAL"
    volume: int = 20
    include_linked_zones: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the alarm as a JSON-able dict."""
        return asdict(self)


def validate_alarm(alarm: Alarm, stored: Alarm | None = None) -> None:
    """Raise AlarmError(402) for values a speaker refuses.

    An empty Duration means "no duration". A recurrence or play mode the
    stored alarm already has is taken back as it is, even one we would not
    accept new: the player keeps what another client wrote.
    """
    if not _TIME.match(alarm.start_time):
        raise AlarmError(402)
    if alarm.duration and not _TIME.match(alarm.duration):
        raise AlarmError(402)
    if not _RECURRENCE.match(alarm.recurrence) and (
        stored is None or alarm.recurrence != stored.recurrence
    ):
        raise AlarmError(402)
    if alarm.play_mode not in PLAY_MODES and (
        stored is None or alarm.play_mode != stored.play_mode
    ):
        raise AlarmError(402)
    if alarm.volume > 100:
        raise AlarmError(402)


class AlarmList:
    """Alarms shared by all players of a household, with a list version."""

    def __init__(self, owner_uuid: str, first_id: int = 1) -> None:
        """Start empty; versions look like `<owner_uuid>:<n>`."""
        self.owner_uuid = owner_uuid
        self.version_number = 1
        self._next_id = first_id
        self._alarms: dict[int, Alarm] = {}
        # <Alarm> elements another client left that no alarm of ours matches
        # (a second alarm with a known ID, one without ID or StartTime):
        # listed after the alarms exactly as given, never updated or destroyed.
        self.foreign: list[dict[str, str]] = []

    @property
    def version(self) -> str:
        """Return the CurrentAlarmListVersion / AlarmListVersion value."""
        return f"{self.owner_uuid}:{self.version_number}"

    @property
    def alarms(self) -> tuple[Alarm, ...]:
        """Return the alarms in ID order."""
        return tuple(self._alarms[key] for key in sorted(self._alarms))

    def get(self, alarm_id: int) -> Alarm:
        """Return an alarm or raise AlarmError(800)."""
        try:
            return self._alarms[alarm_id]
        except KeyError:
            raise AlarmError(ERROR_ALARM_NOT_FOUND) from None

    def _check_duplicate(self, alarm: Alarm) -> None:
        for other in self._alarms.values():
            if (
                other.id != alarm.id
                and other.room_uuid == alarm.room_uuid
                and other.start_time == alarm.start_time
            ):
                raise AlarmError(ERROR_DUPLICATE_ALARM)

    def create(self, alarm: Alarm) -> Alarm:
        """Add an alarm (its id is assigned here) and bump the version."""
        alarm = replace(alarm, id=self._next_id)
        validate_alarm(alarm)
        self._check_duplicate(alarm)
        self._next_id += 1
        self._alarms[alarm.id] = alarm
        self.version_number += 1
        return alarm

    def restore(self, alarm: Alarm) -> Alarm:
        """Store an alarm as another client wrote it: its ID, no checks."""
        self._alarms[alarm.id] = alarm
        self._next_id = max(self._next_id, alarm.id + 1)
        self.version_number += 1
        return alarm

    def add_foreign(self, attributes: dict[str, str]) -> None:
        """List an <Alarm> element with exactly these attributes (see foreign)."""
        self.foreign.append(dict(attributes))
        if attributes.get("ID", "").isdigit():
            self._next_id = max(self._next_id, int(attributes["ID"]) + 1)
        self.version_number += 1

    def update(self, alarm: Alarm) -> Alarm:
        """Replace an existing alarm and bump the version."""
        validate_alarm(alarm, self.get(alarm.id))
        self._check_duplicate(alarm)
        self._alarms[alarm.id] = alarm
        self.version_number += 1
        return alarm

    def destroy(self, alarm_id: int) -> None:
        """Remove an alarm and bump the version."""
        self.get(alarm_id)
        del self._alarms[alarm_id]
        self.version_number += 1

    def to_xml(self) -> str:
        """Return the CurrentAlarmList document (unescaped)."""
        root = Element("Alarms")
        for alarm in self.alarms:
            SubElement(
                root,
                "Alarm",
                {
                    "ID": str(alarm.id),
                    "StartTime": alarm.start_time,
                    "Duration": alarm.duration,
                    "Recurrence": alarm.recurrence,
                    "Enabled": "1" if alarm.enabled else "0",
                    "RoomUUID": alarm.room_uuid,
                    "ProgramURI": alarm.program_uri,
                    "ProgramMetaData": alarm.program_metadata,
                    "PlayMode": alarm.play_mode,
                    "Volume": str(alarm.volume),
                    "IncludeLinkedZones": "1" if alarm.include_linked_zones else "0",
                },
            )
        for attributes in self.foreign:
            SubElement(root, "Alarm", attributes)
        return to_text(root)
