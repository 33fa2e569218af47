"""Whether a player coordinates its group; whether its alarm plays."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .alarm_playback import RoomPlayback
from .coordinator import SonosHouseholdCoordinator, SonosUpnpConfigEntry
from .entity import SonosUpnpPlayerEntity
from .household_changes import PlayerAspect
from .platform_helpers import async_add_player_entities
from .playback_entity import SonosUpnpPlaybackEntity
from .upnp.alarm_playback import AlarmPhase

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
            SonosUpnpIsCoordinatorEntity(coordinator, uuid, "is_coordinator"),
            *(
                SonosUpnpAlarmBinarySensorEntity(coordinator, uuid, description)
                for description in ALARM_SENSORS
            ),
        ],
    )


class SonosUpnpIsCoordinatorEntity(SonosUpnpPlayerEntity, BinarySensorEntity):
    """On while the player coordinates its group."""

    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_translation_key = "is_coordinator"
    _shows = frozenset({PlayerAspect.COORDINATOR})

    @property
    def is_on(self) -> bool | None:
        """Return whether the player is its group's coordinator."""
        group = self.coordinator.data.topology.group_of(self.uuid)
        return group.coordinator_uuid == self.uuid if group else None

    def _shown(self) -> Hashable | None:
        """Return whether the entity is available and on."""
        return (self.available, self.is_on)


@dataclass(frozen=True, kw_only=True)
class SonosUpnpAlarmBinarySensorEntityDescription(BinarySensorEntityDescription):
    """How a binary sensor reads the alarm state of the player's group."""

    value_fn: Callable[[RoomPlayback], bool]
    attributes_fn: Callable[[RoomPlayback], Mapping[str, Any] | None] = (
        lambda _playback: None
    )


def _running_alarm(playback: RoomPlayback) -> Mapping[str, Any]:
    """Name the alarm that plays or is snoozed; nothing while none is."""
    active = playback.phase is not AlarmPhase.IDLE
    return {
        "alarm_id": playback.alarm_id if active else None,
        "started": playback.logged_start_time if active else None,
        "alarm_source": str(playback.source) if active and playback.source else None,
    }


ALARM_SENSORS: tuple[SonosUpnpAlarmBinarySensorEntityDescription, ...] = (
    SonosUpnpAlarmBinarySensorEntityDescription(
        key="alarm_playing",
        translation_key="alarm_playing",
        value_fn=lambda playback: playback.phase is AlarmPhase.RINGING,
        attributes_fn=_running_alarm,
    ),
    SonosUpnpAlarmBinarySensorEntityDescription(
        key="alarm_snoozed",
        translation_key="alarm_snoozed",
        value_fn=lambda playback: playback.phase is AlarmPhase.SNOOZED,
        attributes_fn=lambda playback: {
            **_running_alarm(playback),
            "restart_pending": playback.transport.restart_pending_flag,
        },
    ),
)


class SonosUpnpAlarmBinarySensorEntity(SonosUpnpPlaybackEntity, BinarySensorEntity):
    """Whether the alarm of the player's group plays or is snoozed.

    Unavailable while the group coordinator's AVTransport events do not
    arrive: then nobody knows.
    """

    entity_description: SonosUpnpAlarmBinarySensorEntityDescription

    def __init__(
        self,
        coordinator: SonosHouseholdCoordinator,
        uuid: str,
        description: SonosUpnpAlarmBinarySensorEntityDescription,
    ) -> None:
        """Describe the binary sensor."""
        super().__init__(coordinator, uuid, description.key)
        self.entity_description = description

    @property
    def is_on(self) -> bool | None:
        """Return the sensor's state."""
        playback = self.coordinator.alarm_playback.playback_of(self.uuid)
        return self.entity_description.value_fn(playback) if playback else None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return which alarm plays."""
        playback = self.coordinator.alarm_playback.playback_of(self.uuid)
        return self.entity_description.attributes_fn(playback) if playback else None

    def _shown(self) -> Hashable | None:
        """Return whether the entity is available, its state and attributes."""
        if not self.available:
            return (False,)
        attributes = self.extra_state_attributes
        return (True, self.is_on, tuple(attributes.items()) if attributes else None)
