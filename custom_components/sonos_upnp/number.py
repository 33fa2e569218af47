"""The volume of each alarm, to change from a dashboard."""

from __future__ import annotations

from homeassistant.components.number import NumberEntity, NumberMode
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .alarm_entity import SonosUpnpAlarmEntity, async_add_alarm_entities
from .coordinator import SonosUpnpConfigEntry
from .upnp.alarms import MAX_VOLUME

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SonosUpnpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a volume per alarm; add and remove them as alarms come and go."""
    coordinator = entry.runtime_data.coordinator
    async_add_alarm_entities(
        hass,
        entry,
        async_add_entities,
        "number",
        lambda alarm_id: [SonosUpnpAlarmVolume(coordinator, alarm_id, "volume")],
    )


class SonosUpnpAlarmVolume(SonosUpnpAlarmEntity, NumberEntity):
    """The volume the alarm plays at, 0 to 100; unknown when unreadable."""

    _attr_entity_category = EntityCategory.CONFIG
    _attr_translation_key = "alarm_volume"
    _attr_native_min_value = 0
    _attr_native_max_value = MAX_VOLUME
    _attr_native_step = 1
    _attr_mode = NumberMode.SLIDER

    @property
    def native_value(self) -> int | None:
        """Return the alarm's volume; None when the speaker's is unreadable."""
        alarm = self.alarm
        return alarm.volume if alarm else None

    async def async_set_native_value(self, value: float) -> None:
        """Change the alarm's volume (whole steps; the range is checked by HA)."""
        await self.async_update_alarm(volume=round(value))
