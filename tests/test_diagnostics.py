"""Diagnostics through Home Assistant's diagnostics API."""

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
from tests.emulator.household import Household

REDACTED = "**REDACTED**"


async def test_entry_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    household: Household,
) -> None:
    assert await async_setup_component(hass, "diagnostics", {})
    coordinator = init_integration.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator)
    hass.config_entries.async_update_entry(
        init_integration, options={CONF_ADVERTISE_HOST: "192.0.2.7"}
    )
    household.join(household.players[1], household.players[0])
    await hass.async_block_till_done()

    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)

    entry = result["entry"]
    assert entry["unique_id"] == REDACTED
    assert entry["title"] == init_integration.title
    assert entry["data"][CONF_UDN] == household.players[0].uuid
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
    assert data["alarms"] == {
        "version": coordinator.data.alarms.version,
        "alarms": [],
        "unreadable": [],
        "duplicates": [],
    }
    assert data["unavailable"] == []
    names = sorted(group["name"] for group in data["topology"]["groups"])
    assert names == ["Bedroom", "Living Room + 1"]
    rows = data["subscriptions"]
    assert len(rows) == 5  # ZoneGroupTopology on 3 players, AlarmClock on 2
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
    assert {row["service"] for row in result["subscriptions"]} == {"ZoneGroupTopology"}
    description = result["description"]
    assert description["serial_number"] == REDACTED
    assert description["model_name"] == player.model.description
    assert description["udn"] == player.uuid
