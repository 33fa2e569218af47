"""An event entity per player that fires when one of its alarms starts."""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import (
    HouseholdState,
    SonosHouseholdCoordinator,
    SonosUpnpConfigEntry,
)
from .entity import SonosUpnpPlayerEntity
from .platform_helpers import async_add_player_entities
from .upnp.alarms import Alarm

PARALLEL_UPDATES = 0
ALARM_STARTED = "alarm_started"
# A speaker starts an alarm at its start time; allow for clocks that differ.
START_TOLERANCE = timedelta(minutes=5)


def alarm_starting_now(state: HouseholdState, uuid: str, now: datetime) -> Alarm | None:
    """Return the enabled alarm of the room whose start time is closest to now."""
    local_now = dt_util.as_local(now)
    best: tuple[timedelta, Alarm] | None = None
    for alarm in state.alarms.alarms:
        if alarm.room_uuid != uuid or not alarm.enabled:
            continue
        start = local_now.replace(
            hour=alarm.start_time.hour,
            minute=alarm.start_time.minute,
            second=alarm.start_time.second,
            microsecond=0,
        )
        distance = min(
            abs(local_now - start + offset)
            for offset in (timedelta(0), timedelta(days=1), -timedelta(days=1))
        )
        if distance <= START_TOLERANCE and (best is None or distance < best[0]):
            best = (distance, alarm)
    return best[1] if best else None


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
    def _async_alarm_started(self, run_sequence: str) -> None:
        alarm = alarm_starting_now(self.coordinator.data, self.uuid, dt_util.utcnow())
        attributes: dict[str, str | int] = {"run_sequence": run_sequence}
        if alarm is not None:
            attributes["alarm_id"] = alarm.alarm_id
        self._trigger_event(ALARM_STARTED, attributes)
        self.async_write_ha_state()
