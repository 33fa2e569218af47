"""Sensors per player: its group, its group's coordinator, its next alarm."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .coordinator import (
    HouseholdState,
    SonosHouseholdCoordinator,
    SonosUpnpConfigEntry,
)
from .entity import SonosUpnpPlayerEntity
from .household_changes import PlayerAspect
from .platform_helpers import async_add_player_entities
from .upnp.alarms import Alarm, next_occurrence

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SonosUpnpSensorEntityDescription(SensorEntityDescription):
    """How a player sensor reads the household state."""

    value_fn: Callable[[HouseholdState, str], str | datetime | None]
    attributes_fn: Callable[[HouseholdState, str], Mapping[str, Any] | None] = (
        lambda _state, _uuid: None
    )
    exists_fn: Callable[[HouseholdState, str], bool] = lambda _state, _uuid: True
    # The aspects of the player the value follows (None: all of them).
    shows: frozenset[PlayerAspect] | None = None


def _group_name(state: HouseholdState, uuid: str) -> str | None:
    group = state.topology.group_of(uuid)
    return group.name if group else None


def _group_coordinator(state: HouseholdState, uuid: str) -> str | None:
    group = state.topology.group_of(uuid)
    return group.coordinator.room_name if group else None


def _group_members(state: HouseholdState, uuid: str) -> Mapping[str, Any] | None:
    group = state.topology.group_of(uuid)
    if group is None:
        return None
    return {
        "members": [player.room_name for player in group.visible_members],
        "coordinator": group.coordinator.room_name,
    }


def next_alarm(state: HouseholdState, uuid: str) -> tuple[Alarm, datetime] | None:
    """Return the player's next alarm and when it starts, if any."""
    now = dt_util.now()
    time_zone = dt_util.get_default_time_zone()
    upcoming = [
        (alarm, start)
        for alarm in state.alarms.alarms
        if alarm.room_uuid == uuid
        and (start := next_occurrence(alarm, now, time_zone)) is not None
    ]
    return min(upcoming, key=lambda pair: pair[1], default=None)


def _next_alarm_time(state: HouseholdState, uuid: str) -> datetime | None:
    found = next_alarm(state, uuid)
    return found[1] if found else None


def _next_alarm_attributes(
    state: HouseholdState, uuid: str
) -> Mapping[str, Any] | None:
    found = next_alarm(state, uuid)
    return {"alarm_id": found[0].alarm_id} if found else None


SENSORS: tuple[SonosUpnpSensorEntityDescription, ...] = (
    SonosUpnpSensorEntityDescription(
        key="group_coordinator",
        translation_key="group_coordinator",
        # The group sensor's `coordinator` attribute says the same.
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        shows=frozenset({PlayerAspect.GROUP}),
        value_fn=_group_coordinator,
    ),
    SonosUpnpSensorEntityDescription(
        key="group_members",
        translation_key="group_members",
        shows=frozenset({PlayerAspect.GROUP}),
        value_fn=_group_name,
        attributes_fn=_group_members,
    ),
    SonosUpnpSensorEntityDescription(
        key="next_alarm",
        translation_key="next_alarm",
        shows=frozenset({PlayerAspect.ALARMS}),
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_next_alarm_time,
        attributes_fn=_next_alarm_attributes,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SonosUpnpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every player, now and as players join."""
    coordinator = entry.runtime_data.coordinator
    async_add_player_entities(
        entry,
        async_add_entities,
        lambda uuid: [
            SonosUpnpSensorEntity(coordinator, uuid, description)
            for description in SENSORS
            if description.exists_fn(coordinator.data, uuid)
        ],
    )


class SonosUpnpSensorEntity(SonosUpnpPlayerEntity, SensorEntity):
    """A sensor of one player."""

    entity_description: SonosUpnpSensorEntityDescription

    def __init__(
        self,
        coordinator: SonosHouseholdCoordinator,
        uuid: str,
        description: SonosUpnpSensorEntityDescription,
    ) -> None:
        """Describe the sensor."""
        super().__init__(coordinator, uuid, description.key)
        self.entity_description = description
        self._shows = description.shows
        self._cancel_rollover: CALLBACK_TYPE | None = None

    @property
    def native_value(self) -> str | datetime | None:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.coordinator.data, self.uuid)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the sensor's attributes."""
        return self.entity_description.attributes_fn(self.coordinator.data, self.uuid)

    async def async_added_to_hass(self) -> None:
        """Start watching for the next alarm to pass."""
        await super().async_added_to_hass()
        self.async_on_remove(self._cancel_rollover_timer)
        self._schedule_rollover()

    @callback
    def _handle_coordinator_update(self) -> None:
        if self.coordinator.changed_for_player(self.uuid, self._shows):
            self._schedule_rollover()
        super()._handle_coordinator_update()

    @callback
    def _schedule_rollover(self) -> None:
        """Re-evaluate a timestamp once it has passed (the next alarm moves on)."""
        self._cancel_rollover_timer()
        if self.entity_description.device_class != SensorDeviceClass.TIMESTAMP:
            return
        value = self.native_value
        if not isinstance(value, datetime):
            return

        @callback
        def rollover(_now: datetime) -> None:
            self._cancel_rollover = None
            self._schedule_rollover()
            self.async_write_ha_state()

        self._cancel_rollover = async_track_point_in_utc_time(
            self.hass, rollover, value + timedelta(seconds=1)
        )

    @callback
    def _cancel_rollover_timer(self) -> None:
        if self._cancel_rollover is not None:
            self._cancel_rollover()
            self._cancel_rollover = None
