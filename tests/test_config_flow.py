"""The config flow, against emulated speakers over real HTTP."""

import socket
from collections.abc import AsyncGenerator

import pytest
from aiohttp import web
from homeassistant.config_entries import SOURCE_SSDP, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.ssdp import ATTR_UPNP_UDN, SsdpServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sonos_upnp.const import (
    CONF_ADVERTISE_HOST,
    CONF_ADVERTISE_PORT,
    CONF_POLL_INTERVAL,
    CONF_UDN,
    DOMAIN,
    ZONE_PLAYER_ST,
)
from tests.conftest import entry_for
from tests.emulator.household import Household
from tests.emulator.pytest_plugin import HouseholdFactory

STRANGER_DESCRIPTION = b"""<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <device>
    <deviceType>urn:schemas-upnp-org:device:MediaRenderer:1</deviceType>
    <friendlyName>Some TV</friendlyName>
    <UDN>uuid:0a1b2c3d-0000-1111-2222-333344445555</UDN>
  </device>
</root>"""


@pytest.fixture
async def stranger(socket_enabled: None) -> AsyncGenerator[int]:
    """Serve a UPnP device that is not a Sonos speaker; yield its port."""

    async def description(_request: web.Request) -> web.Response:
        return web.Response(body=STRANGER_DESCRIPTION, content_type="text/xml")

    app = web.Application()
    app.router.add_get("/xml/device_description.xml", description)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


@pytest.fixture
def closed_port(socket_enabled: None) -> int:
    """Return a loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ssdp_info(household: Household, index: int = 0) -> SsdpServiceInfo:
    """Return what SSDP tells about one emulated player."""
    player = household.players[index]
    return SsdpServiceInfo(
        ssdp_usn=f"uuid:{player.uuid}::{ZONE_PLAYER_ST}",
        ssdp_st=ZONE_PLAYER_ST,
        ssdp_location=player.location,
        upnp={ATTR_UPNP_UDN: f"uuid:{player.uuid}"},
    )


async def test_user_creates_the_household_entry(
    hass: HomeAssistant, household: Household
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}

    player = household.players[1]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: f" {player.host} ", CONF_PORT: player.port}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Sonos ({player.room_name})"
    assert result["data"] == {
        CONF_HOST: player.host,
        CONF_PORT: player.port,
        CONF_UDN: player.uuid,
    }
    entry = result["result"]
    assert entry.unique_id == household.household_id
    assert entry.state is ConfigEntryState.LOADED
    await hass.config_entries.async_unload(entry.entry_id)


async def test_user_errors_then_recovers(
    hass: HomeAssistant, household: Household, stranger: int, closed_port: int
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: closed_port}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: stranger}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "not_sonos"}

    player = household.players[0]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: player.host, CONF_PORT: player.port}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.config_entries.async_unload(result["result"].entry_id)


async def test_user_refuses_a_speaker_that_answers_garbage(
    hass: HomeAssistant, household: Household
) -> None:
    player = household.players[0]
    player.faults.malformed_responses = 1
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: player.host, CONF_PORT: player.port}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "not_sonos"}


async def test_user_aborts_for_a_configured_household(
    hass: HomeAssistant, household: Household
) -> None:
    entry_for(household).add_to_hass(hass)
    player = household.players[2]
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: player.host, CONF_PORT: player.port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_ssdp_confirms_with_the_room_name(
    hass: HomeAssistant, household: Household
) -> None:
    player = household.players[0]
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=ssdp_info(household)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"] == {
        "name": player.room_name,
        "host": player.host,
    }
    flows = hass.config_entries.flow.async_progress()
    assert flows[0]["context"]["title_placeholders"] == {"name": player.room_name}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == household.household_id
    assert result["data"][CONF_UDN] == player.uuid
    await hass.config_entries.async_unload(result["result"].entry_id)


async def test_ssdp_of_another_speaker_keeps_the_stored_address(
    hass: HomeAssistant, household: Household
) -> None:
    entry = entry_for(household, 0)
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=ssdp_info(household, 1)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_PORT] == household.players[0].port


async def test_ssdp_of_the_entry_speaker_updates_a_changed_address(
    hass: HomeAssistant, household: Household
) -> None:
    player = household.players[0]
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=household.household_id,
        data={CONF_HOST: "127.0.0.1", CONF_PORT: 1, CONF_UDN: player.uuid},
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=ssdp_info(household, 0)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_PORT] == player.port


async def test_ssdp_aborts_on_unreachable_and_strangers(
    hass: HomeAssistant, household: Household, stranger: int, closed_port: int
) -> None:
    info = ssdp_info(household)
    info.ssdp_location = f"http://127.0.0.1:{closed_port}/xml/device_description.xml"
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"

    info.ssdp_location = f"http://127.0.0.1:{stranger}/xml/device_description.xml"
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_sonos"


@pytest.mark.parametrize("location", [None, "http:///xml/device_description.xml"])
async def test_ssdp_without_a_usable_location(
    hass: HomeAssistant, household: Household, location: str | None
) -> None:
    info = ssdp_info(household)
    info.ssdp_location = location
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_sonos"


async def test_reconfigure_moves_to_another_speaker(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    entry = init_integration
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"

    player = household.players[2]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: player.host, CONF_PORT: player.port}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert {key: entry.data[key] for key in (CONF_HOST, CONF_PORT, CONF_UDN)} == {
        CONF_HOST: player.host,
        CONF_PORT: player.port,
        CONF_UDN: player.uuid,
    }
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_refuses_another_household(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator_household_factory: HouseholdFactory,
    closed_port: int,
) -> None:
    other = await emulator_household_factory("singles", players=1, seed=99)
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: closed_port}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}

    player = other.players[0]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: player.host, CONF_PORT: player.port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_household"


async def test_options_are_stored_and_reload_the_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    entry = init_integration
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_ADVERTISE_HOST: "127.0.0.1", CONF_POLL_INTERVAL: 30},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_ADVERTISE_HOST: "127.0.0.1", CONF_POLL_INTERVAL: 30}
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator
    assert coordinator.poll_interval.total_seconds() == 30
    assert CONF_ADVERTISE_PORT not in entry.options
