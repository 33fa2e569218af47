"""An alarm's fields as the switch attributes and the actions show them."""

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
from .upnp.alarms import Alarm, format_clock


def alarm_fields(alarm: Alarm) -> dict[str, JsonValueType]:
    """Return the fields of an alarm that the actions take, plus its ID."""
    return {
        ATTR_ALARM_ID: alarm.alarm_id,
        ATTR_START_TIME: alarm.start_time.isoformat(),
        ATTR_DURATION: format_clock(alarm.duration),
        ATTR_RECURRENCE: alarm.recurrence,
        ATTR_ENABLED: alarm.enabled,
        ATTR_VOLUME: alarm.volume,
        ATTR_PLAY_MODE: alarm.play_mode,
        ATTR_INCLUDE_LINKED_ZONES: alarm.include_linked_zones,
        ATTR_PROGRAM_URI: alarm.program_uri,
    }
