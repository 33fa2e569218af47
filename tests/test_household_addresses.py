"""The household is reached through any room, at addresses that were checked."""

import logging
import time

import pytest
from homeassistant.config_entries import SOURCE_SSDP, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sonos_upnp.const import CONF_ADDRESSES, DOMAIN
from tests.common import device_id_of, run_action, wait_for, wait_for_subscriptions
from tests.conftest import entry_for
from tests.emulator.household import Household
from tests.emulator.player import Player
from tests.emulator.pytest_plugin import HouseholdFactory
from tests.test_config_flow import ssdp_info


def remembered(entry: MockConfigEntry) -> dict[str, tuple[str, int]]:
    """Return the addresses the entry keeps, by player."""
    return {
        uuid: (value["host"], value["port"])
        for uuid, value in entry.data.get(CONF_ADDRESSES, {}).items()
    }


def feeds_of(entry: MockConfigEntry, player: Player) -> list[tuple[str, int]]:
    """Return where the player's subscriptions go."""
    return [
        (row["health"].host, row["health"].port)
        for row in entry.runtime_data.coordinator.events.diagnostics()
        if row["player"] == player.uuid
    ]


def warnings_naming(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    """Return the warnings logged so far that contain text."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and text in record.getMessage()
    ]


async def setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up and let it settle."""
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_setup_reaches_the_household_when_the_configured_speaker_hangs(
    hass: HomeAssistant, household: Household
) -> None:
    entry = entry_for(household)
    entry.add_to_hass(hass)
    await setup(hass, entry)
    every_player = {p.uuid: (p.host, p.port) for p in household.players}
    await wait_for(hass, lambda: remembered(entry) == every_player)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    # The speaker the entry was set up with accepts connections and never
    # answers (asleep, or half-gone after being unplugged).
    household.players[0].faults.set_unresponsive(True)
    started = time.monotonic()
    await setup(hass, entry)
    elapsed = time.monotonic() - started
    assert entry.state is ConfigEntryState.LOADED
    assert elapsed < 5.0  # the request timeout alone is 10 s
    state = hass.states.get("sensor.kitchen_group")
    assert state is not None
    assert state.state == "Kitchen"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_new_address_from_the_topology_is_remembered(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    kitchen = household.players[1]
    await wait_for(hass, lambda: kitchen.uuid in remembered(init_integration))
    await kitchen.go_offline()
    kitchen.port = 0  # a new port, as after a new DHCP lease
    await kitchen.go_online()
    household.topology_changed()
    await wait_for(
        hass,
        lambda: (
            remembered(init_integration)[kitchen.uuid] == (kitchen.host, kitchen.port)
        ),
    )


async def test_ssdp_of_another_room_updates_what_is_remembered(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    bedroom = household.players[2]
    await wait_for(hass, lambda: bedroom.uuid in remembered(init_integration))
    await bedroom.go_offline()
    bedroom.port = 0
    await bedroom.go_online()
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=ssdp_info(household, 2)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert remembered(init_integration)[bedroom.uuid] == (bedroom.host, bedroom.port)
    # Not the entry's own speaker: the configured address stays, no reload.
    assert init_integration.data[CONF_PORT] == household.players[0].port
    assert init_integration.state is ConfigEntryState.LOADED


async def test_a_location_pointing_at_another_player_is_ignored(
    hass: HomeAssistant, household: Household, caplog: pytest.LogCaptureFixture
) -> None:
    _, kitchen, bedroom = household.players
    household.locations[kitchen.uuid] = bedroom.location
    entry = entry_for(household)
    entry.add_to_hass(hass)
    await setup(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator)

    assert feeds_of(entry, kitchen) == []
    assert set(feeds_of(entry, bedroom)) == {(bedroom.host, bedroom.port)}
    device = dr.async_get(hass).async_get(device_id_of(hass, kitchen.uuid))
    assert device is not None
    assert device.configuration_url is None
    assert kitchen.uuid not in remembered(entry)
    with pytest.raises(ServiceValidationError) as caught:
        await run_action(
            hass,
            "call_action",
            {
                "device_id": device.id,
                "service": "RenderingControl",
                "action": "GetVolume",
                "arguments": {"Channel": "Master"},
            },
        )
    assert caught.value.translation_key == "player_without_address"
    warnings = warnings_naming(caplog, bedroom.uuid)
    assert len(warnings) == 1, warnings
    assert "Kitchen" in warnings[0]

    # Another topology event repeats the claim: no second warning.
    household.join(household.players[0], bedroom)
    await wait_for(
        hass,
        lambda: (
            coordinator.data.topology.players[household.players[0].uuid].group_id
            == coordinator.data.topology.players[bedroom.uuid].group_id
        ),
    )
    assert len(warnings_naming(caplog, bedroom.uuid)) == 1

    # The household corrects itself: the real address is checked and used.
    del household.locations[kitchen.uuid]
    household.topology_changed()
    await wait_for(
        hass, lambda: set(feeds_of(entry, kitchen)) == {(kitchen.host, kitchen.port)}
    )
    device = dr.async_get(hass).async_get(device_id_of(hass, kitchen.uuid))
    assert device is not None
    assert device.configuration_url == f"{kitchen.base_url}/support/review"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_location_with_a_host_name_is_ignored(
    hass: HomeAssistant, household: Household, caplog: pytest.LogCaptureFixture
) -> None:
    kitchen = household.players[1]
    household.locations[kitchen.uuid] = (
        "http://kitchen.invalid:1400/xml/device_description.xml"
    )
    entry = entry_for(household)
    entry.add_to_hass(hass)
    await setup(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator)
    household.topology_changed()  # the same claim again
    await hass.async_block_till_done()

    assert feeds_of(entry, kitchen) == []
    assert kitchen.uuid not in remembered(entry)
    warnings = warnings_naming(caplog, "kitchen.invalid")
    assert len(warnings) == 1, warnings
    assert "host name" in warnings[0]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_speaker_of_another_household_at_a_known_address_is_not_read(
    hass: HomeAssistant,
    household: Household,
    emulator_household_factory: HouseholdFactory,
) -> None:
    # The configured speaker's address now belongs to a neighbour's speaker
    # (a reused DHCP lease); the household still answers at a remembered one.
    neighbour = await emulator_household_factory("singles", players=1, seed=99)
    stranger, kitchen = neighbour.players[0], household.players[1]
    entry = entry_for(household)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        data={
            **entry.data,
            CONF_HOST: stranger.host,
            CONF_PORT: stranger.port,
            CONF_ADDRESSES: {
                kitchen.uuid: {"host": kitchen.host, "port": kitchen.port}
            },
        },
    )
    await setup(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator
    assert set(coordinator.data.topology.players) == {
        player.uuid for player in household.players
    }
    assert not dr.async_get(hass).async_get_devices(
        identifiers={(DOMAIN, stranger.uuid)}
    )
    await hass.config_entries.async_unload(entry.entry_id)
