"""The start time of each alarm, to change from a dashboard."""

from __future__ import annotations

from datetime import time

from homeassistant.components.time import TimeEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .alarm_entity import SonosUpnpAlarmEntity, async_add_alarm_entities
from .coordinator import SonosUpnpConfigEntry

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SonosUpnpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a start time per alarm; add and remove them as alarms come and go."""
    coordinator = entry.runtime_data.coordinator
    async_add_alarm_entities(
        hass,
        entry,
        async_add_entities,
        "time",
        lambda alarm_id: [SonosUpnpAlarmStartTime(coordinator, alarm_id, "start")],
    )


class SonosUpnpAlarmStartTime(SonosUpnpAlarmEntity, TimeEntity):
    """When the alarm starts, household local time."""

    _attr_entity_category = EntityCategory.CONFIG
    _attr_translation_key = "alarm_start"

    @property
    def native_value(self) -> time | None:
        """Return the alarm's start time."""
        alarm = self.alarm
        return alarm.start_time if alarm else None

    async def async_set_value(self, value: time) -> None:
        """Move the alarm to another start time (to the second)."""
        await self.async_update_alarm(start_time=value.replace(microsecond=0))
