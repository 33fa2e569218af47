"""Alarms on a dashboard: readable switches, editing entities, the calendar."""

from collections.abc import AsyncGenerator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from homeassistant.components.calendar import DOMAIN as CALENDAR_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, ATTR_FRIENDLY_NAME, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.sonos_upnp.alarm_entity import alarm_unique_id
from custom_components.sonos_upnp.const import DOMAIN
from tests.common import device_id_of, run_action, wait_for
from tests.conftest import entry_for
from tests.emulator.alarms import Alarm as EmulatedAlarm
from tests.emulator.household import Household
from tests.emulator.pytest_plugin import HouseholdFactory
from tests.test_alarms import METADATA, add_emulated_alarm

CALENDAR = "calendar.sonos_alarms"


def entity_id_of(
    hass: HomeAssistant,
    household: Household,
    domain: str,
    alarm_id: int,
    key: str | None = None,
) -> str:
    """Return the entity ID of one of an alarm's entities (it must exist)."""
    entity_id = er.async_get(hass).async_get_entity_id(
        domain, DOMAIN, alarm_unique_id(household.household_id, alarm_id, key)
    )
    assert entity_id is not None, (domain, alarm_id, key)
    return entity_id


def attributes_of(hass: HomeAssistant, entity_id: str) -> dict[str, Any]:
    """Return an entity's state attributes (it must exist)."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return dict(state.attributes)


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state (it must exist)."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def alarm_in_hass(
    hass: HomeAssistant, household: Household, **fields: Any
) -> int:
    """Create an alarm as the Sonos app would; wait for its entities."""
    alarm_id = add_emulated_alarm(household, fields.pop("room", 0), **fields)
    registry = er.async_get(hass)
    await wait_for(
        hass,
        lambda: all(
            registry.async_get_entity_id(
                domain, DOMAIN, alarm_unique_id(household.household_id, alarm_id, key)
            )
            for domain, key in (
                ("switch", None),
                ("time", "start"),
                ("number", "volume"),
                ("select", "recurrence"),
                ("select", "play_mode"),
            )
        ),
    )
    return alarm_id


async def call(hass: HomeAssistant, domain: str, service: str, **data: Any) -> None:
    """Call an entity platform's action, blocking."""
    await hass.services.async_call(domain, service, data, blocking=True)


# --- readable switches --------------------------------------------------------


