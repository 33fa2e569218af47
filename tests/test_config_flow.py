"""The config flow, against emulated speakers over real HTTP."""

import socket
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import pytest
from aiohttp import web
from homeassistant.config_entries import SOURCE_SSDP, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.ssdp import ATTR_UPNP_UDN, SsdpServiceInfo
from homeassistant.helpers.translation import async_get_translations
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


NOT_SONOS_ANSWERS = {
    "404": web.Response(status=404, text="Not Found"),
    "html": web.Response(
        text="<!DOCTYPE html><html><body>Router login</body></html>",
        content_type="text/html",
    ),
    "html_without_doctype": web.Response(
        text="<html><body><p>Printer status</p></body></html>",
        content_type="text/html",
    ),
    "other_xml": web.Response(
        text='<?xml version="1.0"?><feed><title>News</title></feed>',
        content_type="application/xml",
    ),
}


@dataclass
class WebServer:
    """A web site on loopback that is no UPnP device."""

    port: int = 0
    answer: str = "404"  # a key of NOT_SONOS_ANSWERS


@pytest.fixture
async def web_server(socket_enabled: None) -> AsyncGenerator[WebServer]:
    """Serve NOT_SONOS_ANSWERS[server.answer] at every path."""
    server = WebServer()

    async def answer(_request: web.Request) -> web.Response:
        template = NOT_SONOS_ANSWERS[server.answer]
        return web.Response(
            status=template.status,
            body=template.body,
            content_type=template.content_type,
        )

    app = web.Application()
    app.router.add_get("/{path:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.port = runner.addresses[0][1]
    try:
        yield server
    finally:
        await runner.cleanup()


async def flow_text(hass: HomeAssistant, category: str, key: str) -> str:
    """Return the English text the frontend shows for a flow string key.

    key is e.g. "abort.reconfigure_successful" or "error.not_sonos".
    """
    strings = await async_get_translations(hass, "en", category, {DOMAIN})
    return strings[f"component.{DOMAIN}.{category}.{key}"]


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
    # Our text, not Home Assistant's generic one: the frontend looks the
    # reason up in translation_domain when the result names one.
    assert result.get("translation_domain", DOMAIN) == DOMAIN
    assert await flow_text(hass, "config", "abort.reconfigure_successful") == (
        "The household now uses the new speaker address."
    )
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


@pytest.mark.parametrize("answer", list(NOT_SONOS_ANSWERS))
async def test_a_web_server_is_not_sonos_in_every_step(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    web_server: WebServer,
    answer: str,
) -> None:
    web_server.answer = answer
    address = {CONF_HOST: "127.0.0.1", CONF_PORT: web_server.port}

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], address)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "not_sonos"}
    assert await flow_text(hass, "config", "error.not_sonos") == (
        "The device at that address is not a Sonos speaker."
    )

    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], address)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "not_sonos"}

    info = SsdpServiceInfo(
        ssdp_usn=f"uuid:RINCON_000E58000001::{ZONE_PLAYER_ST}",
        ssdp_st=ZONE_PLAYER_ST,
        ssdp_location=f"http://127.0.0.1:{web_server.port}/xml/device_description.xml",
        upnp={},
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_sonos"


async def test_user_step_asks_again_for_a_host_that_is_no_address(
    hass: HomeAssistant,
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "http://sonos/", CONF_PORT: 1400}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: "invalid_host"}
    assert "http://" in await flow_text(hass, "config", "error.invalid_host")


async def test_user_step_coexists_with_an_open_discovery(
    hass: HomeAssistant, household: Household
) -> None:
    discovered = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_SSDP}, data=ssdp_info(household)
    )
    assert discovered["type"] is FlowResultType.FORM
    assert discovered["step_id"] == "confirm"

    player = household.players[1]
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: player.host, CONF_PORT: player.port}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == household.household_id
    # The household is set up: its discovery no longer waits for a confirmation.
    assert hass.config_entries.flow.async_progress() == []
    await hass.config_entries.async_unload(result["result"].entry_id)


async def test_options_refuse_a_callback_port_in_use(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    entry = init_integration
    with socket.socket() as other_program:
        other_program.bind(("127.0.0.1", 0))
        other_program.listen()
        taken = other_program.getsockname()[1]
        result = await hass.config_entries.options.async_init(entry.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_ADVERTISE_PORT: taken, CONF_POLL_INTERVAL: 30}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_ADVERTISE_PORT: "port_unavailable"}
    text = await flow_text(hass, "options", "error.port_unavailable")
    assert text.format(**result["description_placeholders"]) == (
        f"Home Assistant cannot listen for speaker events on port {taken}: "
        "address already in use. Choose another port, or leave the field empty "
        "to use a free one."
    )
    assert entry.options == {}
    assert entry.state is ConfigEntryState.LOADED

    # The port is free again: the same form accepts it.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ADVERTISE_PORT: taken, CONF_POLL_INTERVAL: 30}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.listener.port == taken


async def test_options_accept_the_port_the_entry_listens_on(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    entry = init_integration
    own_port = entry.runtime_data.listener.port
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ADVERTISE_PORT: own_port, CONF_POLL_INTERVAL: 45}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_ADVERTISE_PORT: own_port, CONF_POLL_INTERVAL: 45}
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.listener.port == own_port


async def test_options_name_a_speaker_that_cannot_be_found(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: str, *args: object, **kwargs: object) -> object:
        if host == "kitchen.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="Sonos_unreachable",
        data={CONF_HOST: "kitchen.invalid", CONF_PORT: 1400, CONF_UDN: "RINCON_1"},
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_ADVERTISE_PORT: 40000, CONF_POLL_INTERVAL: 30}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_ADVERTISE_PORT: "no_route_to_speaker"}
    text = await flow_text(hass, "options", "error.no_route_to_speaker")
    assert text.format(**result["description_placeholders"]).endswith(
        ": cannot resolve kitchen.invalid: name or service not known"
    )
    assert entry.options == {}
