"""State tells the truth: an unreachable household, alarms deleted while away."""

from datetime import timedelta

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sonos_upnp.const import DOMAIN
from custom_components.sonos_upnp.reachability import unreachable_issue_id
from tests.common import wait_for, wait_for_subscriptions
from tests.conftest import entry_for
from tests.emulator.household import Household
from tests.test_alarms import add_emulated_alarm, switch_entity_id

ENTITIES = (
    "sensor.kitchen_group",
    "binary_sensor.kitchen_group_coordinator",
    "event.kitchen_alarm_started",
)


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state (it must exist)."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def test_unreachable_household_is_unavailable_with_a_repair_issue(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    issue_id = unreachable_issue_id(init_integration.entry_id)
    alarm_id = add_emulated_alarm(household, 1)
    await wait_for(hass, lambda: hass.states.async_entity_ids("switch") != [])
    switch = switch_entity_id(hass, household, alarm_id)
    assert state_of(hass, switch) == STATE_ON
    await wait_for_subscriptions(hass, coordinator)

    for player in household.players:
        await player.go_offline()
    # The renewals (half the granted timeout) find every speaker gone.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=301))
    await wait_for(hass, lambda: state_of(hass, switch) == STATE_UNAVAILABLE)
    for entity_id in ENTITIES:
        assert state_of(hass, entity_id) == STATE_UNAVAILABLE, entity_id
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "household_unreachable"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["entry_title"] == init_integration.title
    assert coordinator.update_interval is not None  # it looks for a speaker

    # One speaker answers again: the issue goes and the state comes back.
    await household.players[2].go_online()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=400))
    await wait_for(hass, lambda: state_of(hass, switch) == STATE_ON)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert state_of(hass, "sensor.bedroom_group") == "Bedroom"
    assert state_of(hass, "sensor.kitchen_group") == STATE_UNAVAILABLE


async def test_unloading_drops_the_unreachable_issue(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    issue_id = unreachable_issue_id(init_integration.entry_id)
    for player in household.players:
        await player.go_offline()
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.kitchen_group") == STATE_UNAVAILABLE
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_switches_of_alarms_deleted_while_away_are_removed(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    kept = add_emulated_alarm(household, 0, start_time="06:00:00")
    deleted = add_emulated_alarm(household, 1, start_time="07:00:00")
    await wait_for(hass, lambda: len(hass.states.async_entity_ids("switch")) == 2)
    kept_switch = switch_entity_id(hass, household, kept)
    deleted_switch = switch_entity_id(hass, household, deleted)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()

    household.alarms.destroy(deleted)  # in the Sonos app, overnight
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    registry = er.async_get(hass)
    assert registry.async_get(deleted_switch) is None
    assert hass.states.get(deleted_switch) is None
    assert registry.async_get(kept_switch) is not None
    assert state_of(hass, kept_switch) == STATE_ON


async def test_setup_retrying_for_an_unreachable_household_raises_the_issue(
    hass: HomeAssistant, household: Household
) -> None:
    for player in household.players:
        await player.go_offline()
    entry = entry_for(household)
    issue_id = unreachable_issue_id(entry.entry_id)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["entry_title"] == entry.title

    await household.players[0].go_online()  # a new entry knows only this one
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=90))
    await wait_for(hass, lambda: entry.state is ConfigEntryState.LOADED)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_removing_a_retrying_entry_drops_the_issue(
    hass: HomeAssistant, household: Household
) -> None:
    for player in household.players:
        await player.go_offline()
    entry = entry_for(household)
    issue_id = unreachable_issue_id(entry.entry_id)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
