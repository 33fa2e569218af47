"""Base entity of one alarm of the household, and adding such entities.

Every per-alarm entity (the switch, its start time, volume, recurrence and
play mode) finds its alarm in the coordinator's list, sits on the device of
the alarm's room, and writes through `update_alarm`: only the fields it
changes are sent new, the rest goes back as the speaker listed it, and the
state follows the list read back afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .alarm_schedule import DAY_KEYS, PRESETS, alarm_day_numbers
from .const import DOMAIN
from .coordinator import SonosHouseholdCoordinator, SonosUpnpConfigEntry
from .errors import user_facing_error
from .household_changes import AlarmContext, Roster, RosterContext
from .upnp.alarms import Alarm, update_alarm
from .upnp.exceptions import UpnpClientError

_ALARM_UNIQUE_ID: Final = re.compile(r"(?P<household>.+)-alarm-(?P<id>[0-9]+)(-.+)?")
# English words for when translations cannot be loaded.
_FALLBACK_PRESETS: Final = {
    "daily": "Daily",
    "weekdays": "Weekdays",
    "weekends": "Weekends",
    "once": "Once",
}


def alarm_unique_id(household_id: str, alarm_id: int, key: str | None = None) -> str:
    """Return the unique ID of an alarm's entity (the switch has no key)."""
    base = f"{household_id}-alarm-{alarm_id}"
    return base if key is None else f"{base}-{key}"


def alarm_id_of(household_id: str, unique_id: str) -> int | None:
    """Return the alarm ID in an alarm entity's unique ID; None for others."""
    match = _ALARM_UNIQUE_ID.fullmatch(unique_id)
    if match is None or match["household"] != household_id:
        return None
    return int(match["id"])


@dataclass(frozen=True, slots=True)
class AlarmWords:
    """How alarms read in Home Assistant's language."""

    presets: Mapping[str, str]
    days: Mapping[str, str]

    def recurrence(self, recurrence: str) -> str:
        """Return when the alarm repeats, in words; unknown ones as sent."""
        if recurrence in PRESETS:
            return self.presets[recurrence.lower()]
        days = alarm_day_numbers(recurrence)
        if days is None:
            return recurrence
        return ", ".join(self.days[DAY_KEYS[day]] for day in days)


async def async_alarm_words(hass: HomeAssistant) -> AlarmWords:
    """Load the words of presets and days from the integration's translations."""
    strings = await async_get_translations(
        hass, hass.config.language, "entity", {DOMAIN}
    )
    prefix = f"component.{DOMAIN}.entity"
    presets = {
        key: strings.get(
            f"{prefix}.select.alarm_recurrence.state.{key}", _FALLBACK_PRESETS[key]
        )
        for key in _FALLBACK_PRESETS
    }
    days = {
        key: strings.get(
            f"{prefix}.switch.alarm.state_attributes.days.state.{key}",
            key[:3].capitalize(),
        )
        for key in DAY_KEYS
    }
    return AlarmWords(presets, days)


@callback
def async_add_alarm_entities(
    hass: HomeAssistant,
    entry: SonosUpnpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    domain: str,
    factory: Callable[[int], Iterable[Entity]],
) -> None:
    """Add factory(alarm_id)'s entities per alarm; remove them with the alarm.

    Entities of alarms deleted while Home Assistant was not running are
    removed first: this runs after the first successful read, so the list is
    the household's.
    """
    coordinator = entry.runtime_data.coordinator
    household_id = coordinator.household_id
    known: set[int] = set()
    registry = er.async_get(hass)

    @callback
    def remove_entities_of(gone: set[int]) -> None:
        for registry_entry in er.async_entries_for_config_entry(
            registry, entry.entry_id
        ):
            if (
                registry_entry.domain == domain
                and alarm_id_of(household_id, registry_entry.unique_id) in gone
            ):
                registry.async_remove(registry_entry.entity_id)

    @callback
    def sync_alarms() -> None:
        current = {alarm.alarm_id for alarm in coordinator.data.alarms.alarms}
        if new := current - known:
            async_add_entities(
                entity for alarm_id in sorted(new) for entity in factory(alarm_id)
            )
        if gone := known - current:
            remove_entities_of(gone)
        known.clear()
        known.update(current)

    remembered = {
        alarm_id
        for registry_entry in er.async_entries_for_config_entry(
            registry, entry.entry_id
        )
        if registry_entry.domain == domain
        and (alarm_id := alarm_id_of(household_id, registry_entry.unique_id))
        is not None
    }
    remove_entities_of(
        remembered - {alarm.alarm_id for alarm in coordinator.data.alarms.alarms}
    )
    sync_alarms()
    entry.async_on_unload(
        coordinator.async_add_listener(sync_alarms, RosterContext(Roster.ALARMS))
    )


class SonosUpnpAlarmEntity(CoordinatorEntity[SonosHouseholdCoordinator]):
    """An entity of one alarm of the household, on the device of its room.

    The coordinator calls it only for updates that concern its alarm or its
    room as a player (its name, whether the household lists it), not the
    room's group; with _shows_any_alarm, for every change of an alarm too.
    """

    _attr_has_entity_name = True
    _shows_any_alarm = False

    def __init__(
        self,
        coordinator: SonosHouseholdCoordinator,
        alarm_id: int,
        key: str | None = None,
    ) -> None:
        """Tie the entity to the alarm and its room's device."""
        super().__init__(
            coordinator, AlarmContext(alarm_id, any_alarm=self._shows_any_alarm)
        )
        self.alarm_id = alarm_id
        self._attr_unique_id = alarm_unique_id(coordinator.household_id, alarm_id, key)
        if key is not None:
            # The editing entities are named by their alarm ("Alarm 3 volume").
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

    @callback
    def _follow_room(self) -> None:
        """Move the entity to its room's device when the alarm moves."""
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

    @callback
    def _handle_coordinator_update(self) -> None:
        """Follow the alarm to its room's device, then write the state."""
        self._follow_room()
        super()._handle_coordinator_update()
