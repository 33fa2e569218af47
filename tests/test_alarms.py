"""Alarms end to end: actions, switches and events against the emulator."""

from collections.abc import AsyncGenerator
from dataclasses import replace
from datetime import timedelta

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sonos_upnp.alarm_problems import AlarmListProblems
from custom_components.sonos_upnp.const import DOMAIN
from custom_components.sonos_upnp.switch import alarm_unique_id
from custom_components.sonos_upnp.upnp.alarms import parse_alarm_list
from tests.common import device_id_of, run_action, wait_for
from tests.conftest import entry_for
from tests.emulator.alarms import Alarm as EmulatedAlarm
from tests.emulator.household import Household
from tests.emulator.pytest_plugin import HouseholdFactory

METADATA = (
    '<DIDL-Lite xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/">'
    '<item id="R:0/0/1" parentID="R:0/0" restricted="true">'
    "<dc:title>Café &amp; Croissants — “Morning” Mix</dc:title>"
    "<upnp:class>object.item.audioItem.audioBroadcast</upnp:class>"
    "</item></DIDL-Lite>"
)


def switch_entity_id(hass: HomeAssistant, household: Household, alarm_id: int) -> str:
    """Return the entity ID of an alarm's switch (it must exist)."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "switch", DOMAIN, alarm_unique_id(household.household_id, alarm_id)
    )
    assert entity_id is not None
    return entity_id


def add_emulated_alarm(household: Household, room_index: int, **fields: object) -> int:
    """Create an alarm on the emulator directly, as the Sonos app would."""
    values: dict[str, object] = {
        "id": 0,
        "start_time": "06:30:00",
        "duration": "00:30:00",
        "recurrence": "WEEKDAYS",
        "enabled": True,
        "room_uuid": household.players[room_index].uuid,
    }
    values.update(fields)
    alarm = household.alarms.create(EmulatedAlarm(**values))  # type: ignore[arg-type]
    household.alarms_changed()
    return alarm.id


async def test_create_alarm_action_adds_alarm_and_switch(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    kitchen = household.players[1]
    response = await run_action(
        hass,
        "create_alarm",
        {
            "device_id": device_id_of(hass, kitchen.uuid),
            "start_time": "07:15:00",
            "recurrence": "on_1245",
            "volume": 35,
        },
    )
    assert response is not None
    alarm_id = response["alarm_id"]
    assert isinstance(alarm_id, int)

    emulated = household.alarms.get(alarm_id)
    assert emulated.room_uuid == kitchen.uuid
    assert emulated.start_time == "07:15:00"
    assert emulated.recurrence == "ON_1245"
    assert emulated.volume == 35
    assert emulated.duration == "01:00:00"
    assert emulated.program_uri == "x-rincon-buzzer:0"
    assert emulated.play_mode == "NORMAL"
    assert emulated.enabled is True

    state = hass.states.get(switch_entity_id(hass, household, alarm_id))
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes["alarm_id"] == alarm_id
    assert state.attributes["room"] == kitchen.room_name
    assert state.attributes["recurrence"] == "ON_1245"
    assert state.attributes["start_time"] == "07:15:00"
    assert state.attributes["volume"] == 35
    assert state.attributes["next_occurrence"] is not None
    entry = er.async_get(hass).async_get(state.entity_id)
    assert entry is not None
    assert entry.device_id == device_id_of(hass, kitchen.uuid)


async def test_alarm_created_on_the_speaker_shows_up_through_events(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    alarm_id = add_emulated_alarm(household, 2)
    unique_id = alarm_unique_id(household.household_id, alarm_id)
    registry = er.async_get(hass)
    await wait_for(
        hass, lambda: registry.async_get_entity_id("switch", DOMAIN, unique_id)
    )
    state = hass.states.get(switch_entity_id(hass, household, alarm_id))
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes["recurrence"] == "WEEKDAYS"


async def test_switch_writes_through_and_follows_the_speaker(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    alarm_id = add_emulated_alarm(household, 0, program_metadata=METADATA)
    registry = er.async_get(hass)
    unique_id = alarm_unique_id(household.household_id, alarm_id)
    await wait_for(
        hass, lambda: registry.async_get_entity_id("switch", DOMAIN, unique_id)
    )
    entity_id = switch_entity_id(hass, household, alarm_id)

    await hass.services.async_call(
        "switch", "turn_off", {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    assert household.alarms.get(alarm_id).enabled is False
    assert household.alarms.get(alarm_id).program_metadata == METADATA
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_OFF

    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    assert household.alarms.get(alarm_id).enabled is True
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_ON


async def test_update_alarm_changes_only_the_given_fields(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    alarm_id = add_emulated_alarm(
        household,
        0,
        program_uri="x-sonosapi-stream:s12345?sid=254&flags=8224&sn=0",
        program_metadata=METADATA,
        play_mode="SHUFFLE",
        include_linked_zones=True,
    )
    await wait_for(hass, lambda: hass.states.async_entity_ids("switch") != [])
    before = household.alarms.get(alarm_id)
    entity_id = switch_entity_id(hass, household, alarm_id)

    await hass.services.async_call(
        DOMAIN,
        "update_alarm",
        {ATTR_ENTITY_ID: entity_id, "volume": 42, "recurrence": "ON_06"},
        blocking=True,
    )
    after = household.alarms.get(alarm_id)
    assert after.volume == 42
    assert after.recurrence == "ON_06"
    assert after.program_metadata == METADATA
    assert after.program_uri == before.program_uri
    assert (after.start_time, after.duration, after.play_mode) == (
        before.start_time,
        before.duration,
        before.play_mode,
    )
    assert after.include_linked_zones is True
    assert after.room_uuid == before.room_uuid
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["volume"] == 42


async def test_update_alarm_moves_it_to_another_room(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    alarm_id = add_emulated_alarm(household, 0)
    await wait_for(hass, lambda: hass.states.async_entity_ids("switch") != [])
    entity_id = switch_entity_id(hass, household, alarm_id)
    bedroom = household.players[2]

    await hass.services.async_call(
        DOMAIN,
        "update_alarm",
        {
            ATTR_ENTITY_ID: entity_id,
            "room": device_id_of(hass, bedroom.uuid),
            "start_time": "05:45:00",
            "duration": {"minutes": 20},
        },
        blocking=True,
    )
    moved = household.alarms.get(alarm_id)
    assert moved.room_uuid == bedroom.uuid
    assert moved.start_time == "05:45:00"
    assert moved.duration == "00:20:00"
    entry = er.async_get(hass).async_get(entity_id)
    assert entry is not None
    assert entry.device_id == device_id_of(hass, bedroom.uuid)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["room"] == bedroom.room_name


async def test_delete_alarm_removes_it_and_its_entity(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    alarm_id = add_emulated_alarm(household, 1)
    await wait_for(hass, lambda: hass.states.async_entity_ids("switch") != [])
    entity_id = switch_entity_id(hass, household, alarm_id)

    await hass.services.async_call(
        DOMAIN, "delete_alarm", {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    assert household.alarms.alarms == ()
    assert er.async_get(hass).async_get(entity_id) is None
    assert hass.states.get(entity_id) is None


async def test_alarm_deleted_on_the_speaker_goes_away(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    alarm_id = add_emulated_alarm(household, 1)
    await wait_for(hass, lambda: hass.states.async_entity_ids("switch") != [])
    household.alarms.destroy(alarm_id)
    household.alarms_changed()
    await wait_for(hass, lambda: hass.states.async_entity_ids("switch") == [])


async def test_list_alarms_returns_every_field(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    alarm_id = add_emulated_alarm(household, 1, program_metadata=METADATA)
    await wait_for(hass, lambda: hass.states.async_entity_ids("switch") != [])
    response = await hass.services.async_call(
        DOMAIN, "list_alarms", {}, blocking=True, return_response=True
    )
    assert response == {
        "alarms": [
            {
                "alarm_id": alarm_id,
                "household_id": household.household_id,
                "device_id": device_id_of(hass, household.players[1].uuid),
                "entity_id": switch_entity_id(hass, household, alarm_id),
                "room_uuid": household.players[1].uuid,
                "start_time": "06:30:00",
                "duration": "00:30:00",
                "recurrence": "WEEKDAYS",
                "enabled": True,
                "volume": 20,
                "play_mode": "NORMAL",
                "include_linked_zones": False,
                "program_uri": "x-rincon-buzzer:0",
                "program_metadata": METADATA,
            }
        ]
    }


@pytest.mark.parametrize(
    ("fields", "translation_key"),
    [
        ({"recurrence": "SOMETIMES"}, "invalid_argument"),
        ({"recurrence": "ON_17"}, "invalid_argument"),
        ({"volume": 101}, "volume_out_of_range"),
        ({"play_mode": "LOUD"}, "invalid_play_mode"),
    ],
)
async def test_create_alarm_refuses_bad_values(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    household: Household,
    fields: dict[str, object],
    translation_key: str,
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await run_action(
            hass,
            "create_alarm",
            {
                "device_id": device_id_of(hass, household.players[0].uuid),
                "start_time": "08:00:00",
                **fields,
            },
        )
    assert caught.value.translation_key == translation_key
    assert household.alarms.alarms == ()


async def test_create_alarm_refuses_a_device_that_is_no_player(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await run_action(
            hass,
            "create_alarm",
            {"device_id": "not-a-device", "start_time": "08:00:00"},
        )
    assert caught.value.translation_key == "not_a_player"


async def test_duplicate_alarm_time_says_so(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    add_emulated_alarm(household, 0, start_time="09:00:00")
    with pytest.raises(ServiceValidationError) as caught:
        await run_action(
            hass,
            "create_alarm",
            {
                "device_id": device_id_of(hass, household.players[0].uuid),
                "start_time": "09:00:00",
            },
        )
    assert caught.value.translation_key == "duplicate_alarm_time"
    assert "already has an alarm" in str(caught.value)


async def test_update_of_an_alarm_gone_meanwhile_says_so(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    alarm_id = add_emulated_alarm(household, 0)
    await wait_for(hass, lambda: hass.states.async_entity_ids("switch") != [])
    entity_id = switch_entity_id(hass, household, alarm_id)
    household.alarms.destroy(alarm_id)  # no event: HA does not know yet
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "update_alarm",
            {ATTR_ENTITY_ID: entity_id, "volume": 10},
            blocking=True,
        )
    assert caught.value.translation_key == "alarm_not_found"


async def test_alarm_actions_fail_over_and_report_an_unreachable_household(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    alarm_id = add_emulated_alarm(household, 0)
    await wait_for(hass, lambda: hass.states.async_entity_ids("switch") != [])
    entity_id = switch_entity_id(hass, household, alarm_id)

    await household.players[0].go_offline()  # the entry's own speaker
    await hass.services.async_call(
        "switch", "turn_off", {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    assert household.alarms.get(alarm_id).enabled is False

    for player in household.players[1:]:
        await player.go_offline()
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            "switch", "turn_on", {ATTR_ENTITY_ID: entity_id}, blocking=True
        )
    assert caught.value.translation_key == "cannot_connect"


async def test_alarm_started_fires_the_rooms_event(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    now = dt_util.now().replace(microsecond=0)
    alarm_id = add_emulated_alarm(
        household, 1, start_time=now.time().isoformat(), recurrence="DAILY"
    )
    add_emulated_alarm(
        household,
        2,
        start_time=(now + timedelta(hours=3)).time().isoformat(),
        recurrence="DAILY",
    )
    await wait_for(hass, lambda: len(hass.states.async_entity_ids("switch")) == 2)
    kitchen_event = "event.kitchen_alarm_started"
    bedroom_event = "event.bedroom_alarm_started"

    household.fire_alarm(alarm_id)
    await wait_for(
        hass,
        lambda: hass.states.get(kitchen_event).state != "unknown",  # type: ignore[union-attr]
    )
    state = hass.states.get(kitchen_event)
    assert state is not None
    assert state.attributes["event_type"] == "alarm_started"
    assert state.attributes["alarm_id"] == alarm_id
    bedroom = hass.states.get(bedroom_event)
    assert bedroom is not None
    assert bedroom.state == "unknown"


async def test_next_alarm_sensor_shows_the_rooms_next_start(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    add_emulated_alarm(household, 0, start_time="23:59:00", recurrence="DAILY")
    add_emulated_alarm(household, 0, start_time="23:58:00", enabled=False)
    await wait_for(hass, lambda: len(hass.states.async_entity_ids("switch")) == 2)
    state = hass.states.get("sensor.living_room_next_alarm")
    assert state is not None
    start = dt_util.parse_datetime(state.state)
    assert start is not None
    local = dt_util.as_local(start)
    assert (local.hour, local.minute) == (23, 59)
    assert start > dt_util.utcnow()
    assert state.attributes["device_class"] == "timestamp"
    empty = hass.states.get("sensor.kitchen_next_alarm")
    assert empty is not None
    assert empty.state == "unknown"


# --- alarms other clients wrote ------------------------------------------------------

ODD_ALARM_IDS = (1, 2, 3, 4, 5)


@pytest.fixture
async def odd_household(
    hass: HomeAssistant, emulator_household_factory: HouseholdFactory
) -> AsyncGenerator[tuple[Household, MockConfigEntry]]:
    """Set up a household whose alarm list holds what other clients leave."""
    household = await emulator_household_factory("real_world_alarms", seed=7)
    entry = entry_for(household)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield household, entry
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def warnings_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the warnings of the test so far, the fixtures' setup included."""
    return [
        record.getMessage()
        for phase in ("setup", "call")
        for record in caplog.get_records(phase)
        if record.levelname == "WARNING"
    ]


