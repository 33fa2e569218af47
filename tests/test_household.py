"""The household over time: groups, reboots, lost events, two households."""

import socket
from datetime import timedelta

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.sonos_upnp.const import (
    CONF_ADVERTISE_PORT,
    CONF_MISSING_SINCE,
    DOMAIN,
)
from custom_components.sonos_upnp.household_events import events_issue_id
from tests.common import device_id_of, run_action, wait_for, wait_for_subscriptions
from tests.conftest import entry_for
from tests.emulator.alarms import Alarm as EmulatedAlarm
from tests.emulator.household import Household
from tests.emulator.pytest_plugin import HouseholdFactory


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state (it must exist)."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def coordinator_room(hass: HomeAssistant, group_sensor: str) -> object:
    """Return the coordinator a group sensor names (the coordinator-room
    sensor, which says the same, is disabled by default)."""
    state = hass.states.get(group_sensor)
    assert state is not None, group_sensor
    return state.attributes.get("coordinator")


def issue_ids(hass: HomeAssistant) -> set[str]:
    """Return the IDs of this integration's repair issues."""
    return {
        issue_id for (domain, issue_id) in ir.async_get(hass).issues if domain == DOMAIN
    }


def create_emulated_alarm(household: Household, room_index: int, time: str) -> int:
    """Create an alarm on the emulator directly and tell its subscribers."""
    alarm = household.alarms.create(
        EmulatedAlarm(
            id=0,
            start_time=time,
            duration="01:00:00",
            recurrence="DAILY",
            enabled=True,
            room_uuid=household.players[room_index].uuid,
        )
    )
    household.alarms_changed()
    return alarm.id


