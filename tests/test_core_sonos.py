"""Home Assistant's own `sonos` integration (SoCo inside) against the emulator.

Core sonos is a client we did not write: when this breaks, the emulator is
wrong until proven otherwise. It is set up the way a user without multicast
discovery does it, through YAML (`sonos: media_player: hosts:` and
`advertise_addr`), on a household whose players sit on their own loopback
addresses with port 1400 (SoCo insists on both). Only what cannot run here is
replaced: SSDP's multicast listeners and UPnP server. SoCo's event listener
binds to 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from dataclasses import replace
from unittest.mock import patch

import pytest
from homeassistant.components import ssdp
from homeassistant.components.media_player import ATTR_GROUP_MEMBERS
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from tests.common import wait_for
from tests.emulator.alarms import Alarm
from tests.emulator.household import Household
from tests.emulator.player import Player
from tests.emulator.pytest_plugin import HouseholdFactory
from tests.soco_listener import soco_on_loopback

SONOS = "sonos"
# Core waits 2 s for the first topology event, then 4 s more before it goes on.
SETUP_TIMEOUT = 30.0

type CoreSonos = Callable[[Household], Awaitable[None]]


@pytest.fixture
def no_multicast_discovery() -> Iterator[None]:
    """Keep SSDP from listening and advertising on the network interfaces.

    The ssdp integration (a dependency of sonos) is set up for real, its
    scanner included; only its multicast listeners and its UPnP server,
    which would send beyond loopback, do not start.
    """
    with (
        patch.object(ssdp.Scanner, "_async_start_ssdp_listeners", autospec=True),
        patch.object(ssdp.Server, "async_start", autospec=True),
    ):
        yield


@pytest.fixture
async def core_sonos(
    hass: HomeAssistant, socket_enabled: None, no_multicast_discovery: None
) -> AsyncGenerator[CoreSonos]:
    """Return `setup(household)`: core sonos, configured with one host in YAML.

    It returns once every visible player has its media player; the entry is
    unloaded and SoCo's listener stopped at teardown.
    """

    async def setup(household: Household) -> None:
        config = {
            SONOS: {
                "media_player": {
                    "hosts": [household.players[0].host],
                    "advertise_addr": "127.0.0.1",
                }
            }
        }
        assert await async_setup_component(hass, SONOS, config)
        await wait_for(
            hass,
            lambda: _all_players_known(hass, household),
            timeout=SETUP_TIMEOUT,
            describe=lambda: sorted(hass.states.async_entity_ids("media_player")),
        )

    async with soco_on_loopback():
        try:
            yield setup
        finally:
            for entry in hass.config_entries.async_entries(SONOS):
                await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()


@pytest.fixture
async def groups(
    emulator_household_factory: HouseholdFactory, core_sonos: CoreSonos
) -> Household:
    """Return a `groups` household with one alarm, known to core sonos."""
    household = await emulator_household_factory("groups", distinct_hosts=True)
    household.alarms.create(
        Alarm(
            id=0,
            start_time="07:15:00",
            duration="01:00:00",
            recurrence="DAILY",
            enabled=True,
            room_uuid=household.players[0].uuid,
            volume=22,
        )
    )
    await core_sonos(household)
    return household


def _media_player(hass: HomeAssistant, player: Player) -> str | None:
    """Return the entity ID core gave a player's media player (by its UUID)."""
    return er.async_get(hass).async_get_entity_id("media_player", SONOS, player.uuid)


def _all_players_known(hass: HomeAssistant, household: Household) -> bool:
    return all(
        (entity_id := _media_player(hass, p)) and hass.states.get(entity_id)
        for p in household.visible_players
    )


def _members(hass: HomeAssistant, *players: Player) -> list[list[str]]:
    """Return the group_members attribute of each player's media player."""
    members = []
    for player in players:
        entity_id = _media_player(hass, player)
        state = hass.states.get(entity_id) if entity_id else None
        assert state is not None, player
        members.append(list(state.attributes.get(ATTR_GROUP_MEMBERS) or []))
    return members


def _switch_kinds(hass: HomeAssistant, player: Player) -> set[str]:
    """Return the kinds of a player's feature switches (unique ID suffixes)."""
    prefix = f"{player.uuid}-"
    return {
        entry.unique_id.removeprefix(prefix)
        for entry in er.async_get(hass).entities.values()
        if entry.platform == SONOS
        and entry.domain == "switch"
        and entry.unique_id.startswith(prefix)
    }


def _autoplay_kinds(hass: HomeAssistant, player: Player) -> set[str]:
    return {kind for kind in _switch_kinds(hass, player) if "autoplay" in kind}


