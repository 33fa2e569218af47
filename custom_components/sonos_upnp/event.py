"""An event entity per player: its alarm starts, is snoozed or stops."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .alarm_playback import ALARM_EVENT_TYPES, ALARM_STARTED
from .coordinator import SonosHouseholdCoordinator, SonosUpnpConfigEntry
from .entity import SonosUpnpPlayerEntity
from .household_changes import PlayerAspect
from .platform_helpers import async_add_player_entities

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SonosUpnpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the alarm event of every player, now and as players join."""
    coordinator = entry.runtime_data.coordinator
    async_add_player_entities(
        entry,
        async_add_entities,
        lambda uuid: [SonosUpnpAlarmStartedEntity(coordinator, uuid, ALARM_STARTED)],
    )


class SonosUpnpAlarmStartedEntity(SonosUpnpPlayerEntity, EventEntity):
    """Fires when an alarm starts, is snoozed or stops in the player's group.

    The unique ID and name keep the `alarm_started` of the first version, so
    existing automations and entity IDs stay.
    """

    _attr_translation_key = ALARM_STARTED
    # Its state is the last event; topology and alarm lists do not change it.
    _shows: frozenset[PlayerAspect] | None = frozenset()

    def __init__(
        self, coordinator: SonosHouseholdCoordinator, uuid: str, key: str
    ) -> None:
        """Describe the event entity."""
        super().__init__(coordinator, uuid, key)
        self._attr_event_types = list(ALARM_EVENT_TYPES)

    async def async_added_to_hass(self) -> None:
        """Listen for the alarm events of the player's group."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.alarm_playback.async_add_event_listener(
                self.uuid, self._async_alarm_event
            )
        )

    @callback
    def _async_alarm_event(self, event_type: str, data: dict[str, Any]) -> None:
        self._trigger_event(event_type, data)
        self.async_write_ha_state()
