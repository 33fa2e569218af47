"""A switch per alarm of the household: on means enabled."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .alarm_entity import (
    AlarmWords,
    SonosUpnpAlarmEntity,
    alarm_unique_id,
    async_add_alarm_entities,
    async_alarm_words,
)
from .alarm_fields import alarm_fields
from .alarm_schedule import alarm_day_keys, clock_text
from .const import ATTR_ENABLED, ATTR_PLAY_MODE
from .coordinator import SonosHouseholdCoordinator, SonosUpnpConfigEntry
from .errors import user_facing_error
from .upnp.alarms import PLAY_MODES, delete_alarm, next_occurrence
from .upnp.exceptions import UpnpClientError

PARALLEL_UPDATES = 1

__all__ = ["SonosUpnpAlarmSwitch", "alarm_unique_id"]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SonosUpnpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a switch per alarm; add and remove them as alarms come and go."""
    coordinator = entry.runtime_data.coordinator
    words = await async_alarm_words(hass)
    async_add_alarm_entities(
        hass,
        entry,
        async_add_entities,
        "switch",
        lambda alarm_id: [SonosUpnpAlarmSwitch(coordinator, alarm_id, words)],
    )


class SonosUpnpAlarmSwitch(SonosUpnpAlarmEntity, SwitchEntity):
    """One alarm of the household, named by when it rings ("07:30 · Weekdays")."""

    _attr_translation_key = "alarm"

    def __init__(
        self, coordinator: SonosHouseholdCoordinator, alarm_id: int, words: AlarmWords
    ) -> None:
        """Describe the alarm's switch."""
        self._words = words
        super().__init__(coordinator, alarm_id)
        self._set_name()

    @property
    def suggested_object_id(self) -> str:
        """Return the object ID the entity gets once: `<room>_alarm_<id>`.

        The name follows the alarm's time and days; the entity ID must not.
        """
        return f"alarm {self.alarm_id}"

    def _set_name(self) -> None:
        """Name the switch by the alarm's start time and days."""
        alarm = self.alarm
        placeholders = (
            {
                "time": clock_text(alarm),
                "days": self._words.recurrence(alarm.recurrence),
            }
            if alarm is not None
            else {"time": "", "days": str(self.alarm_id)}
        )
        if placeholders == getattr(self, "_attr_translation_placeholders", None):
            return
        self._attr_translation_placeholders = placeholders
        # Entity caches its name; new placeholders must not show the old one.
        with suppress(AttributeError):
            del self.name

    @property
    def is_on(self) -> bool | None:
        """Return whether the alarm is enabled."""
        alarm = self.alarm
        return alarm.enabled if alarm else None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return every field of the alarm, readable, with the raw recurrence."""
        alarm = self.alarm
        if alarm is None:
            return None
        room = self.coordinator.player(alarm.room_uuid)
        upcoming = next_occurrence(
            alarm, dt_util.now(), dt_util.get_default_time_zone()
        )
        fields = alarm_fields(alarm)
        del fields[ATTR_ENABLED]  # that is the switch's state
        if alarm.play_mode in PLAY_MODES:
            # A known play mode as a translatable key; others as sent.
            fields[ATTR_PLAY_MODE] = alarm.play_mode.lower()
        return {
            **fields,
            "days": alarm_day_keys(alarm.recurrence),
            "room": room.room_name if room else alarm.room_uuid,
            "next_occurrence": upcoming.isoformat() if upcoming else None,
        }

    async def async_turn_on(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Enable the alarm."""
        await self.async_update_alarm(enabled=True)

    async def async_turn_off(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Disable the alarm."""
        await self.async_update_alarm(enabled=False)

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

    @callback
    def _handle_coordinator_update(self) -> None:
        """Follow the alarm's name to its time; the base does the rest."""
        self._set_name()
        super()._handle_coordinator_update()
