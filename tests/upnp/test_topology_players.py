"""Players and groups the parser builds are ordinary frozen dataclass instances."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from custom_components.sonos_upnp.upnp.topology import (
    Player,
    ZoneGroup,
    parse_zone_group_state,
)
from tests.emulator.household import Household
from tests.emulator.scenarios import home_theater, large


@pytest.mark.parametrize("household", [large(16, seed=3), home_theater(seed=4)])
def test_parsed_players_are_ordinary_frozen_players(household: Household) -> None:
    topology = parse_zone_group_state(household.zone_group_state())
    assert topology.players
    for player in topology.players.values():
        built = Player(
            **{f.name: getattr(player, f.name) for f in dataclasses.fields(Player)}
        )
        assert type(player) is Player
        assert player == built
        assert hash(player) == hash(built)
        assert repr(player) == repr(built)
        assert pickle.loads(pickle.dumps(player)) == player  # noqa: S301
        assert (
            dataclasses.replace(player, room_name="Elsewhere").room_name == "Elsewhere"
        )
        with pytest.raises(dataclasses.FrozenInstanceError):
            player.room_name = "Elsewhere"  # type: ignore[misc]
        with pytest.raises(AttributeError):
            player.extra = 1  # type: ignore[attr-defined]


def test_parsed_groups_are_ordinary_frozen_groups() -> None:
    topology = parse_zone_group_state(large(16, seed=3).zone_group_state())
    for group in topology.groups:
        built = ZoneGroup(group.group_id, group.coordinator_uuid, group.members)
        assert type(group) is ZoneGroup
        assert group == built
        assert hash(group) == hash(built)
        assert repr(group) == repr(built)
        assert pickle.loads(pickle.dumps(group)) == group  # noqa: S301
        with pytest.raises(dataclasses.FrozenInstanceError):
            group.group_id = "elsewhere"  # type: ignore[misc]
