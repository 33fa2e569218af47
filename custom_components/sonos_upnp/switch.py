"""A switch per alarm of the household: on means enabled."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from .alarm_fields import alarm_fields
from .const import ATTR_ENABLED, DOMAIN
from .coordinator import SonosHouseholdCoordinator, SonosUpnpConfigEntry
from .errors import user_facing_error
from .upnp.alarms import Alarm, delete_alarm, next_occurrence, update_alarm
from .upnp.exceptions import UpnpClientError

PARALLEL_UPDATES = 1


def alarm_unique_id(household_id: str, alarm_id: int) -> str:
    """Return the unique ID of an alarm's switch."""
    return f"{household_id}-alarm-{alarm_id}"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SonosUpnpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a switch per alarm; add and remove them as alarms come and go."""
    coordinator = entry.runtime_data.coordinator
    known: set[int] = set()

    @callback
    def sync_alarms() -> None:
        current = {alarm.alarm_id for alarm in coordinator.data.alarms.alarms}
        if new := current - known:
            async_add_entities(
                SonosUpnpAlarmSwitch(coordinator, alarm_id) for alarm_id in sorted(new)
            )
        registry = er.async_get(hass)
        for alarm_id in known - current:
            unique_id = alarm_unique_id(coordinator.household_id, alarm_id)
            if entity_id := registry.async_get_entity_id("switch", DOMAIN, unique_id):
                registry.async_remove(entity_id)
        known.clear()
        known.update(current)

    async_remove_deleted_alarms(hass, entry)
    sync_alarms()
    entry.async_on_unload(coordinator.async_add_listener(sync_alarms))


@callback
def async_remove_deleted_alarms(
    hass: HomeAssistant, entry: SonosUpnpConfigEntry
) -> None:
    """Remove the switches of alarms deleted while Home Assistant was away.

    Runs after the first successful read, so the alarm list is the household's.
    """
    coordinator = entry.runtime_data.coordinator
    current = {
        alarm_unique_id(coordinator.household_id, alarm.alarm_id)
        for alarm in coordinator.data.alarms.alarms
    }
    registry = er.async_get(hass)
    # Every switch of the entry is an alarm's.
    for registry_entry in er.async_entries_for_config_entry(registry, entry.entry_id):
        if (
            registry_entry.domain == "switch"
            and registry_entry.unique_id not in current
        ):
            registry.async_remove(registry_entry.entity_id)


class SonosUpnpAlarmSwitch(CoordinatorEntity[SonosHouseholdCoordinator], SwitchEntity):
    """One alarm of the household, on the device of its room."""

    _attr_has_entity_name = True
    _attr_translation_key = "alarm"

    def __init__(self, coordinator: SonosHouseholdCoordinator, alarm_id: int) -> None:
        """Describe the alarm's switch."""
        super().__init__(coordinator)
        self.alarm_id = alarm_id
        self._attr_unique_id = alarm_unique_id(coordinator.household_id, alarm_id)
        self._attr_translation_placeholders = {"alarm_id": str(alarm_id)}
        self._set_device()

    @property
    def alarm(self) -> Alarm | None:
        """Return the alarm as the household lists it now."""
        return self.coordinator.data.alarms.get(self.alarm_id)

    def _room(self) -> str | None:
        """Return the UUID of the alarm's room, if the household knows it."""
        alarm = self.alarm
        if alarm is None or self.coordinator.player(alarm.room_uuid) is None:
            return None
        return alarm.room_uuid

    def _set_device(self) -> None:
        room = self._room()
        self._attr_device_info = (
            DeviceInfo(identifiers={(DOMAIN, room)}) if room else None
        )

    @property
    def available(self) -> bool:
        """Return whether the household answers and has the alarm.

        Alarms of sleeping rooms stay available: any speaker can change them.
        """
        return self.coordinator.household_reachable and self.alarm is not None

    @property
    def is_on(self) -> bool | None:
        """Return whether the alarm is enabled."""
        alarm = self.alarm
        return alarm.enabled if alarm else None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return every field of the alarm."""
        alarm = self.alarm
        if alarm is None:
            return None
        room = self.coordinator.player(alarm.room_uuid)
        upcoming = next_occurrence(
            alarm, dt_util.now(), dt_util.get_default_time_zone()
        )
        fields = alarm_fields(alarm)
        del fields[ATTR_ENABLED]  # that is the switch's state
        return {
            **fields,
            "room": room.room_name if room else alarm.room_uuid,
            "next_occurrence": upcoming.isoformat() if upcoming else None,
        }

    async def async_turn_on(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Enable the alarm."""
        await self.async_update_alarm(enabled=True)

    async def async_turn_off(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Disable the alarm."""
        await self.async_update_alarm(enabled=False)

    async def async_update_alarm(self, **changes: Any) -> None:
        """Change the given fields of the alarm; the rest stays as it is.

        The state follows the speaker's list, read back after the change, not
        what we asked for.
        """
        client = self.coordinator.client
        try:
            await self.coordinator.async_on_any_speaker(
                lambda host, port: update_alarm(
                    client, host, port, self.alarm_id, **changes
                )
            )
        except UpnpClientError as err:
            raise user_facing_error(err) from err
        await self.coordinator.async_refresh_alarms()

    async def async_delete_alarm(self) -> None:
        """Delete the alarm from the household."""
        client = self.coordinator.client
        try:
            await self.coordinator.async_on_any_speaker(
                lambda host, port: delete_alarm(client, host, port, self.alarm_id)
            )
        except UpnpClientError as err:
            raise user_facing_error(err) from err
        await self.coordinator.async_refresh_alarms()

    def _concerned_by_update(self) -> bool:
        """Return whether the last update changed the alarm or its room.

        The room counts for itself (its name, whether the household lists
        it), not for its group; the household's reachability changes every
        entity.
        """
        alarm = self.alarm
        return self.coordinator.changed_for_alarm(self.alarm_id) or (
            alarm is not None
            and self.coordinator.changed_for_player(alarm.room_uuid, frozenset())
        )

    @callback
    def _handle_coordinator_update(self) -> None:
        """Follow the alarm to its room's device when it moves."""
        if not self._concerned_by_update():
            return
        previous = self._attr_device_info
        self._set_device()
        if (
            self._attr_device_info != previous
            and self._attr_device_info is not None
            and self.registry_entry is not None
            and (room := self._room()) is not None
            and (
                device := dr.async_get(self.hass).async_get_device_by_identifier(
                    (DOMAIN, room), self.coordinator.config_entry.entry_id
                )
            )
        ):
            er.async_get(self.hass).async_update_entity(
                self.entity_id, device_id=device.id
            )
        super()._handle_coordinator_update()
