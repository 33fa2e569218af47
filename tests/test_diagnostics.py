"""Diagnostics through Home Assistant's diagnostics API."""

import json
from http import HTTPStatus

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sonos_upnp.const import CONF_ADVERTISE_HOST, CONF_UDN
from tests.common import device_id_of, wait_for, wait_for_subscriptions
from tests.conftest import entry_for
from tests.emulator.alarms import Alarm as EmulatedAlarm
from tests.emulator.household import Household
from tests.emulator.pytest_plugin import HouseholdFactory

REDACTED = "**REDACTED**"


def pseudonym(household: Household, uuid: str) -> str:
    """Return what diagnostics show for a player's UUID.

    RINCON_<MAC><port>: players are numbered in the order of their UUIDs.
    """
    number = sorted(player.uuid for player in household.players).index(uuid) + 1
    return f"RINCON_player{number}_{uuid.removeprefix('RINCON_')[12:]}"


async def test_entry_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    household: Household,
) -> None:
    assert await async_setup_component(hass, "diagnostics", {})
    coordinator = init_integration.runtime_data.coordinator
    # Every subscription's initial event in: the rows below say so.
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    hass.config_entries.async_update_entry(
        init_integration, options={CONF_ADVERTISE_HOST: "192.0.2.7"}
    )
    household.join(household.players[1], household.players[0])
    await hass.async_block_till_done()

    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)

    entry = result["entry"]
    assert entry["unique_id"] == REDACTED
    assert entry["title"] == init_integration.title
    assert entry["data"][CONF_UDN] == pseudonym(household, household.players[0].uuid)
    assert entry["data"]["port"] == household.players[0].port
    assert entry["options"] == {CONF_ADVERTISE_HOST: "192.0.2.7"}
    assert household.household_id not in str(result)

    data = result["household"]
    assert data["listener"]["port"] == coordinator.listener.port
    assert data["polling"] == {
        "active": False,
        "interval": 60.0,
        "last_update_success": True,
    }
    owner, _, number = coordinator.data.alarms.version.partition(":")
    assert data["alarms"] == {
        "version": f"{pseudonym(household, owner)}:{number}",
        "alarms": [],
        "unreadable": [],
        "duplicates": [],
    }
    assert data["unavailable"] == []
    names = sorted(group["name"] for group in data["topology"]["groups"])
    assert names == ["Bedroom", "Living Room + 1"]
    rows = data["subscriptions"]
    # ZoneGroupTopology and AVTransport on 3 players, AlarmClock on 2.
    assert len(rows) == 8
    for row in rows:
        assert row["active"] is True
        assert row["events_seen"] is True
        assert row["callback_url"].startswith("http://127.0.0.1:")
        assert 0 < row["seconds_to_renewal"] <= 300
        assert row["granted_timeout"] == 600
        assert row["failures"] == 0


async def test_device_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    household: Household,
) -> None:
    assert await async_setup_component(hass, "diagnostics", {})
    coordinator = init_integration.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator)
    player = household.players[2]
    await wait_for(hass, lambda: player.uuid in coordinator.descriptions)
    device = dr.async_get(hass).async_get(device_id_of(hass, player.uuid))
    assert device is not None

    result = await get_diagnostics_for_device(
        hass, hass_client, init_integration, device
    )

    assert result["player"]["room_name"] == player.room_name
    assert result["player"]["port"] == player.port
    assert result["available"] is True
    assert result["group"] == player.room_name
    assert result["alarms"] == []
    # Every room: its ZoneGroupTopology and its AVTransport.
    assert {row["service"] for row in result["subscriptions"]} == {
        "ZoneGroupTopology",
        "AVTransport",
    }
    description = result["description"]
    assert description["serial_number"] == REDACTED
    assert description["model_name"] == player.model.description
    assert description["udn"] == pseudonym(household, player.uuid)


def mac_forms(household: Household) -> set[str]:
    """Return every way a player's MAC could be written, lower-cased."""
    forms = set()
    for player in household.players:
        digits = player.mac.replace(":", "").lower()
        forms |= {digits, player.mac.lower(), player.mac.replace(":", "-").lower()}
    return forms


async def test_diagnostics_show_no_mac_yet_keep_relations(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator_household_factory: HouseholdFactory,
) -> None:
    household = await emulator_household_factory("home_theater", seed=11)
    soundbar, *_, kitchen = household.players
    household.group(soundbar, kitchen)
    for room, time in ((kitchen, "06:30:00"), (soundbar, "07:00:00")):
        household.alarms.create(
            EmulatedAlarm(
                id=0,
                start_time=time,
                duration="01:00:00",
                recurrence="DAILY",
                enabled=True,
                room_uuid=room.uuid,
            )
        )
    household.alarms_changed()
    entry = entry_for(household, len(household.players) - 1)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    coordinator = entry.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    await wait_for(hass, lambda: len(coordinator.data.alarms.alarms) == 2)
    visible = household.visible_players
    await wait_for(
        hass, lambda: all(p.uuid in coordinator.descriptions for p in visible)
    )
    assert await async_setup_component(hass, "diagnostics", {})
    client = await hass_client()
    forms = mac_forms(household)

    response = await client.get(f"/api/diagnostics/config_entry/{entry.entry_id}")
    assert response.status == HTTPStatus.OK
    text = (await response.text()).lower()
    assert not {form for form in forms if form in text}
    data = json.loads(await response.text())["data"]

    # Relations stay readable: topology, alarms and subscriptions agree.
    assert data["entry"]["data"][CONF_UDN] == pseudonym(household, kitchen.uuid)
    (group,) = data["household"]["topology"]["groups"]
    members = {member["uuid"]: member for member in group["members"]}
    assert set(members) == {pseudonym(household, p.uuid) for p in household.players}
    assert group["coordinator"] == pseudonym(household, soundbar.uuid)
    assert group["coordinator"] in members
    group_number = household.group_id(soundbar).rpartition(":")[2]
    for member in members.values():
        assert member["group_id"] == f"{group['coordinator']}:{group_number}"
    rooms = {
        alarm["room_uuid"]: alarm["start_time"]
        for alarm in data["household"]["alarms"]["alarms"]
    }
    assert rooms == {
        pseudonym(household, kitchen.uuid): "06:30:00",
        pseudonym(household, soundbar.uuid): "07:00:00",
    }
    assert data["household"]["alarms"]["version"].startswith("RINCON_player")
    subscribed = {row["player"] for row in data["household"]["subscriptions"]}
    assert subscribed
    assert subscribed <= set(members)
    for row in data["household"]["subscriptions"]:
        assert row["sid"].startswith(f"uuid:{row['player']}")

    # A device's dump names its player the same way, and leaks nothing either.
    for player in visible:
        device = dr.async_get(hass).async_get(device_id_of(hass, player.uuid))
        assert device is not None
        response = await client.get(
            f"/api/diagnostics/config_entry/{entry.entry_id}/device/{device.id}"
        )
        assert response.status == HTTPStatus.OK
        text = (await response.text()).lower()
        assert not {form for form in forms if form in text}, player.room_name
        device_data = json.loads(await response.text())["data"]
        assert device_data["player"]["uuid"] == pseudonym(household, player.uuid)
        assert device_data["description"]["udn"] == pseudonym(household, player.uuid)
    await hass.config_entries.async_unload(entry.entry_id)
