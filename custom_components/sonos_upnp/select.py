"""Recurrence and play mode of each alarm, to change from a dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.select import SelectEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .alarm_entity import (
    AlarmWords,
    SonosUpnpAlarmEntity,
    async_add_alarm_entities,
    async_alarm_words,
)
from .alarm_schedule import PRESETS, alarm_day_numbers
from .upnp.alarms import PLAY_MODES

if TYPE_CHECKING:
    from .coordinator import SonosHouseholdCoordinator, SonosUpnpConfigEntry

PARALLEL_UPDATES = 1

# The play modes in the order the Sonos app offers them.
PLAY_MODE_ORDER = ("NORMAL", "REPEAT_ALL", "SHUFFLE_NOREPEAT", "SHUFFLE")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SonosUpnpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add recurrence and play mode per alarm, as alarms come and go."""
    coordinator = entry.runtime_data.coordinator
    words = await async_alarm_words(hass)
    async_add_alarm_entities(
        hass,
        entry,
        async_add_entities,
        "select",
        lambda alarm_id: [
            SonosUpnpAlarmRecurrence(coordinator, alarm_id, words),
            SonosUpnpAlarmPlayMode(coordinator, alarm_id, "play_mode"),
        ],
    )


class SonosUpnpAlarmRecurrence(SonosUpnpAlarmEntity, SelectEntity):
    """When the alarm repeats: the presets and the day combinations in use.

    Presets are translated options ("weekdays"); day combinations read as
    days ("Mon, Wed, Fri"); a recurrence we cannot read shows as sent.
    """

    _attr_entity_category = EntityCategory.CONFIG
    _attr_translation_key = "alarm_recurrence"
    # Any alarm's change may change the day combinations in use.
    _shows_any_alarm = True

    def __init__(
        self, coordinator: SonosHouseholdCoordinator, alarm_id: int, words: AlarmWords
    ) -> None:
        """Describe the recurrence of an alarm."""
        super().__init__(coordinator, alarm_id, "recurrence")
        self._words = words

    def _option_of(self, recurrence: str) -> str:
        """Return the option that stands for a recurrence."""
        if recurrence in PRESETS:
            return recurrence.lower()
        return self._words.recurrence(recurrence)

    def _recurrences(self) -> dict[str, str]:
        """Return option -> recurrence: presets, then the household's days."""
        choices = {preset.lower(): preset for preset in PRESETS}
        in_use = sorted(
            {
                alarm.recurrence
                for alarm in self.coordinator.data.alarms.alarms
                if alarm.recurrence not in PRESETS
                and alarm_day_numbers(alarm.recurrence) is not None
            },
            key=lambda recurrence: (len(recurrence), recurrence),
        )
        for recurrence in in_use:
            choices.setdefault(self._option_of(recurrence), recurrence)
        if (alarm := self.alarm) is not None:
            choices.setdefault(self._option_of(alarm.recurrence), alarm.recurrence)
        return choices

    @property
    def options(self) -> list[str]:
        """Return the presets, the day combinations in use and the alarm's own."""
        return list(self._recurrences())

    @property
    def current_option(self) -> str | None:
        """Return the alarm's recurrence as an option."""
        alarm = self.alarm
        return self._option_of(alarm.recurrence) if alarm else None

    async def async_select_option(self, option: str) -> None:
        """Change the recurrence; the alarm's own (even an odd one) is no change."""
        # Home Assistant lets only options through.
        recurrence = self._recurrences()[option]
        if (alarm := self.alarm) is not None and recurrence == alarm.recurrence:
            return
        await self.async_update_alarm(recurrence=recurrence)


class SonosUpnpAlarmPlayMode(SonosUpnpAlarmEntity, SelectEntity):
    """How the alarm plays its source; a play mode we cannot choose shows as sent."""

    _attr_entity_category = EntityCategory.CONFIG
    _attr_translation_key = "alarm_play_mode"

    @property
    def options(self) -> list[str]:
        """Return the play modes Sonos describes, and the alarm's own."""
        modes = [mode.lower() for mode in PLAY_MODE_ORDER if mode in PLAY_MODES]
        if (current := self.current_option) is not None and current not in modes:
            modes.append(current)
        return modes

    @property
    def current_option(self) -> str | None:
        """Return the alarm's play mode as an option (verbatim if unknown)."""
        alarm = self.alarm
        if alarm is None:
            return None
        mode = alarm.play_mode
        return mode.lower() if mode in PLAY_MODES else mode

    async def async_select_option(self, option: str) -> None:
        """Change the play mode; the alarm's own (even an odd one) is no change."""
        # Home Assistant lets only options through: a known mode or the own.
        if option == self.current_option:
            return
        await self.async_update_alarm(play_mode=option.upper())
