"""call_action: admins only, response optional, risky actions opt-in, values checked."""

import re
from pathlib import Path
from typing import Any

import pytest
from homeassistant.auth.const import GROUP_ID_USER
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.sonos_upnp.const import DOMAIN
from custom_components.sonos_upnp.services import UNSAFE_ACTION_TRANSLATION_KEYS
from custom_components.sonos_upnp.upnp.action_guard import RISKY_ACTIONS, ActionRisk
from tests.common import device_id_of, run_action, wait_for, wait_for_subscriptions
from tests.emulator.household import Household
from tests.test_translations import STRINGS


def requests_served(household: Household) -> int:
    """Return how many HTTP requests the household's players have answered."""
    return sum(player.requests_served for player in household.players)


async def settle(
    hass: HomeAssistant, entry: MockConfigEntry, household: Household
) -> None:
    """Wait until set-up traffic (subscriptions, descriptions) is over."""
    coordinator = entry.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    await wait_for(
        hass,
        lambda: all(p.uuid in coordinator.descriptions for p in household.players),
    )


def set_volume(device_id: str, volume: object) -> dict[str, Any]:
    """Return call_action data that sets a player's volume."""
    return {
        "device_id": device_id,
        "service": "RenderingControl",
        "action": "SetVolume",
        "arguments": {"Channel": "Master", "DesiredVolume": volume},
    }


async def test_non_admin_users_may_not_call_it(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    household: Household,
    hass_admin_user: MockUser,
) -> None:
    player = household.players[0]
    player.volume = 10
    user_group = await hass.auth.async_get_group(GROUP_ID_USER)
    user = MockUser(groups=[user_group]).add_to_hass(hass)
    assert not user.is_admin
    data = set_volume(device_id_of(hass, player.uuid), 30)

    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN, "call_action", data, blocking=True, context=Context(user.id)
        )
    assert player.volume == 10

    await hass.services.async_call(
        DOMAIN,
        "call_action",
        data,
        blocking=True,
        context=Context(hass_admin_user.id),
    )
    assert player.volume == 30


async def test_a_script_calls_it_without_a_response_variable(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    player = household.players[1]
    player.volume = 10
    data = set_volume(device_id_of(hass, player.uuid), 42)
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "louder": {
                    "sequence": [{"action": f"{DOMAIN}.call_action", "data": data}]
                }
            }
        },
    )

    await hass.services.async_call("script", "louder", blocking=True)

    assert player.volume == 42
    # Without return_response the call returns nothing, and still acts.
    data = set_volume(device_id_of(hass, player.uuid), 43)
    assert (
        await hass.services.async_call(DOMAIN, "call_action", data, blocking=True)
        is None
    )
    assert player.volume == 43


@pytest.mark.parametrize(
    ("service", "action", "arguments", "risk"),
    [
        (
            "SystemProperties",
            "RemoveAccount",
            {"AccountType": 2311, "AccountID": "someone"},
            ActionRisk.ACCOUNT,
        ),
        (
            "ZoneGroupTopology",
            "BeginSoftwareUpdate",
            {"UpdateURL": "http://127.0.0.1:9/fw", "Flags": 0, "ExtraOptions": ""},
            ActionRisk.FIRMWARE,
        ),
        (
            "DeviceProperties",
            "RemoveBondedZones",
            {"ChannelMapSet": "", "KeepGrouped": False},
            ActionRisk.BONDING,
        ),
        (
            "ContentDirectory",
            "DestroyObject",
            {"ObjectID": "SQ:1"},
            ActionRisk.CONTENT,
        ),
        (
            "ZoneGroupTopology",
            "SubmitDiagnostics",
            {"IncludeControllers": True, "Type": "Healthcheck"},
            ActionRisk.DATA_LEAVES_HOUSEHOLD,
        ),
        (
            "DeviceProperties",
            "EnterConfigMode",
            {"Mode": "", "Options": ""},
            ActionRisk.DEVICE_SETUP,
        ),
    ],
)
async def test_risky_actions_need_allow_unsafe(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    household: Household,
    service: str,
    action: str,
    arguments: dict[str, object],
    risk: ActionRisk,
) -> None:
    await settle(hass, init_integration, household)
    data = {
        "device_id": device_id_of(hass, household.players[0].uuid),
        "service": service,
        "action": action,
        "arguments": arguments,
    }
    before = requests_served(household)

    with pytest.raises(ServiceValidationError) as caught:
        await run_action(hass, "call_action", data)

    assert caught.value.translation_key == f"unsafe_action_{risk}"
    assert caught.value.translation_placeholders == {
        "action": f"{service}.{action}",
        "field": "allow_unsafe",
    }
    assert "allow_unsafe to true" in str(caught.value)
    assert requests_served(household) == before

    response = await run_action(hass, "call_action", data | {"allow_unsafe": True})

    assert isinstance(response, dict)
    assert requests_served(household) == before + 1


async def test_out_of_range_volume_is_refused_before_sending(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    await settle(hass, init_integration, household)
    player = household.players[2]
    player.volume = 10
    device_id = device_id_of(hass, player.uuid)
    before = requests_served(household)

    with pytest.raises(ServiceValidationError) as caught:
        await run_action(hass, "call_action", set_volume(device_id, 500))

    assert caught.value.translation_key == "argument_not_allowed"
    assert caught.value.translation_placeholders == {
        "action": "RenderingControl.SetVolume",
        "argument": "DesiredVolume",
        "value": "500",
        "allowed": "an integer from 0 to 100",
    }
    assert str(caught.value) == (
        "RenderingControl.SetVolume does not accept 500 for DesiredVolume; "
        "allowed: an integer from 0 to 100. Nothing was sent"
    )
    assert requests_served(household) == before
    assert player.volume == 10

    # The same call within range reaches the speaker (and the counter sees it).
    await run_action(hass, "call_action", set_volume(device_id, 100))
    assert requests_served(household) == before + 1
    assert player.volume == 100


async def test_values_outside_the_catalogs_allowed_values_name_them(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await run_action(
            hass,
            "call_action",
            {
                "device_id": device_id_of(hass, household.players[0].uuid),
                "service": "AVTransport",
                "action": "SetPlayMode",
                "arguments": {"NewPlayMode": "LOUD"},
            },
        )
    assert caught.value.translation_placeholders is not None
    assert caught.value.translation_placeholders["argument"] == "NewPlayMode"
    assert caught.value.translation_placeholders["value"] == "LOUD"
    assert "SHUFFLE_NOREPEAT" in caught.value.translation_placeholders["allowed"]


def test_every_risk_has_a_translated_reason() -> None:
    assert set(UNSAFE_ACTION_TRANSLATION_KEYS) == set(ActionRisk)
    for key in UNSAFE_ACTION_TRANSLATION_KEYS.values():
        message = STRINGS["exceptions"][key]["message"]
        assert "{action}" in message
        assert "{field}" in message
    field = STRINGS["services"]["call_action"]["fields"]["allow_unsafe"]
    assert "allow_unsafe" not in field["description"]
    assert field["name"] == "Allow unsafe action"


def test_the_readme_lists_every_risky_action() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("### `sonos_upnp.call_action`")[1].split("\n## ")[0]
    listed = set(re.findall(r"`(\w+)`", section))
    assert {action for _, action in RISKY_ACTIONS} <= listed
    assert "allow_unsafe: true" in section
