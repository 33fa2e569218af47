"""Whether a player coordinates its group."""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SonosUpnpConfigEntry
from .entity import SonosUpnpPlayerEntity
from .household_changes import PlayerAspect
from .platform_helpers import async_add_player_entities

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SonosUpnpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensor of every player, now and as players join."""
    coordinator = entry.runtime_data.coordinator
    async_add_player_entities(
        entry,
        async_add_entities,
        lambda uuid: [
            SonosUpnpIsCoordinatorEntity(coordinator, uuid, "is_coordinator")
        ],
    )


class SonosUpnpIsCoordinatorEntity(SonosUpnpPlayerEntity, BinarySensorEntity):
    """On while the player coordinates its group."""

    _attr_translation_key = "is_coordinator"
    _shows = frozenset({PlayerAspect.GROUP})

    @property
    def is_on(self) -> bool | None:
        """Return whether the player is its group's coordinator."""
        group = self.coordinator.data.topology.group_of(self.uuid)
        return group.coordinator_uuid == self.uuid if group else None