def emulated_fields(household: Household, alarm_id: int) -> dict[str, object]:
    """Return what the emulator stores for an alarm, enabled aside."""
    fields = household.alarms.get(alarm_id).to_json()
    del fields["enabled"]
    return fields


async def test_setup_loads_with_alarms_other_clients_wrote(
    hass: HomeAssistant,
    odd_household: tuple[Household, MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    household, entry = odd_household
    assert entry.state is ConfigEntryState.LOADED
    states = {
        alarm_id: hass.states.get(switch_entity_id(hass, household, alarm_id))
        for alarm_id in ODD_ALARM_IDS
    }
    assert {alarm_id: state.state for alarm_id, state in states.items() if state} == {
        1: STATE_ON,
        2: STATE_ON,
        3: STATE_OFF,
        4: STATE_ON,
        5: STATE_ON,
    }
    # Shown as the speaker has them: no duration is null, the rest verbatim.
    attributes = {
        alarm_id: state.attributes for alarm_id, state in states.items() if state
    }
    assert attributes[1]["duration"] is None
    assert attributes[1]["next_occurrence"] is not None
    assert (attributes[2]["play_mode"], attributes[3]["play_mode"]) == (
        "REPEAT_ONE",
        "SHUFFLE_REPEAT_ONE",
    )
    assert (attributes[4]["recurrence"], attributes[5]["recurrence"]) == (
        "ON_1135",
        "EVERY_OTHER_DAY",
    )
    assert attributes[4]["next_occurrence"] is None
    assert attributes[5]["next_occurrence"] is None
    # The unreadable alarm (ID 8 without StartTime) gets no switch.
    registry = er.async_get(hass)
    unique_id = alarm_unique_id(household.household_id, 8)
    assert registry.async_get_entity_id("switch", DOMAIN, unique_id) is None
    warnings = warnings_logged(caplog)
    assert sum("cannot be read (no ID)" in w for w in warnings) == 1
    assert sum("cannot be read (no StartTime)" in w for w in warnings) == 1
    assert sum("have the ID 2" in w for w in warnings) == 1


async def test_every_odd_alarm_toggles_and_keeps_its_fields(
    hass: HomeAssistant, odd_household: tuple[Household, MockConfigEntry]
) -> None:
    household, _ = odd_household
    for alarm_id in ODD_ALARM_IDS:
        entity_id = switch_entity_id(hass, household, alarm_id)
        before = emulated_fields(household, alarm_id)
        was_on = household.alarms.get(alarm_id).enabled
        for service, enabled in (("toggle", not was_on), ("toggle", was_on)):
            await hass.services.async_call(
                "switch", service, {ATTR_ENTITY_ID: entity_id}, blocking=True
            )
            assert household.alarms.get(alarm_id).enabled is enabled, alarm_id
            # Byte for byte: what another client wrote is still there.
            assert emulated_fields(household, alarm_id) == before
            state = hass.states.get(entity_id)
            assert state is not None
            assert state.state == (STATE_ON if enabled else STATE_OFF)


async def test_update_alarm_checks_only_what_changes(
    hass: HomeAssistant, odd_household: tuple[Household, MockConfigEntry]
) -> None:
    household, _ = odd_household
    entity_id = switch_entity_id(hass, household, 2)  # REPEAT_ONE
    await hass.services.async_call(
        DOMAIN, "update_alarm", {ATTR_ENTITY_ID: entity_id, "volume": 42}, blocking=True
    )
    stored = household.alarms.get(2)
    assert (stored.volume, stored.play_mode) == (42, "REPEAT_ONE")
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["volume"] == 42
    # A play mode the SCPD does not list is still no choice for the user.
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "update_alarm",
            {ATTR_ENTITY_ID: entity_id, "play_mode": "repeat_one"},
            blocking=True,
        )
    assert caught.value.translation_key == "invalid_play_mode"
    # Passed back as list_alarms shows them, the odd values are no change.
    await hass.services.async_call(
        DOMAIN,
        "update_alarm",
        {
            ATTR_ENTITY_ID: switch_entity_id(hass, household, 5),
            "play_mode": "NORMAL",
            "recurrence": "EVERY_OTHER_DAY",
            "volume": 9,
        },
        blocking=True,
    )
    assert household.alarms.get(5).recurrence == "EVERY_OTHER_DAY"
    assert household.alarms.get(5).volume == 9
    await hass.services.async_call(
        DOMAIN,
        "update_alarm",
        {ATTR_ENTITY_ID: entity_id, "play_mode": "REPEAT_ONE", "enabled": False},
        blocking=True,
    )
    assert household.alarms.get(2).enabled is False

    response = await run_action(hass, "list_alarms", {})
    assert response is not None
    listed = {alarm["alarm_id"]: alarm for alarm in response["alarms"]}  # type: ignore[union-attr,index]
    assert sorted(listed) == list(ODD_ALARM_IDS)
    assert listed[1]["duration"] is None
    assert listed[4]["recurrence"] == "ON_1135"


async def test_an_odd_alarm_appearing_does_not_freeze_the_list(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    household.alarms.restore(
        EmulatedAlarm(
            7,
            "05:00:00",
            "",
            "DAILY",
            enabled=True,
            room_uuid=household.players[0].uuid,
            play_mode="SHUFFLE_REPEAT_ONE",
        )
    )
    household.alarms_changed()
    registry = er.async_get(hass)
    unique_id = alarm_unique_id(household.household_id, 7)
    await wait_for(
        hass, lambda: registry.async_get_entity_id("switch", DOMAIN, unique_id)
    )
    entity_id = switch_entity_id(hass, household, 7)
    await hass.services.async_call(
        "switch", "turn_off", {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    assert household.alarms.get(7).enabled is False
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_OFF

    response = await run_action(
        hass,
        "create_alarm",
        {
            "device_id": device_id_of(hass, household.players[1].uuid),
            "start_time": "07:45:00",
        },
    )
    assert response is not None
    created = response["alarm_id"]
    assert isinstance(created, int)
    state = hass.states.get(switch_entity_id(hass, household, created))
    assert state is not None
    assert state.state == STATE_ON


async def test_duplicate_ids_are_reported_once_and_listed_in_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    odd_household: tuple[Household, MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert await async_setup_component(hass, "diagnostics", {})
    household, entry = odd_household
    coordinator = entry.runtime_data.coordinator
    versions = [coordinator.data.alarms.version]
    for volume in (11, 12, 13):  # each change makes the integration re-list
        household.alarms.update(replace(household.alarms.get(1), volume=volume))
        household.alarms_changed()
        await wait_for(
            hass,
            lambda: coordinator.data.alarms.version == household.alarms.version,
        )
        versions.append(coordinator.data.alarms.version)
    assert len(set(versions)) == 4
    duplicate_warnings = [w for w in warnings_logged(caplog) if "have the ID 2" in w]
    assert len(duplicate_warnings) == 1

    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    alarms = result["household"]["alarms"]
    first = next(alarm for alarm in alarms["alarms"] if alarm["alarm_id"] == 2)
    (second,) = alarms["duplicates"]
    assert (first["start_time"], second["start_time"]) == ("06:30:00", "09:00:00")
    assert second["alarm_id"] == 2
    reasons = sorted(alarm["reason"] for alarm in alarms["unreadable"])
    assert reasons == ["no ID", "no StartTime"]
    assert alarms["alarms"][0]["raw"]["Duration"] == ""


def test_a_problem_that_returns_is_reported_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = 'StartTime="07:00:00" Duration="" Recurrence="DAILY" Enabled="1" '
    good += 'RoomUUID="R" ProgramURI="u" PlayMode="NORMAL" Volume="5"'
    twice = parse_alarm_list(
        f'<Alarms><Alarm ID="1" {good}/><Alarm ID="1" {good}/></Alarms>', "R:1"
    )
    once = parse_alarm_list(f'<Alarms><Alarm ID="1" {good}/></Alarms>', "R:2")
    problems = AlarmListProblems("Sonos (Kitchen)")
    for alarms in (twice, twice, once, once, twice):
        problems.report(alarms)
    messages = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    duplicate = (
        "Several alarms of Sonos (Kitchen) have the ID 1; only the first is "
        "shown (diagnostics list the others)"
    )
    assert messages == [duplicate, duplicate]
