"""The actions' choices: translated in the UI, every one taken by the action."""

import re
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import selector
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util.yaml import load_yaml_dict
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sonos_upnp.const import DOMAIN
from custom_components.sonos_upnp.upnp.catalog import SERVICES_BY_NAME
from tests.common import device_id_of, run_action
from tests.emulator.household import Household
from tests.test_translations import STRINGS

SERVICES_YAML = (
    Path(__file__).resolve().parent.parent
    / "custom_components"
    / DOMAIN
    / "services.yaml"
)
# hassfest's rule for translation keys, which selector options must follow.
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")


def action_fields() -> dict[tuple[str, str], dict[str, Any]]:
    """Return every field of every action, by (action, field)."""
    actions = load_yaml_dict(str(SERVICES_YAML))
    return {
        (action, name): field
        for action, description in actions.items()
        for name, field in ((description or {}).get("fields") or {}).items()
    }


def select_options(action: str, field: str) -> list[str]:
    """Return the options the UI offers for a select field."""
    options: list[str] = action_fields()[action, field]["selector"]["select"]["options"]
    return options


def test_every_select_has_translated_options() -> None:
    selects = {
        key: field["selector"]["select"]
        for key, field in action_fields().items()
        if "select" in field.get("selector", {})
    }
    assert {name for _, name in selects} >= {"recurrence", "play_mode", "service"}
    for (action, name), config in selects.items():
        options = config["options"]
        labels = STRINGS["selector"][config["translation_key"]]["options"]
        assert set(options) == set(labels), (action, name)
        assert all(TRANSLATION_KEY.match(option) for option in options), options
        assert all(labels.values())
        field = action_fields()[action, name]
        assert field.get("default", options[0]) in options, (action, name)
    assert set(STRINGS["selector"]) == {
        config["translation_key"] for config in selects.values()
    }


def test_every_field_has_an_example_and_a_valid_selector() -> None:
    for (action, name), field in action_fields().items():
        assert field.get("example") is not None, (action, name)
        selector.validate_selector(field["selector"])


async def test_home_assistant_serves_the_option_labels(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    labels = await async_get_translations(hass, "en", "selector", [DOMAIN])
    prefix = f"component.{DOMAIN}.selector"
    assert labels[f"{prefix}.play_mode.options.shuffle_norepeat"] == "Shuffled"
    assert labels[f"{prefix}.recurrence.options.weekdays"] == (
        "Weekdays (Monday to Friday)"
    )
    assert labels[f"{prefix}.service.options.avtransport"].startswith("AVTransport")


async def test_alarm_actions_take_every_offered_option(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    kitchen = household.players[1]
    recurrences = select_options("create_alarm", "recurrence")
    play_modes = select_options("create_alarm", "play_mode")
    assert len(recurrences) == len(play_modes)
    for hour, (recurrence, play_mode) in enumerate(
        zip(recurrences, play_modes, strict=True), start=5
    ):
        response = await run_action(
            hass,
            "create_alarm",
            {
                "device_id": device_id_of(hass, kitchen.uuid),
                "start_time": f"{hour:02}:00:00",
                "recurrence": recurrence,
                "play_mode": play_mode,
            },
        )
        assert response is not None
        emulated = household.alarms.get(int(response["alarm_id"]))  # type: ignore[call-overload]
        assert emulated.recurrence == recurrence.upper()
        assert emulated.play_mode == play_mode.upper()
    assert select_options("update_alarm", "recurrence") == recurrences
    assert select_options("update_alarm", "play_mode") == play_modes


async def test_call_action_takes_every_offered_service(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    player = household.players[0]
    player.volume = 17
    device_id = device_id_of(hass, player.uuid)
    response = await run_action(
        hass,
        "call_action",
        {
            "device_id": device_id,
            "service": "renderingcontrol",
            "action": "GetVolume",
            "arguments": {"Channel": "Master"},
        },
    )
    assert response == {"CurrentVolume": 17}

    offered = select_options("call_action", "service")
    assert len(offered) == len(SERVICES_BY_NAME)
    for option in offered:
        # Each option names a service of the catalog: the call goes as far as
        # the action, which that service does not have.
        with pytest.raises(ServiceValidationError) as refused:
            await run_action(
                hass,
                "call_action",
                {"device_id": device_id, "service": option, "action": "NoSuchAction"},
            )
        assert refused.value.translation_key == "invalid_argument", option
        assert "NoSuchAction" in str(refused.value.translation_placeholders), option
