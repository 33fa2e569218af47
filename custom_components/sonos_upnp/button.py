"""A button per player that snoozes the alarm its group plays."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .alarm_playback import DEFAULT_SNOOZE
from .coordinator import SonosUpnpConfigEntry
from .entity import SonosUpnpPlayerEntity
from .platform_helpers import async_add_player_entities

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SonosUpnpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the snooze button of every player, now and as players join."""
    coordinator = entry.runtime_data.coordinator
    async_add_player_entities(
        entry,
        async_add_entities,
        lambda uuid: [SonosUpnpSnoozeButton(coordinator, uuid, "snooze_alarm")],
    )


class SonosUpnpSnoozeButton(SonosUpnpPlayerEntity, ButtonEntity):
    """Snoozes the ringing alarm of the player's group for the default time."""

    _attr_translation_key = "snooze_alarm"

    @property
    def available(self) -> bool:
        """Return whether the alarm state of the player's group is known."""
        return (
            super().available
            and self.coordinator.alarm_playback.playback_of(self.uuid) is not None
        )

    async def async_added_to_hass(self) -> None:
        """Follow the alarm state of the player's group (for availability)."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.alarm_playback.async_add_state_listener(
                self.uuid, self._async_playback_changed
            )
        )

    @callback
    def _async_playback_changed(self) -> None:
        self.async_write_ha_state()

    async def async_press(self) -> None:
        """Snooze the alarm; a clear error when none plays."""
        await self.coordinator.alarm_playback.async_snooze(self.uuid, DEFAULT_SNOOZE)
