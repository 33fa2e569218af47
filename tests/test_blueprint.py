"""The shipped blueprint loads in Home Assistant and acts before an alarm."""

from datetime import timedelta
from pathlib import Path
from typing import Any

from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint, BlueprintInputs
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from tests.emulator.household import Household
from tests.test_alarm_dashboard import CALENDAR, alarm_in_hass

BLUEPRINT = (
    Path(__file__).resolve().parent.parent
    / "blueprints"
    / "automation"
    / "sonos_upnp"
    / "before_sonos_alarm.yaml"
)
BLUEPRINT_PATH = "sonos_upnp/before_sonos_alarm.yaml"


def load_blueprint() -> Blueprint:
    """Load the blueprint as Home Assistant's blueprint integration does."""
    return Blueprint(
        load_yaml_dict(str(BLUEPRINT)),
        path=BLUEPRINT_PATH,
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )


def test_blueprint_is_valid() -> None:
    blueprint = load_blueprint()
    assert blueprint.name == "Before a Sonos alarm"
    assert blueprint.validate() is None
    assert set(blueprint.inputs) == {
        "alarm_calendar",
        "offset",
        "room",
        "lights",
        "brightness",
        "scripts",
    }


def automation_from_blueprint(inputs: dict[str, Any]) -> dict[str, Any]:
    """Return the automation the blueprint makes of the inputs."""
    blueprint_inputs = BlueprintInputs(
        load_blueprint(),
        {"use_blueprint": {"path": BLUEPRINT_PATH, "input": inputs}},
    )
    blueprint_inputs.validate()
    return blueprint_inputs.async_substitute()


async def test_blueprint_turns_lights_on_before_the_rooms_alarm(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    now = dt_util.now().replace(microsecond=0)
    start = now.replace(second=0) + timedelta(minutes=20)
    await alarm_in_hass(
        hass, household, start_time=start.time().isoformat(), recurrence="DAILY"
    )
    # Another room's alarm, a minute later, is not for this automation.
    await alarm_in_hass(
        hass,
        household,
        room=1,
        start_time=(start + timedelta(minutes=1)).time().isoformat(),
        recurrence="DAILY",
    )
    light_calls = async_mock_service(hass, "light", "turn_on")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": automation_from_blueprint(
                {
                    "alarm_calendar": CALENDAR,
                    "room": "Living Room",
                    "lights": ["light.bedside"],
                    "offset": {"minutes": 10},
                }
            )
        },
    )
    await hass.async_block_till_done()

    async_fire_time_changed(hass, dt_util.as_utc(now + timedelta(minutes=9)))
    await hass.async_block_till_done()
    assert light_calls == []
    async_fire_time_changed(
        hass, dt_util.as_utc(now + timedelta(minutes=12, seconds=1))
    )
    await hass.async_block_till_done()
    assert [call.data for call in light_calls] == [
        {
            ATTR_ENTITY_ID: ["light.bedside"],
            "brightness_pct": 100,
            "transition": 600,
        }
    ]
    await hass.services.async_call(
        "automation", "turn_off", {ATTR_ENTITY_ID: "all"}, blocking=True
    )
