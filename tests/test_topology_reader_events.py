"""Topology events are read incrementally: only the groups that changed are parsed."""

from typing import Any

from homeassistant.core import HomeAssistant

from custom_components.sonos_upnp.upnp.topology import parse_zone_group_state
from tests.common import wait_for_subscriptions
from tests.test_event_path import (
    entities_of_players,
    notifications_sent,
    set_up,
    unload,
    wait_for_notifications,
)


async def test_topology_events_reuse_the_groups_that_did_not_change(
    hass: HomeAssistant, emulator_household_factory: Any
) -> None:
    household = await emulator_household_factory("large32", seed=31)
    entry = await set_up(hass, household)
    coordinator = entry.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    await hass.async_block_till_done()
    reader = coordinator.topology_reader
    last, first = household.players[-1], household.players[-4]

    moves = ((last, first), (last, last), (first, last))
    for number, (player, target) in enumerate(moves):
        sent = notifications_sent(household)
        if player is target:
            household.leave(player)
        else:
            household.join(player, target)
        await wait_for_notifications(hass, household, sent, len(household.players))
        text = household.zone_group_state()
        groups = len(parse_zone_group_state(text).groups)
        assert reader.full_parses == 0
        # The first event after setup is read whole; from then on only the
        # groups the player moved between are parsed.
        if number:
            assert reader.parsed_groups <= 2
            assert reader.reused_groups >= groups - 2
        assert coordinator.data.topology == parse_zone_group_state(text)
        # What the user sees: the player's group sensor names its new group.
        (sensor,) = entities_of_players(
            hass, {player.uuid}, frozenset({"group_members"})
        )
        group = coordinator.data.topology.group_of(player.uuid)
        assert group is not None
        state = hass.states.get(sensor)
        assert state is not None
        assert state.state == group.name

    await unload(hass, entry)
