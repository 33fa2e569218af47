"""An alarm's fields as the switch attributes, the actions and diagnostics show them."""

from __future__ import annotations

from homeassistant.util.json import JsonValueType

from .const import (
    ATTR_ALARM_ID,
    ATTR_DURATION,
    ATTR_ENABLED,
    ATTR_INCLUDE_LINKED_ZONES,
    ATTR_PLAY_MODE,
    ATTR_PROGRAM_URI,
    ATTR_RECURRENCE,
    ATTR_START_TIME,
    ATTR_VOLUME,
)
from .upnp.alarms import Alarm, UnreadableAlarm, format_clock


def _as_sent(value: JsonValueType, alarm: Alarm, attribute: str) -> JsonValueType:
    """Return value, or what the speaker sent when we cannot interpret it.

    An empty attribute (an empty Duration is "no duration") shows as None.
    """
    if value is not None:
        return value
    return alarm.raw.get(attribute) or None


def alarm_fields(alarm: Alarm) -> dict[str, JsonValueType]:
    """Return the fields of an alarm that the actions take, plus its ID."""
    duration = format_clock(alarm.duration) if alarm.duration is not None else None
    return {
        ATTR_ALARM_ID: alarm.alarm_id,
        ATTR_START_TIME: alarm.start_time.isoformat(),
        ATTR_DURATION: _as_sent(duration, alarm, "Duration"),
        ATTR_RECURRENCE: alarm.recurrence,
        ATTR_ENABLED: _as_sent(alarm.enabled, alarm, "Enabled"),
        ATTR_VOLUME: _as_sent(alarm.volume, alarm, "Volume"),
        ATTR_PLAY_MODE: alarm.play_mode,
        ATTR_INCLUDE_LINKED_ZONES: _as_sent(
            alarm.include_linked_zones, alarm, "IncludeLinkedZones"
        ),
        ATTR_PROGRAM_URI: alarm.program_uri,
    }


def alarm_diagnostics(alarm: Alarm) -> dict[str, JsonValueType]:
    """Return an alarm for diagnostics: the fields as read and as sent."""
    return {
        "alarm_id": alarm.alarm_id,
        "start_time": alarm.start_time.isoformat(),
        "duration": str(alarm.duration) if alarm.duration is not None else None,
        "recurrence": alarm.recurrence,
        "enabled": alarm.enabled,
        "room_uuid": alarm.room_uuid,
        "program_uri": alarm.program_uri,
        "program_metadata": alarm.program_metadata,
        "play_mode": alarm.play_mode,
        "volume": alarm.volume,
        "include_linked_zones": alarm.include_linked_zones,
        "raw": dict(alarm.raw),
    }


def unreadable_alarm_diagnostics(alarm: UnreadableAlarm) -> dict[str, JsonValueType]:
    """Return an alarm left out of the list, for diagnostics."""
    return {"reason": alarm.reason, "raw": dict(alarm.attributes)}
