"""Base entity: one Sonos player's device, fed by the household coordinator."""

from __future__ import annotations

from collections.abc import Hashable

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import SonosHouseholdCoordinator
from .household_changes import PlayerAspect, PlayerContext
from .upnp.topology import Player


class SonosUpnpPlayerEntity(CoordinatorEntity[SonosHouseholdCoordinator]):
    """An entity that belongs to one player of the household.

    The coordinator calls it only for updates that concern its player (its
    group, topology entry, availability or an alarm of its room; everything
    on a read or a reachability change). Subclasses that override
    `_handle_coordinator_update` call super() to write the state.
    """

    _attr_has_entity_name = True
    # The aspects of its player the entity shows besides the player itself
    # and its availability; None: all of them.
    _shows: frozenset[PlayerAspect] | None = None
    _last_shown: Hashable | None = None

    def __init__(
        self, coordinator: SonosHouseholdCoordinator, uuid: str, key: str
    ) -> None:
        """Tie the entity to the player's device."""
        super().__init__(coordinator, PlayerContext(uuid))
        self.uuid = uuid
        self._attr_unique_id = f"{uuid}-{key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, uuid)})

    @property
    def player(self) -> Player | None:
        """Return the player as the topology knows it now."""
        return self.coordinator.player(self.uuid)

    @property
    def available(self) -> bool:
        """Return whether the household answers, and this player in it."""
        return (
            self.coordinator.household_reachable
            and self.coordinator.data.is_available(self.uuid)
        )

    def _shown(self) -> Hashable | None:
        """Return all the entity shows, to skip writes that change none of it.

        None (the default): write on every update that concerns the player.
        """
        return None

    async def async_added_to_hass(self) -> None:
        """Note what the first state shows: Home Assistant writes it next."""
        await super().async_added_to_hass()
        self._last_shown = self._shown()

    @callback
    def _async_write_if_shown_changed(self) -> None:
        # What it shows changes only with the updates that come here, so
        # Home Assistant's own writes in between (added, renamed) show the
        # same as the last one made here.
        shown = self._shown()
        if shown is None or shown != self._last_shown:
            self._last_shown = shown
            self.async_write_ha_state()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when the update changed what it shows.

        The coordinator calls only the listeners of changed players; an
        entity that shows neither the group nor the alarms of its player
        skips changes of just those, and one that says what it shows skips
        updates that leave all of it as it was.
        """
        if self.coordinator.changed_for_player(self.uuid, self._shows):
            self._async_write_if_shown_changed()
