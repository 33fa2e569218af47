"""The household's alarms as a calendar: an event per time an alarm rings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from .alarm_entity import AlarmWords, alarm_unique_id, async_alarm_words
from .alarm_schedule import Occurrence, clock_text, occurrences
from .const import DOMAIN
from .coordinator import SonosHouseholdCoordinator

if TYPE_CHECKING:
    from .coordinator import SonosUpnpConfigEntry

PARALLEL_UPDATES = 0

# The current or next event is looked for this far ahead (every recurrence
# rings within a week).
_LOOKAHEAD: Final = timedelta(days=8)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SonosUpnpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the household's alarm calendar."""
    words = await async_alarm_words(hass)
    async_add_entities([SonosUpnpAlarmCalendar(entry.runtime_data.coordinator, words)])


class SonosUpnpAlarmCalendar(
    CoordinatorEntity[SonosHouseholdCoordinator], CalendarEntity
):
    """Every enabled alarm of the household at the times it rings.

    Disabled alarms and alarms with a recurrence we cannot read have no
    events; an alarm without a duration lasts an hour (alarm_schedule).
    """

    _attr_has_entity_name = True
    _attr_translation_key = "alarms"

    def __init__(
        self, coordinator: SonosHouseholdCoordinator, words: AlarmWords
    ) -> None:
        """Describe the household's calendar."""
        super().__init__(coordinator)
        self._words = words
        self._attr_unique_id = f"{coordinator.household_id}-alarms"

    @property
    def available(self) -> bool:
        """Return whether some speaker of the household answers."""
        return self.coordinator.household_reachable

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state unless only groups changed (events name rooms)."""
        if self.coordinator.changes.for_household(frozenset()):
            super()._handle_coordinator_update()

    def _occurrences(self, start: datetime, end: datetime) -> list[Occurrence]:
        now = dt_util.now()
        time_zone = dt_util.get_default_time_zone()
        found = [
            occurrence
            for alarm in self.coordinator.data.alarms.alarms
            for occurrence in occurrences(alarm, start, end, time_zone, now)
        ]
        found.sort(key=lambda occurrence: (occurrence.start, occurrence.alarm.alarm_id))
        return found

    def _event(self, occurrence: Occurrence) -> CalendarEvent:
        alarm = occurrence.alarm
        room = self.coordinator.player(alarm.room_uuid)
        room_name = room.room_name if room else alarm.room_uuid
        switch = er.async_get(self.hass).async_get_entity_id(
            "switch",
            DOMAIN,
            alarm_unique_id(self.coordinator.household_id, alarm.alarm_id),
        )
        return CalendarEvent(
            start=occurrence.start,
            end=occurrence.end,
            summary=(
                f"{room_name} · {clock_text(alarm)} · "
                f"{self._words.recurrence(alarm.recurrence)}"
            ),
            location=room_name,
            description=switch,
            uid=f"{self.coordinator.household_id}-alarm-{alarm.alarm_id}",
            recurrence_id=occurrence.start.isoformat(),
        )

    @property
    def event(self) -> CalendarEvent | None:
        """Return the event happening now, or the next one."""
        now = dt_util.now()
        upcoming = self._occurrences(now, now + _LOOKAHEAD)
        return self._event(upcoming[0]) if upcoming else None

    async def async_get_events(
        self,
        hass: HomeAssistant,  # noqa: ARG002
        start_date: datetime,
        end_date: datetime,
    ) -> list[CalendarEvent]:
        """Return the alarms' events that overlap the window."""
        return [
            self._event(occurrence)
            for occurrence in self._occurrences(start_date, end_date)
        ]
