"""A button per player that snoozes the alarm its group plays."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .alarm_playback import DEFAULT_SNOOZE
from .coordinator import SonosUpnpConfigEntry
from .platform_helpers import async_add_player_entities
from .playback_entity import SonosUpnpPlaybackEntity

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


class SonosUpnpSnoozeButton(SonosUpnpPlaybackEntity, ButtonEntity):
    """Snoozes the ringing alarm of the player's group for the default time."""

    _attr_translation_key = "snooze_alarm"

    async def async_press(self) -> None:
        """Snooze the alarm; a clear error when none plays."""
        await self.coordinator.alarm_playback.async_snooze(self.uuid, DEFAULT_SNOOZE)
