"""Fixtures shared by every test."""

# pytest-homeassistant-custom-component ships a `custom_components` package of
# its own; importing ours first (pythonpath = .) keeps it from shadowing ours.
import custom_components  # noqa: F401  # isort: skip

from collections.abc import AsyncGenerator, Iterator
from typing import TYPE_CHECKING

import pytest
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sonos_upnp.const import CONF_UDN, DOMAIN

if TYPE_CHECKING:
    from tests.emulator.household import Household
    from tests.emulator.pytest_plugin import HouseholdFactory

pytest_plugins = ["tests.emulator.pytest_plugin"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom integrations in every test."""


@pytest.fixture(autouse=True)
def no_deprecated_home_assistant_apis(
    caplog: pytest.LogCaptureFixture,
) -> Iterator[None]:
    """Fail a test in which Home Assistant reports a deprecated API use of ours."""
    yield
    reports = [
        record.getMessage()
        for record in caplog.get_records("call")
        if record.name == "homeassistant.helpers.frame"
        and DOMAIN in record.getMessage()
    ]
    assert not reports, reports


@pytest.fixture
async def household(emulator_household_factory: HouseholdFactory) -> Household:
    """Return a running emulated household of three standalone players."""
    return await emulator_household_factory("singles", players=3, seed=7)


def entry_for(household: Household, index: int = 0) -> MockConfigEntry:
    """Return a config entry that reaches the household through one player."""
    player = household.players[index]
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Sonos ({player.room_name})",
        unique_id=household.household_id,
        data={CONF_HOST: player.host, CONF_PORT: player.port, CONF_UDN: player.uuid},
    )


@pytest.fixture
def mock_config_entry(household: Household) -> MockConfigEntry:
    """Return the config entry of the household (not added to hass)."""
    return entry_for(household)


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncGenerator[MockConfigEntry]:
    """Set the household up in Home Assistant; unload it at the end."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    yield mock_config_entry
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
