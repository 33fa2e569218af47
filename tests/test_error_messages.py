"""What a user reads when setup or an action fails: words, never Python reprs."""

import socket
import threading

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sonos_upnp.const import CONF_ADVERTISE_PORT, CONF_UDN, DOMAIN
from custom_components.sonos_upnp.errors import user_facing_error
from custom_components.sonos_upnp.upnp.exceptions import UpnpError
from tests.common import device_id_of, run_action
from tests.conftest import entry_for
from tests.emulator.household import Household

REPR_MARKERS = ("Error(", "ConnectionKey", "Errno", "('", "<")


def assert_readable(message: str) -> None:
    assert not any(marker in message for marker in REPR_MARKERS), message


async def test_an_unresolvable_speaker_name_retries_setup(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, socket_enabled: None
) -> None:
    loop_thread = threading.get_ident()
    lookups: list[tuple[str, int]] = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: str, *args: object, **kwargs: object) -> object:
        lookups.append((host, threading.get_ident()))
        if host == "kitchen.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="Sonos_nowhere",
        data={CONF_HOST: "kitchen.invalid", CONF_PORT: 1400, CONF_UDN: "RINCON_1"},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason == (
        "Home Assistant cannot find the speaker on the network: "
        "cannot resolve kitchen.invalid: name or service not known"
    )
    assert ("kitchen.invalid", loop_thread) not in lookups
    assert any(host == "kitchen.invalid" for host, _ in lookups)


async def test_a_taken_callback_port_retries_setup_with_a_readable_reason(
    hass: HomeAssistant, household: Household
) -> None:
    with socket.socket() as other_program:
        other_program.bind(("127.0.0.1", 0))
        other_program.listen()
        taken = other_program.getsockname()[1]
        template = entry_for(household)
        entry = MockConfigEntry(
            domain=template.domain,
            unique_id=template.unique_id,
            data=dict(template.data),
            options={CONF_ADVERTISE_PORT: taken},
        )
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason == (
        "Could not listen for speaker events: cannot listen on "
        f"127.0.0.1:{taken}: address already in use"
    )


async def test_an_unreachable_speaker_action_error_reads_as_words(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    player = household.players[1]
    device_id = device_id_of(hass, player.uuid)
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
    message = str(caught.value)
    # A pooled keep-alive connection to the speaker is closed under the
    # request; without one the new connection is refused.
    address = f"{player.host}:{player.port}"
    assert message in {
        f"Could not reach the speaker: cannot connect to {address}: connection refused",
        (
            f"Could not reach the speaker: DeviceProperties.GetLEDState on {address} "
            "failed: the connection closed before an answer"
        ),
    }
    assert_readable(message)


async def test_a_refused_action_names_the_action_and_the_code(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    player = household.players[1]
    player.faults.zone_group_state_501 = True
    with pytest.raises(HomeAssistantError) as caught:
        await run_action(
            hass,
            "call_action",
            {
                "device_id": device_id_of(hass, player.uuid),
                "service": "ZoneGroupTopology",
                "action": "GetZoneGroupState",
            },
        )
    assert caught.value.translation_key == "speaker_error"
    assert str(caught.value) == (
        "The speaker refused ZoneGroupTopology.GetZoneGroupState with UPnP error "
        "501 (Action failed)"
    )


async def test_a_code_without_a_label_reads_as_a_sentence(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    err = user_facing_error(UpnpError(999, None, "AVTransport", "Play"))
    assert str(err) == "The speaker refused AVTransport.Play with UPnP error 999"


async def test_a_garbled_answer_reads_as_words(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    player = household.players[1]
    player.faults.malformed_responses = 1
    with pytest.raises(HomeAssistantError) as caught:
        await run_action(
            hass,
            "call_action",
            {
                "device_id": device_id_of(hass, player.uuid),
                "service": "RenderingControl",
                "action": "GetVolume",
                "arguments": {"Channel": "Master"},
            },
        )
    assert caught.value.translation_key == "bad_response"
    message = str(caught.value)
    assert message.startswith("The speaker sent an answer that could not be read: ")
    assert_readable(message)
