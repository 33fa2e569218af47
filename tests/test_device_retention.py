"""Devices stay while a player is merely absent; the household lets them go."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from unittest.mock import patch

import pytest
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sonos_upnp.const import CONF_MISSING_SINCE, DOMAIN
from tests.common import device_id_of, wait_for, wait_for_subscriptions
from tests.conftest import entry_for
from tests.emulator.household import Household
from tests.emulator.player import Player
from tests.emulator.pytest_plugin import HouseholdFactory

GRACE = timedelta(days=30)


async def leave_out(household: Household, player: Player) -> None:
    household.left_out.add(player.uuid)
    household.topology_changed()


async def without_location(household: Household, player: Player) -> None:
    household.locations[player.uuid] = None
    household.topology_changed()


async def vanish_in_old_shape(household: Household, player: Player) -> None:
    household.legacy_topology = True
    await player.go_offline(vanish=True)


async def factory_reset(household: Household, player: Player) -> None:
    await household.remove_player(player)


ABSENCES: dict[str, Callable[[Household, Player], Awaitable[None]]] = {
    "left_out_of_one_snapshot": leave_out,
    "member_without_location": without_location,
    "vanished_in_the_pre_2019_shape": vanish_in_old_shape,
    "gone_from_the_household": factory_reset,
}


def customise(hass: HomeAssistant, uuid: str) -> tuple[str, str]:
    """Give the player's device an area and a name, and an entity a name."""
    area = ar.async_get(hass).async_create("Upstairs")
    device_id = device_id_of(hass, uuid)
    dr.async_get(hass).async_update_device(
        device_id, area_id=area.id, name_by_user="My speaker"
    )
    entity_id = "sensor.kitchen_group"
    er.async_get(hass).async_update_entity(entity_id, name="Where the kitchen plays")
    return device_id, area.id


@pytest.mark.parametrize("absence", ABSENCES.values(), ids=ABSENCES.keys())
async def test_an_absent_player_keeps_its_device_names_and_area(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    household: Household,
    absence: Callable[[Household, Player], Awaitable[None]],
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    kitchen = household.players[1]
    device_id, area_id = customise(hass, kitchen.uuid)

    await absence(household, kitchen)
    await wait_for(hass, lambda: kitchen.uuid not in coordinator.data.topology.players)
    device = dr.async_get(hass).async_get(device_id)
    assert device is not None
    assert (device.name_by_user, device.area_id) == ("My speaker", area_id)
    entity = er.async_get(hass).async_get("sensor.kitchen_group")
    assert entity is not None
    assert entity.name == "Where the kitchen plays"
    state = hass.states.get("sensor.kitchen_group")
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
    assert kitchen.uuid in init_integration.data[CONF_MISSING_SINCE]

    # After a restart the entities are there (unavailable), not placeholders.
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get("sensor.kitchen_group")
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
    assert not state.attributes.get("restored")


async def test_a_returning_player_is_available_again(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    kitchen = household.players[1]
    device_id = device_id_of(hass, kitchen.uuid)
    await leave_out(household, kitchen)
    await wait_for(
        hass,
        lambda: kitchen.uuid in init_integration.data.get(CONF_MISSING_SINCE, {}),
    )
    household.left_out.clear()
    household.topology_changed()
    await wait_for(
        hass,
        lambda: (
            getattr(hass.states.get("sensor.kitchen_group"), "state", None) == "Kitchen"
        ),
    )
    assert device_id_of(hass, kitchen.uuid) == device_id
    assert kitchen.uuid not in init_integration.data[CONF_MISSING_SINCE]


async def test_the_device_goes_after_the_persisted_grace_period(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    household: Household,
) -> None:
    kitchen = household.players[1]
    device_id = device_id_of(hass, kitchen.uuid)
    await factory_reset(household, kitchen)
    await wait_for(
        hass,
        lambda: kitchen.uuid in init_integration.data.get(CONF_MISSING_SINCE, {}),
    )
    since = init_integration.data[CONF_MISSING_SINCE][kitchen.uuid]

    # A restart does not start the count again.
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.data[CONF_MISSING_SINCE][kitchen.uuid] == since

    # Home Assistant was off for almost the whole grace period.
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    almost = dt_util.utcnow() - GRACE + timedelta(hours=1)
    hass.config_entries.async_update_entry(
        init_integration,
        data={
            **init_integration.data,
            CONF_MISSING_SINCE: {kitchen.uuid: almost.isoformat()},
        },
    )
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert dr.async_get(hass).async_get(device_id) is not None

    # The grace period ends while nothing changes in the household. (Moving
    # the clock runs every pending timer: requests in flight would time out.)
    await wait_for_subscriptions(
        hass, init_integration.runtime_data.coordinator, events_flow=True
    )
    later = dt_util.utcnow() + timedelta(hours=2)
    with patch("homeassistant.util.dt.utcnow", return_value=later):
        async_fire_time_changed(hass, later)
        await hass.async_block_till_done()
    assert dr.async_get(hass).async_get(device_id) is None
    assert hass.states.get("sensor.kitchen_group") is None
    assert not dr.async_get(hass).async_get_devices(
        identifiers={(DOMAIN, kitchen.uuid)}
    )
    assert kitchen.uuid not in init_integration.data[CONF_MISSING_SINCE]
    assert kitchen.uuid not in init_integration.data["addresses"]


async def test_a_player_moved_to_another_configured_household_leaves_at_once(
    hass: HomeAssistant,
    household: Household,
    emulator_household_factory: HouseholdFactory,
) -> None:
    other = await emulator_household_factory("singles", players=2, seed=31)
    first, second = entry_for(household), entry_for(other)
    for entry in (first, second):
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    kitchen = household.players[1]
    registry = dr.async_get(hass)

    def devices_of(entry: MockConfigEntry) -> set[str]:
        return {
            uuid
            for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
            for _, uuid in device.identifiers
        }

    await household.move_player_to(kitchen, other)
    await wait_for(
        hass,
        lambda: (
            kitchen.uuid in devices_of(second) and kitchen.uuid not in devices_of(first)
        ),
        describe=lambda: (devices_of(first), devices_of(second)),
    )
    assert kitchen.uuid not in first.data[CONF_MISSING_SINCE]
    assert devices_of(first) == {player.uuid for player in household.players}
    for entry in (first, second):
        await hass.config_entries.async_unload(entry.entry_id)
