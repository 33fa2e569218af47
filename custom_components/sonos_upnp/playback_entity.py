"""Base for a player's entities that show its group's alarm playback."""

from __future__ import annotations

from collections.abc import Hashable

from homeassistant.core import callback

from .entity import SonosUpnpPlayerEntity
from .household_changes import PlayerAspect


class SonosUpnpPlaybackEntity(SonosUpnpPlayerEntity):
    """Follows the alarm playback of the player's group.

    Unavailable while the group coordinator's AVTransport events do not
    arrive: then nobody knows whether an alarm rings.
    """

    # Which coordinator's playback the entity follows.
    _shows = frozenset({PlayerAspect.COORDINATOR})

    @property
    def available(self) -> bool:
        """Return whether the alarm state of the player's group is known."""
        return (
            super().available
            and self.coordinator.alarm_playback.playback_of(self.uuid) is not None
        )

    async def async_added_to_hass(self) -> None:
        """Follow the alarm state of the player's group."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.alarm_playback.async_add_state_listener(
                self.uuid, self._async_playback_changed
            )
        )

    def _shown(self) -> Hashable | None:
        """Whether the group's alarm state is known; subclasses add the rest."""
        return (self.available,)

    @callback
    def _async_playback_changed(self) -> None:
        self._async_write_if_shown_changed()
