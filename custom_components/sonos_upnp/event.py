"""An event entity per player that fires when one of its alarms starts."""

from __future__ import annotations

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SonosHouseholdCoordinator, SonosUpnpConfigEntry
from .entity import SonosUpnpPlayerEntity
from .household_changes import PlayerAspect
from .platform_helpers import async_add_player_entities
from .upnp.alarms import Alarm

PARALLEL_UPDATES = 0
ALARM_STARTED = "alarm_started"


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SonosUpnpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the alarm-started event of every player, now and as players join."""
    coordinator = entry.runtime_data.coordinator
    async_add_player_entities(
        entry,
        async_add_entities,
        lambda uuid: [SonosUpnpAlarmStartedEntity(coordinator, uuid, ALARM_STARTED)],
    )


class SonosUpnpAlarmStartedEntity(SonosUpnpPlayerEntity, EventEntity):
    """Fires `alarm_started` when the speaker starts playing an alarm."""

    _attr_translation_key = ALARM_STARTED
    # Its state is the last event; topology and alarm lists do not change it.
    _shows: frozenset[PlayerAspect] | None = frozenset()

    def __init__(
        self, coordinator: SonosHouseholdCoordinator, uuid: str, key: str
    ) -> None:
        """Describe the event entity."""
        super().__init__(coordinator, uuid, key)
        self._attr_event_types = [ALARM_STARTED]

    async def async_added_to_hass(self) -> None:
        """Listen for the player's AlarmRunSequence changes."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.async_add_alarm_started_listener(
                self.uuid, self._async_alarm_started
            )
        )

    @callback
    def _async_alarm_started(self, alarm: Alarm) -> None:
        self._trigger_event(
            ALARM_STARTED,
            {
                "alarm_id": alarm.alarm_id,
                "start_time": alarm.start_time.isoformat(),
                "program_uri": alarm.program_uri,
            },
        )
        self.async_write_ha_state()