async def test_devices_describe_the_players(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    registry = dr.async_get(hass)
    player = household.players[1]

    def described() -> bool:
        device = registry.async_get(device_id_of(hass, player.uuid))
        return device is not None and device.serial_number is not None

    await wait_for(hass, described)
    device = registry.async_get(device_id_of(hass, player.uuid))
    assert device is not None
    assert device.name == player.room_name
    assert device.manufacturer == "Sonos"
    assert device.model == player.model.description
    assert device.model_id == player.model.model
    assert device.serial_number == player.serial
    assert device.sw_version == player.software_version
    assert device.configuration_url == f"{player.base_url}/support/review"
    assert device.config_entry_id == init_integration.entry_id
    devices = dr.async_entries_for_config_entry(registry, init_integration.entry_id)
    assert len(devices) == len(household.players)


async def test_joining_players_changes_the_group_sensors(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    living, kitchen, bedroom = household.players
    assert state_of(hass, "sensor.kitchen_group") == "Kitchen"
    assert state_of(hass, "binary_sensor.kitchen_group_coordinator") == STATE_ON

    household.join(kitchen, living)
    household.join(bedroom, living)
    await wait_for(
        hass, lambda: state_of(hass, "sensor.living_room_group") == "Living Room + 2"
    )
    assert state_of(hass, "sensor.kitchen_group") == "Living Room + 2"
    assert coordinator_room(hass, "sensor.kitchen_group") == "Living Room"
    assert state_of(hass, "binary_sensor.kitchen_group_coordinator") == STATE_OFF
    assert state_of(hass, "binary_sensor.living_room_group_coordinator") == STATE_ON
    members = hass.states.get("sensor.bedroom_group")
    assert members is not None
    assert sorted(members.attributes["members"]) == [
        "Bedroom",
        "Kitchen",
        "Living Room",
    ]

    household.leave(bedroom)
    await wait_for(
        hass, lambda: state_of(hass, "sensor.living_room_group") == "Living Room + 1"
    )
    assert state_of(hass, "sensor.bedroom_group") == "Bedroom"
    assert state_of(hass, "binary_sensor.bedroom_group_coordinator") == STATE_ON


async def test_call_action_joins_through_soap(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    living, kitchen, _ = household.players
    response = await run_action(
        hass,
        "call_action",
        {
            "device_id": device_id_of(hass, kitchen.uuid),
            "service": "AVTransport",
            "action": "SetAVTransportURI",
            "arguments": {
                "CurrentURI": f"x-rincon:{living.uuid}",
                "CurrentURIMetaData": "",
            },
        },
    )
    assert response == {}
    assert kitchen.group_coordinator is living
    await wait_for(
        hass,
        lambda: coordinator_room(hass, "sensor.kitchen_group") == "Living Room",
    )


async def test_call_action_returns_typed_outputs(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    player = household.players[2]
    player.volume = 37
    response = await run_action(
        hass,
        "call_action",
        {
            "device_id": device_id_of(hass, player.uuid),
            "service": "RenderingControl",
            "action": "GetVolume",
            "arguments": {"Channel": "Master"},
        },
    )
    assert response == {"CurrentVolume": 37}
    response = await run_action(
        hass,
        "call_action",
        {
            "device_id": device_id_of(hass, player.uuid),
            "service": "RenderingControl",
            "action": "GetMute",
            "arguments": {"Channel": "Master"},
        },
    )
    assert response == {"CurrentMute": False}


@pytest.mark.parametrize(
    ("service", "action", "arguments", "translation_key"),
    [
        ("Rendering", "GetVolume", {}, "unknown_service"),
        ("RenderingControl", "GetLoudnes", {}, "invalid_argument"),
        (
            "RenderingControl",
            "GetVolume",
            {"Channel": "Middle"},
            "argument_not_allowed",
        ),
        ("RenderingControl", "GetVolume", {"Chanel": "Master"}, "invalid_argument"),
        ("RenderingControl", "SetVolume", {"Channel": "Master"}, "invalid_argument"),
        (
            "RenderingControl",
            "SetVolume",
            {"Channel": "Master", "DesiredVolume": 70000},
            "argument_not_allowed",
        ),
        ("AlarmClock", "DestroyAlarm", {"ID": 4242}, "alarm_not_found"),
    ],
)
async def test_call_action_refuses_bad_input(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    household: Household,
    service: str,
    action: str,
    arguments: dict[str, object],
    translation_key: str,
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await run_action(
            hass,
            "call_action",
            {
                "device_id": device_id_of(hass, household.players[0].uuid),
                "service": service,
                "action": action,
                "arguments": arguments,
            },
        )
    assert caught.value.translation_key == translation_key


async def test_call_action_reports_speaker_and_network_trouble(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    player = household.players[1]
    device_id = device_id_of(hass, player.uuid)
    player.faults.zone_group_state_501 = True
    with pytest.raises(HomeAssistantError) as caught:
        await run_action(
            hass,
            "call_action",
            {
                "device_id": device_id,
                "service": "ZoneGroupTopology",
                "action": "GetZoneGroupState",
            },
        )
    assert not isinstance(caught.value, ServiceValidationError)
    assert caught.value.translation_key == "speaker_error"
    assert "501" in str(caught.value)

    await player.go_offline()
    with pytest.raises(HomeAssistantError) as caught:
        await run_action(
            hass,
            "call_action",
            {
                "device_id": device_id,
                "service": "DeviceProperties",
                "action": "GetLEDState",
            },
        )
    assert caught.value.translation_key == "cannot_connect"


async def test_reboot_is_survived(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    first = household.players[0]
    old_sids = {
        row["health"].sid
        for row in coordinator.events.diagnostics()
        if row["player"] == first.uuid
    }
    alarm_id = create_emulated_alarm(household, 1, "06:00:00")
    await wait_for(hass, lambda: coordinator.data.alarms.get(alarm_id) is not None)

    await first.reboot(outage=0.05)

    def resubscribed() -> bool:
        rows = [
            r for r in coordinator.events.diagnostics() if r["player"] == first.uuid
        ]
        return bool(rows) and all(
            r["health"].active and r["health"].sid not in old_sids for r in rows
        )

    await wait_for(hass, resubscribed)
    assert coordinator.data.alarms.get(alarm_id) is not None
    assert coordinator.data.is_available(first.uuid)
    # Events flow again from the rebooted player.
    household.join(household.players[2], first)
    await wait_for(
        hass,
        lambda: coordinator_room(hass, "sensor.bedroom_group") == "Living Room",
    )


async def setup_without_events(
    hass: HomeAssistant, household: Household
) -> MockConfigEntry:
    """Set the household up while none of its NOTIFYs reach Home Assistant."""
    for player in household.players:
        player.faults.drop_events = True
    entry = entry_for(household)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await wait_for_subscriptions(hass, entry.runtime_data.coordinator)
    return entry


async def test_unreachable_events_raise_a_repair_and_poll_until_they_flow(
    hass: HomeAssistant, household: Household
) -> None:
    entry = await setup_without_events(hass, household)
    coordinator = entry.runtime_data.coordinator
    assert coordinator.update_interval is None
    assert issue_ids(hass) == set()

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    await hass.async_block_till_done()
    expected = {
        events_issue_id(entry.entry_id, player.uuid) for player in household.players
    }
    assert issue_ids(hass) == expected
    # Issue IDs are part of diagnostics downloads: no MAC, no household ID.
    for issue_id in expected:
        assert household.household_id not in issue_id
        assert not any(player.uuid[7:19] in issue_id for player in household.players)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, min(expected))
    assert issue is not None
    assert issue.translation_key == "events_unreachable"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["callback_url"].startswith(
        "http://127.0.0.1:"
    )
    assert coordinator.update_interval == coordinator.poll_interval

    # Polling keeps the entities current while events are lost.
    alarm_id = create_emulated_alarm(household, 1, "05:30:00")
    assert coordinator.data.alarms.get(alarm_id) is None
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=80))
    await wait_for(hass, lambda: coordinator.data.alarms.get(alarm_id) is not None)

    # Events arrive again: the retried subscriptions see them, the issues go.
    await wait_for_subscriptions(hass, coordinator)
    for player in household.players:
        player.faults.drop_events = False
    # Step through the watchdog and the retry backoff (under the 300 s renewal).
    for _ in range(6):
        if not issue_ids(hass):
            break
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
        await wait_for_subscriptions(hass, coordinator, events_flow=True)
    assert not issue_ids(hass)
    assert coordinator.update_interval is None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_large_household_reads_topology_from_the_event(
    hass: HomeAssistant, household: Household
) -> None:
    for player in household.players:
        player.faults.zone_group_state_501 = True
    entry = entry_for(household)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert state_of(hass, "sensor.bedroom_group") == "Bedroom"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_unreachable_household_retries_setup(
    hass: HomeAssistant, household: Household
) -> None:
    for player in household.players:
        await player.go_offline()
    entry = entry_for(household)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_silent_player_becomes_unavailable_and_returns(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    bedroom = household.players[2]
    await wait_for_subscriptions(hass, init_integration.runtime_data.coordinator)
    await bedroom.go_offline()
    # The renewal (half the granted timeout) finds the player gone.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=301))
    await wait_for(
        hass, lambda: state_of(hass, "sensor.bedroom_group") == STATE_UNAVAILABLE
    )
    assert state_of(hass, "sensor.kitchen_group") == "Kitchen"

    await bedroom.go_online()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=400))
    await wait_for(hass, lambda: state_of(hass, "sensor.bedroom_group") == "Bedroom")


async def test_two_households_stay_apart(
    hass: HomeAssistant,
    household: Household,
    emulator_household_factory: HouseholdFactory,
) -> None:
    other = await emulator_household_factory("singles", players=2, seed=31)
    first_entry, second_entry = entry_for(household), entry_for(other)
    for entry in (first_entry, second_entry):
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    alarm_id = create_emulated_alarm(household, 0, "07:00:00")
    first = first_entry.runtime_data.coordinator
    second = second_entry.runtime_data.coordinator
    await wait_for(hass, lambda: first.data.alarms.get(alarm_id) is not None)
    assert second.data.alarms.alarms == ()
    assert first.listener is not second.listener
    assert first.listener.port != second.listener.port
    first_hosts = {
        (r["health"].host, r["health"].port) for r in first.events.diagnostics()
    }
    second_hosts = {
        (r["health"].host, r["health"].port) for r in second.events.diagnostics()
    }
    assert first_hosts == {(p.host, p.port) for p in household.players}
    assert second_hosts == {(p.host, p.port) for p in other.players}
    assert set(first.data.topology.players).isdisjoint(second.data.topology.players)
    response = await hass.services.async_call(
        DOMAIN, "list_alarms", {}, blocking=True, return_response=True
    )
    assert response is not None
    assert [a["household_id"] for a in response["alarms"]] == [household.household_id]  # type: ignore[index,union-attr]

    # An alarm cannot move into a room of the other household.
    switch = f"switch.{household.players[0].room_name.lower().replace(' ', '_')}"
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "update_alarm",
            {
                "entity_id": f"{switch}_alarm_{alarm_id}",
                "room": device_id_of(hass, other.players[0].uuid),
            },
            blocking=True,
        )
    assert caught.value.translation_key == "room_of_another_household"
    assert household.alarms.get(alarm_id).room_uuid == household.players[0].uuid
    for entry in (first_entry, second_entry):
        await hass.config_entries.async_unload(entry.entry_id)


async def test_unload_unsubscribes(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    assert coordinator.events.diagnostics()
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert coordinator.events.diagnostics() == []
    await wait_for(
        hass, lambda: all(not player.gena.subscriptions for player in household.players)
    )


async def test_players_join_vanish_and_leave_the_household(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    registry = dr.async_get(hass)
    office = await household.add_player_live("Office", model="S39")
    await wait_for(hass, lambda: hass.states.get("sensor.office_group") is not None)
    assert state_of(hass, "sensor.office_group") == "Office"
    assert state_of(hass, "binary_sensor.office_group_coordinator") == STATE_ON
    await wait_for(
        hass,
        lambda: any(
            row["player"] == office.uuid and row["health"].active
            for row in coordinator.events.diagnostics()
        ),
    )

    # Powered off: listed as vanished, so it stays, unavailable, with its alarm.
    alarm_id = create_emulated_alarm(household, 3, "06:15:00")
    await wait_for(hass, lambda: coordinator.data.alarms.get(alarm_id) is not None)
    await office.go_offline(vanish=True)
    await wait_for(
        hass, lambda: state_of(hass, "sensor.office_group") == STATE_UNAVAILABLE
    )
    assert registry.async_get(device_id_of(hass, office.uuid)) is not None
    assert coordinator.data.alarms.get(alarm_id) is not None

    # Gone from the household: no longer subscribed; the device, names and
    # areas stay for the grace period (tests/test_device_retention.py).
    await household.remove_player(office)
    await wait_for(
        hass, lambda: office.uuid not in coordinator.data.topology.member_uuids
    )
    assert state_of(hass, "sensor.office_group") == STATE_UNAVAILABLE
    assert registry.async_get(device_id_of(hass, office.uuid)) is not None
    assert state_of(hass, "sensor.kitchen_group") == "Kitchen"
    assert not any(
        row["player"] == office.uuid for row in coordinator.events.diagnostics()
    )


async def test_player_on_a_new_address_is_subscribed_there(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator)
    kitchen = household.players[1]
    old_port = kitchen.port
    await kitchen.go_offline()
    kitchen.port = 0  # a new port, as after a new DHCP lease
    await kitchen.go_online()
    assert kitchen.port != old_port
    household.topology_changed()

    def kitchen_feeds() -> list[tuple[int, bool]]:
        return [
            (row["health"].port, row["events_seen"])
            for row in coordinator.events.diagnostics()
            if row["player"] == kitchen.uuid
        ]

    await wait_for(
        hass,
        lambda: (
            bool(kitchen_feeds())
            and all(feed == (kitchen.port, True) for feed in kitchen_feeds())
        ),
        describe=kitchen_feeds,
    )
    player = coordinator.player(kitchen.uuid)
    assert player is not None
    assert player.port == kitchen.port


async def test_busy_callback_port_retries_setup(
    hass: HomeAssistant, household: Household
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        entry = entry_for(household)
        entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(
            entry, options={CONF_ADVERTISE_PORT: taken.getsockname()[1]}
        )
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.SETUP_RETRY
        assert "Could not listen for speaker events" in str(entry.reason)


async def test_only_stale_devices_can_be_deleted(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    init_integration: MockConfigEntry,
    household: Household,
) -> None:
    assert await async_setup_component(hass, "config", {})
    coordinator = init_integration.runtime_data.coordinator
    # Setup's address checks and subscriptions end in background tasks that
    # sync the devices again; let them finish, so that the one sync the stale
    # device meets below is the read this test asks for.
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    await wait_for(hass, lambda: not coordinator.devices.checks_in_flight())
    registry = dr.async_get(hass)
    stale_uuid = "RINCON_000000000000001400"
    stale = registry.async_get_or_create(
        config_entry_id=init_integration.entry_id,
        identifiers={(DOMAIN, stale_uuid)},
        name="Old speaker",
    )
    # A read of the household runs the device sync and its retention.
    await coordinator.async_refresh()
    await wait_for(
        hass,
        lambda: stale_uuid in init_integration.data.get(CONF_MISSING_SINCE, {}),
        describe=lambda: init_integration.data.get(CONF_MISSING_SINCE),
    )
    # The sync kept it (absent players keep their devices for a while) ...
    assert registry.async_get(stale.id) is not None
    client = await hass_ws_client(hass)

    async def remove(device_id: str) -> dict[str, object]:
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": init_integration.entry_id,
                "device_id": device_id,
            }
        )
        return await client.receive_json()  # type: ignore[no-any-return]

    # ... and the user may delete it, but not a player of the household.
    current = device_id_of(hass, household.players[0].uuid)
    assert (await remove(current))["success"] is False
    assert registry.async_get(current) is not None
    result = await remove(stale.id)
    assert result["success"] is True, result
    assert registry.async_get(stale.id) is None


async def test_polling_finds_a_new_player_while_events_are_lost(
    hass: HomeAssistant, household: Household
) -> None:
    entry = await setup_without_events(hass, household)
    coordinator = entry.runtime_data.coordinator
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    await wait_for_subscriptions(hass, coordinator)
    assert coordinator.update_interval == coordinator.poll_interval

    office = await household.add_player_live("Office")
    office.faults.drop_events = True
    assert hass.states.get("sensor.office_group") is None  # its event was lost
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await wait_for(hass, lambda: hass.states.get("sensor.office_group") is not None)
    device = dr.async_get(hass).async_get(device_id_of(hass, office.uuid))
    assert device is not None
    assert device.name == "Office"
    await wait_for(
        hass,
        lambda: any(
            row["player"] == office.uuid for row in coordinator.events.diagnostics()
        ),
    )
    await hass.config_entries.async_unload(entry.entry_id)