async def _wait_for_switches(hass: HomeAssistant, *players: Player) -> None:
    """Wait until core made the players' switches (loudness: every model)."""
    await wait_for(
        hass,
        lambda: all("loudness" in _switch_kinds(hass, p) for p in players),
        describe=lambda: [sorted(_switch_kinds(hass, p)) for p in players],
    )


async def test_media_players_groups_and_alarms_appear(
    hass: HomeAssistant, groups: Household
) -> None:
    household = groups
    living, kitchen, bedroom, office, bathroom, dining = household.players
    ids = {p.uuid: _media_player(hass, p) for p in household.players}
    await wait_for(
        hass,
        lambda: (
            _members(hass, living, kitchen)[1] == [ids[living.uuid], ids[kitchen.uuid]]
        ),
        describe=lambda: _members(hass, *household.players),
    )
    # Coordinator first, as core lists them.
    assert _members(hass, *household.players) == [
        [ids[living.uuid], ids[kitchen.uuid]],
        [ids[living.uuid], ids[kitchen.uuid]],
        [ids[bedroom.uuid], ids[office.uuid]],
        [ids[bedroom.uuid], ids[office.uuid]],
        [ids[bathroom.uuid]],
        [ids[dining.uuid]],
    ]

    alarm = household.alarms.alarms[0]
    alarm_switch = f"switch.sonos_alarm_{alarm.id}"
    await wait_for(hass, lambda: hass.states.get(alarm_switch) is not None)
    state = hass.states.get(alarm_switch)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes["time"] == "07:15:00"
    assert state.attributes["volume"] == 0.22
    assert state.attributes["recurrence"] == "DAILY"

    # None of these models has a TV input: no TV autoplay switches are made.
    await _wait_for_switches(hass, *household.players)
    assert [_autoplay_kinds(hass, p) for p in household.players] == [set()] * 6
    # The topology events arrived: core did not fall back to polling.
    assert ir.async_get(hass).async_get_issue(SONOS, "subscriptions_failed") is None


async def test_join_leave_and_alarm_change_are_followed(
    hass: HomeAssistant, groups: Household
) -> None:
    household = groups
    living, kitchen, bedroom, office, bathroom, _dining = household.players
    ids = {p.uuid: _media_player(hass, p) for p in household.players}

    # Join through Home Assistant: core -> SoCo -> emulator -> topology event.
    await hass.services.async_call(
        "media_player",
        "join",
        {
            ATTR_ENTITY_ID: ids[bedroom.uuid],
            ATTR_GROUP_MEMBERS: [ids[bathroom.uuid]],
        },
        blocking=True,
    )
    assert bathroom.group_coordinator is bedroom
    trio = [ids[bedroom.uuid], ids[office.uuid], ids[bathroom.uuid]]
    await wait_for(
        hass,
        lambda: _members(hass, bathroom, bedroom) == [trio, trio],
        describe=lambda: _members(hass, bathroom, bedroom),
    )

    # Leave on the speaker side (another controller): only the event tells.
    household.leave(kitchen)
    await wait_for(
        hass,
        lambda: (
            _members(hass, kitchen, living) == [[ids[kitchen.uuid]], [ids[living.uuid]]]
        ),
        describe=lambda: _members(hass, kitchen, living),
    )

    # An alarm changed on the speaker side: disabled, louder.
    alarm = household.alarms.alarms[0]
    household.alarms.update(replace(alarm, enabled=False, volume=35))
    household.alarms_changed()
    alarm_switch = f"switch.sonos_alarm_{alarm.id}"
    await wait_for(
        hass,
        lambda: (
            (state := hass.states.get(alarm_switch)) is not None
            and state.state == STATE_OFF
            and state.attributes["volume"] == 0.35
        ),
        describe=lambda: hass.states.get(alarm_switch),
    )


async def test_tv_autoplay_switches_only_where_there_is_a_tv_input(
    hass: HomeAssistant,
    emulator_household_factory: HouseholdFactory,
    core_sonos: CoreSonos,
) -> None:
    household = await emulator_household_factory("home_theater", distinct_hosts=True)
    beam = household.player_by_room("Living Room")
    kitchen = household.player_by_room("Kitchen")
    assert (beam.model.model, kitchen.model.model) == ("S14", "S13")
    await core_sonos(household)
    await _wait_for_switches(hass, beam, kitchen)
    assert {"tv_autoplay", "ungroup_on_autoplay"} <= _switch_kinds(hass, beam)
    assert _autoplay_kinds(hass, kitchen) == set()