async def test_switch_name_follows_the_alarm_and_its_entity_id_stays(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    alarm_id = await alarm_in_hass(
        hass, household, start_time="07:30:00", recurrence="WEEKDAYS"
    )
    switch = entity_id_of(hass, household, "switch", alarm_id)
    assert switch == f"switch.living_room_alarm_{alarm_id}"
    attributes = attributes_of(hass, switch)
    assert attributes[ATTR_FRIENDLY_NAME] == "Living Room 07:30 · Weekdays"
    assert attributes["days"] == [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
    ]
    assert attributes["recurrence"] == "WEEKDAYS"
    assert attributes["play_mode"] == "normal"

    await call(
        hass,
        "time",
        "set_value",
        entity_id=entity_id_of(hass, household, "time", alarm_id, "start"),
        time="06:45:00",
    )
    await call(
        hass,
        "select",
        "select_option",
        entity_id=entity_id_of(hass, household, "select", alarm_id, "recurrence"),
        option="weekends",
    )
    household.alarms.update(
        replace(household.alarms.get(alarm_id), recurrence="ON_135")
    )
    household.alarms_changed()
    await wait_for(
        hass,
        lambda: attributes_of(hass, switch)["recurrence"] == "ON_135",
    )
    attributes = attributes_of(hass, switch)
    assert attributes[ATTR_FRIENDLY_NAME] == "Living Room 06:45 · Mon, Wed, Fri"
    assert attributes["days"] == ["monday", "wednesday", "friday"]
    # The name moved on; the entity ID did not.
    assert entity_id_of(hass, household, "switch", alarm_id) == switch
    entry = er.async_get(hass).async_get(switch)
    assert entry is not None
    assert entry.original_name == "06:45 · Mon, Wed, Fri"


async def test_existing_switches_keep_their_entity_ids(
    hass: HomeAssistant, household: Household
) -> None:
    alarm_id = add_emulated_alarm(household, 1, start_time="05:15:00")
    entry = entry_for(household)
    entry.add_to_hass(hass)
    er.async_get(hass).async_get_or_create(
        "switch",
        DOMAIN,
        alarm_unique_id(household.household_id, alarm_id),
        config_entry=entry,
        suggested_object_id="wake_up",
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    try:
        assert entity_id_of(hass, household, "switch", alarm_id) == "switch.wake_up"
        name = attributes_of(hass, "switch.wake_up")[ATTR_FRIENDLY_NAME]
        assert name == "Kitchen 05:15 · Weekdays"
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


# --- editing entities --------------------------------------------------------


async def test_editing_entities_write_through_and_follow_the_speaker(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    alarm_id = await alarm_in_hass(
        hass,
        household,
        room=2,
        program_uri="x-sonosapi-stream:s12345?sid=254&flags=8224&sn=0",
        program_metadata=METADATA,
        include_linked_zones=True,
    )
    before = household.alarms.get(alarm_id).to_json()
    start = entity_id_of(hass, household, "time", alarm_id, "start")
    volume = entity_id_of(hass, household, "number", alarm_id, "volume")
    recurrence = entity_id_of(hass, household, "select", alarm_id, "recurrence")
    play_mode = entity_id_of(hass, household, "select", alarm_id, "play_mode")
    assert (start, volume, recurrence, play_mode) == (
        f"time.bedroom_alarm_{alarm_id}_start_time",
        f"number.bedroom_alarm_{alarm_id}_volume",
        f"select.bedroom_alarm_{alarm_id}_repeats",
        f"select.bedroom_alarm_{alarm_id}_play_mode",
    )
    assert state_of(hass, start) == "06:30:00"
    assert state_of(hass, volume) == "20"
    assert state_of(hass, recurrence) == "weekdays"
    assert state_of(hass, play_mode) == "normal"
    assert attributes_of(hass, play_mode)["options"] == [
        "normal",
        "repeat_all",
        "shuffle_norepeat",
        "shuffle",
    ]

    await call(hass, "time", "set_value", entity_id=start, time="07:05:00")
    await call(hass, "number", "set_value", entity_id=volume, value=42)
    await call(hass, "select", "select_option", entity_id=recurrence, option="daily")
    await call(hass, "select", "select_option", entity_id=play_mode, option="shuffle")

    after = household.alarms.get(alarm_id).to_json()
    assert after == {
        **before,
        "start_time": "07:05:00",
        "volume": 42,
        "recurrence": "DAILY",
        "play_mode": "SHUFFLE",
    }
    # The states are the speaker's list as read back.
    assert state_of(hass, start) == "07:05:00"
    assert state_of(hass, volume) == "42"
    assert state_of(hass, recurrence) == "daily"
    assert state_of(hass, play_mode) == "shuffle"
    switch = entity_id_of(hass, household, "switch", alarm_id)
    assert attributes_of(hass, switch)[ATTR_FRIENDLY_NAME] == "Bedroom 07:05 · Daily"

    registry = er.async_get(hass)
    switch_entry = registry.async_get(switch)
    assert switch_entry is not None
    assert switch_entry.entity_category is None
    for entity_id in (start, volume, recurrence, play_mode):
        entry = registry.async_get(entity_id)
        assert entry is not None
        assert entry.entity_category is EntityCategory.CONFIG
        assert entry.disabled_by is None
        assert entry.device_id == device_id_of(hass, household.players[2].uuid)


async def test_recurrence_offers_the_day_combinations_in_use(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    first = await alarm_in_hass(hass, household, recurrence="ON_135")
    second = await alarm_in_hass(
        hass, household, start_time="09:00:00", recurrence="ON_06"
    )
    recurrence = entity_id_of(hass, household, "select", first, "recurrence")
    assert state_of(hass, recurrence) == "Mon, Wed, Fri"
    assert attributes_of(hass, recurrence)["options"] == [
        "daily",
        "weekdays",
        "weekends",
        "once",
        "Sat, Sun",
        "Mon, Wed, Fri",
    ]
    await call(hass, "select", "select_option", entity_id=recurrence, option="Sat, Sun")
    # Sunday and Saturday as the other alarm has them, not the WEEKENDS preset.
    assert household.alarms.get(first).recurrence == "ON_06"
    assert household.alarms.get(second).recurrence == "ON_06"
    assert state_of(hass, recurrence) == "Sat, Sun"


@pytest.fixture
async def odd_household(
    hass: HomeAssistant, emulator_household_factory: HouseholdFactory
) -> AsyncGenerator[Household]:
    """Set up a household whose alarm list holds what other clients leave."""
    household = await emulator_household_factory("real_world_alarms", seed=7)
    household.alarms.add_foreign(
        {
            "ID": "9",
            "StartTime": "10:00:00",
            "Duration": "00:10:00",
            "Recurrence": "DAILY",
            "Enabled": "1",
            "RoomUUID": household.players[0].uuid,
            "ProgramURI": "x-rincon-buzzer:0",
            "ProgramMetaData": "",
            "PlayMode": "NORMAL",
            "Volume": "loud",
            "IncludeLinkedZones": "0",
        }
    )
    entry = entry_for(household)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield household
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_values_we_cannot_interpret_show_as_they_are(
    hass: HomeAssistant, odd_household: Household
) -> None:
    household = odd_household
    # A volume we cannot read is unknown, not 0.
    assert state_of(hass, entity_id_of(hass, household, "number", 9, "volume")) == (
        "unknown"
    )
    # A play mode Sonos does not describe is the current option, as sent.
    play_mode = entity_id_of(hass, household, "select", 2, "play_mode")
    assert state_of(hass, play_mode) == "REPEAT_ONE"
    assert attributes_of(hass, play_mode)["options"][-1] == "REPEAT_ONE"
    before = household.alarms.get(2).to_json()
    await call(
        hass, "select", "select_option", entity_id=play_mode, option="REPEAT_ONE"
    )
    assert household.alarms.get(2).to_json() == before
    # So is a recurrence nobody knows; choosing it again changes nothing.
    recurrence = entity_id_of(hass, household, "select", 5, "recurrence")
    assert state_of(hass, recurrence) == "EVERY_OTHER_DAY"
    await call(
        hass, "select", "select_option", entity_id=recurrence, option="EVERY_OTHER_DAY"
    )
    assert household.alarms.get(5).recurrence == "EVERY_OTHER_DAY"
    # Changing another field keeps it byte for byte.
    await call(
        hass,
        "number",
        "set_value",
        entity_id=entity_id_of(hass, household, "number", 5, "volume"),
        value=7,
    )
    assert household.alarms.get(5).recurrence == "EVERY_OTHER_DAY"
    assert household.alarms.get(5).volume == 7
    switch = entity_id_of(hass, household, "switch", 5)
    attributes = attributes_of(hass, switch)
    assert attributes[ATTR_FRIENDLY_NAME] == "Living Room 08:00 · EVERY_OTHER_DAY"
    assert attributes["days"] is None
    await call(hass, "select", "select_option", entity_id=play_mode, option="normal")
    assert household.alarms.get(2).play_mode == "NORMAL"
    assert state_of(hass, play_mode) == "normal"
    assert "REPEAT_ONE" not in attributes_of(hass, play_mode)["options"]


async def test_deleting_an_alarm_removes_all_its_entities(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    alarm_id = await alarm_in_hass(hass, household)
    entity_ids = [
        entity_id_of(hass, household, domain, alarm_id, key)
        for domain, key in (
            ("switch", None),
            ("time", "start"),
            ("number", "volume"),
            ("select", "recurrence"),
            ("select", "play_mode"),
        )
    ]
    await hass.services.async_call(
        DOMAIN, "delete_alarm", {ATTR_ENTITY_ID: entity_ids[0]}, blocking=True
    )
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    for entity_id in entity_ids:
        assert registry.async_get(entity_id) is None, entity_id
        assert hass.states.get(entity_id) is None, entity_id


async def test_entities_of_alarms_deleted_while_away_are_removed(
    hass: HomeAssistant, household: Household
) -> None:
    entry = entry_for(household)
    entry.add_to_hass(hass)
    registry = er.async_get(hass)
    for domain, key in (("number", "volume"), ("select", "recurrence")):
        registry.async_get_or_create(
            domain,
            DOMAIN,
            alarm_unique_id(household.household_id, 17, key),
            config_entry=entry,
        )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    try:
        assert not [
            registry_entry
            for registry_entry in er.async_entries_for_config_entry(
                registry, entry.entry_id
            )
            if "-alarm-17" in registry_entry.unique_id
        ]
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


# --- calendar ----------------------------------------------------------------


async def get_events(
    hass: HomeAssistant, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Return the calendar's events for a window, as calendar.get_events does."""
    response = await hass.services.async_call(
        CALENDAR_DOMAIN,
        "get_events",
        {ATTR_ENTITY_ID: CALENDAR, "start_date_time": start, "end_date_time": end},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    events: list[dict[str, Any]] = response[CALENDAR]["events"]  # type: ignore[index,assignment]
    return events


async def test_calendar_lists_every_time_an_alarm_rings(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    weekdays = await alarm_in_hass(
        hass, household, start_time="07:30:00", duration="00:30:00", room=1
    )
    await alarm_in_hass(
        hass, household, start_time="08:00:00", enabled=False, recurrence="DAILY"
    )
    household.alarms.restore(
        EmulatedAlarm(
            50,
            "21:00:00",
            "",
            "ON_3",
            enabled=True,
            room_uuid=household.players[2].uuid,
        )
    )
    household.alarms_changed()
    await wait_for(
        hass,
        lambda: (
            init_integration.runtime_data.coordinator.data.alarms.get(50) is not None
        ),
    )

    time_zone = dt_util.get_default_time_zone()
    monday = datetime(2026, 12, 7, tzinfo=time_zone)
    events = await get_events(hass, monday, monday + timedelta(days=7))
    assert [(event["start"], event["end"], event["summary"]) for event in events] == [
        *(
            (
                f"2026-12-{day:02d}T07:30:00-08:00",
                f"2026-12-{day:02d}T08:00:00-08:00",
                "Kitchen · 07:30 · Weekdays",
            )
            for day in (7, 8)
        ),
        # No duration: an hour, the Sonos default.
        (
            "2026-12-09T07:30:00-08:00",
            "2026-12-09T08:00:00-08:00",
            "Kitchen · 07:30 · Weekdays",
        ),
        (
            "2026-12-09T21:00:00-08:00",
            "2026-12-09T22:00:00-08:00",
            "Bedroom · 21:00 · Wed",
        ),
        *(
            (
                f"2026-12-{day:02d}T07:30:00-08:00",
                f"2026-12-{day:02d}T08:00:00-08:00",
                "Kitchen · 07:30 · Weekdays",
            )
            for day in (10, 11)
        ),
    ]
    assert events[0]["location"] == "Kitchen"
    assert events[0]["description"] == entity_id_of(hass, household, "switch", weekdays)
    # A window that starts while an alarm plays includes it.
    during = await get_events(
        hass,
        datetime(2026, 12, 7, 7, 45, tzinfo=time_zone),
        datetime(2026, 12, 7, 7, 50, tzinfo=time_zone),
    )
    assert [event["start"] for event in during] == ["2026-12-07T07:30:00-08:00"]


async def test_calendar_follows_daylight_saving_time(
    hass: HomeAssistant, household: Household
) -> None:
    await hass.config.async_set_time_zone("Europe/Berlin")
    entry = entry_for(household)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    try:
        await alarm_in_hass(hass, household, start_time="02:30:00", recurrence="DAILY")
        time_zone = dt_util.get_default_time_zone()
        events = await get_events(
            hass,
            datetime(2026, 3, 28, tzinfo=time_zone),
            datetime(2026, 3, 31, tzinfo=time_zone),
        )
        assert [event["start"] for event in events] == [
            "2026-03-28T02:30:00+01:00",
            # 02:30 does not exist on the 29th: the alarm rings when the clock
            # jumps to 03:00.
            "2026-03-29T03:00:00+02:00",
            "2026-03-30T02:30:00+02:00",
        ]
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


async def test_calendar_trigger_fires_before_the_alarm(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    now = dt_util.now().replace(microsecond=0)
    start = now.replace(second=0) + timedelta(minutes=20)
    await alarm_in_hass(
        hass, household, start_time=start.time().isoformat(), recurrence="DAILY"
    )
    assert state_of(hass, CALENDAR) == "off"
    assert attributes_of(hass, CALENDAR)["start_time"] == start.strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    calls = async_mock_service(hass, "test", "automation")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": {
                    "trigger": "calendar",
                    "event": "start",
                    "entity_id": CALENDAR,
                    "offset": "-00:15:00",
                },
                "actions": {
                    "action": "test.automation",
                    "data": {"summary": "{{ trigger.calendar_event.summary }}"},
                },
            }
        },
    )
    await hass.async_block_till_done()
    async_fire_time_changed(hass, dt_util.as_utc(now + timedelta(minutes=4)))
    await hass.async_block_till_done()
    assert calls == []
    async_fire_time_changed(hass, dt_util.as_utc(now + timedelta(minutes=5, seconds=1)))
    await hass.async_block_till_done()
    assert [call.data["summary"] for call in calls] == [
        f"Living Room · {start:%H:%M} · Daily"
    ]
    await hass.services.async_call(
        "automation", "turn_off", {ATTR_ENTITY_ID: "all"}, blocking=True
    )


# --- actions -----------------------------------------------------------------


async def test_create_and_list_alarms_answer_with_the_entity_id(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    response = await run_action(
        hass,
        "create_alarm",
        {
            "device_id": device_id_of(hass, household.players[1].uuid),
            "start_time": "06:10:00",
        },
    )
    assert response is not None
    alarm_id = response["alarm_id"]
    assert isinstance(alarm_id, int)
    assert response["entity_id"] == f"switch.kitchen_alarm_{alarm_id}"
    assert state_of(hass, f"switch.kitchen_alarm_{alarm_id}") == "on"

    listed = await run_action(hass, "list_alarms", {})
    assert listed is not None
    alarms: Any = listed["alarms"]
    assert [alarm["entity_id"] for alarm in alarms] == [
        f"switch.kitchen_alarm_{alarm_id}"
    ]


# --- less clutter ------------------------------------------------------------


async def test_room_entities_are_tidy(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    registry = er.async_get(hass)

    def entry_of(entity_id: str) -> er.RegistryEntry:
        entry = registry.async_get(entity_id)
        assert entry is not None, entity_id
        return entry

    coordinator_room = entry_of("sensor.kitchen_group_coordinator_room")
    assert coordinator_room.entity_category is EntityCategory.DIAGNOSTIC
    assert coordinator_room.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get("sensor.kitchen_group_coordinator_room") is None

    is_coordinator = entry_of("binary_sensor.kitchen_group_coordinator")
    assert is_coordinator.entity_category is EntityCategory.DIAGNOSTIC
    assert is_coordinator.disabled_by is None

    for entity_id in ("sensor.kitchen_group", "sensor.kitchen_next_alarm"):
        entry = entry_of(entity_id)
        assert entry.entity_category is None
        assert entry.disabled_by is None
    assert entry_of(CALENDAR).device_id is None


async def test_the_coordinator_room_sensor_works_once_enabled(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    entity_id = "sensor.kitchen_group_coordinator_room"
    er.async_get(hass).async_update_entity(entity_id, disabled_by=None)
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "Kitchen"

    living, kitchen = household.players[0], household.players[1]
    household.join(kitchen, living)
    await wait_for(hass, lambda: hass.states.get(entity_id).state == "Living Room")
