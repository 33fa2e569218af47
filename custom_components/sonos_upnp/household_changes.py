"""What changed between two states of a household, per player and per alarm.

Entities write their state only when something they show changed: a
player's entities when its group (coordinator, members, their names and
roles), its own topology entry (name, role, address, software), its
availability or an alarm of its room changed; an alarm's entities when the
alarm changed. A player whose group or alarms alone changed is marked with
those aspects, so entities that show none of them can skip it; any other
change concerns every entity of the player.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from operator import attrgetter
from typing import TYPE_CHECKING, Final

from .upnp.topology import Player, PlayerRole

if TYPE_CHECKING:
    from .upnp.alarms import AlarmList
    from .upnp.topology import HouseholdTopology


class PlayerAspect(StrEnum):
    """A part of a player's state that can change on its own."""

    # The player's group: its members, their names and roles.
    GROUP = "group"
    # Which player coordinates the player's group (whose playback it follows);
    # it changes only along with GROUP.
    COORDINATOR = "coordinator"
    ALARMS = "alarms"


@dataclass(frozen=True, slots=True)
class HouseholdChanges:
    """The players and alarms an update concerns; None means all of them.

    `aspects` says, for some of the players, that only those aspects of
    theirs changed; a player without an entry changed in every way. `moved`
    are the players now in another group (another group ID) than before.
    """

    players: frozenset[str] | None = None
    alarms: frozenset[int] | None = None
    aspects: Mapping[str, frozenset[PlayerAspect]] = field(
        default_factory=dict, compare=True, hash=False
    )
    moved: frozenset[str] = frozenset()

    def players_in_order(self) -> list[str]:
        """Return the changed players in the order their entities hear of it.

        The players that moved come first: the change is about them (the
        others' group only gained or lost them). The order does not depend
        on how a set happens to iterate in this process.
        """
        moved = self.moved
        return sorted(self.players or (), key=lambda uuid: (uuid not in moved, uuid))

    def for_player(
        self, uuid: str, shows: frozenset[PlayerAspect] | None = None
    ) -> bool:
        """Return whether an entity of the player should write its state.

        shows: the aspects the entity shows besides the player itself and
        its availability (None: every aspect).
        """
        if self.players is None:
            return True
        if uuid not in self.players:
            return False
        aspects = self.aspects.get(uuid)
        return shows is None or aspects is None or not aspects.isdisjoint(shows)

    def for_household(self, shows: frozenset[PlayerAspect]) -> bool:
        """Return whether a household-wide entity should write its state.

        shows: the aspects of players the entity shows besides the players
        themselves; any alarm change concerns it.
        """
        if self.players is None or self.alarms is None or self.alarms:
            return True
        return any(
            (aspects := self.aspects.get(uuid)) is None or not aspects.isdisjoint(shows)
            for uuid in self.players
        )

    def players_beyond(self, aspects: frozenset[PlayerAspect]) -> frozenset[str] | None:
        """Return the players that changed in more than these aspects (None: all)."""
        if self.players is None:
            return None
        return frozenset(
            uuid
            for uuid in self.players
            if (changed := self.aspects.get(uuid)) is None or not changed <= aspects
        )

    def alarms_concerned(self, alarms: AlarmList) -> frozenset[int] | None:
        """Return the alarms whose entities the update concerns (None: all).

        An alarm's entities show the alarm and its room as a player (its
        name, whether the household lists it): a change of the room's group
        or of its other alarms concerns them not.
        """
        rooms = self.players_beyond(_EVERY_ASPECT)
        if rooms is None or self.alarms is None:
            return None
        if not rooms:
            return self.alarms
        return self.alarms | {
            alarm.alarm_id for alarm in alarms.alarms if alarm.room_uuid in rooms
        }

    def for_roster(self, roster: Roster) -> bool:
        """Return whether players or alarms (as roster says) may have come or gone.

        A player whose group or alarms alone changed was there before and is
        still there.
        """
        if roster is Roster.ALARMS:
            return self.alarms is None or bool(self.alarms)
        players = self.players_beyond(_EVERY_ASPECT)
        return players is None or bool(players)


@dataclass(frozen=True, slots=True)
class PlayerContext:
    """Marks a coordinator listener that shows one player's state."""

    uuid: str


@dataclass(frozen=True, slots=True)
class AlarmContext:
    """Marks a coordinator listener that shows one alarm and its room.

    any_alarm: it also shows something of every alarm (the day combinations
    in use), so any change of an alarm concerns it.
    """

    alarm_id: int
    any_alarm: bool = False


class Roster(StrEnum):
    """What a listener adds and removes entities for."""

    PLAYERS = "players"
    ALARMS = "alarms"


@dataclass(frozen=True, slots=True)
class RosterContext:
    """Marks a listener that adds or removes entities as players or alarms go.

    It hears only the updates that may have added or removed some.
    """

    roster: Roster


EVERYTHING = HouseholdChanges()
# What grouping changes of a player: the make-up of its group, and maybe who
# coordinates it.
GROUPING: Final = frozenset({PlayerAspect.GROUP, PlayerAspect.COORDINATOR})
_GROUP_MEMBERS = frozenset({PlayerAspect.GROUP})
_ALARMS = frozenset({PlayerAspect.ALARMS})
# Players changed beyond all of these changed as a whole (came, went, renamed...).
_EVERY_ASPECT = frozenset(PlayerAspect)


def topology_changes(
    before: HouseholdTopology,
    after: HouseholdTopology,
    unavailable_before: frozenset[str] = frozenset(),
    unavailable_after: frozenset[str] = frozenset(),
) -> HouseholdChanges:
    """Return the players whose entry, group or availability differ.

    A player in a group that changed in any way counts as changed: its group
    sensors name the members and the coordinator. Its coordinator counts as
    changed only when another player coordinates its group now.
    """
    changed = set(before.member_uuids ^ after.member_uuids)
    changed |= unavailable_before ^ unavailable_after
    group_only: dict[str, frozenset[PlayerAspect]] = {}
    moved: set[str] = set()
    old_players, new_players = before.players, after.players
    old_groups, new_groups = before.group_of, after.group_of
    for uuid in old_players.keys() | new_players.keys():
        if uuid in changed:
            continue
        old, new = old_players.get(uuid), new_players.get(uuid)
        old_group, new_group = old_groups(uuid), new_groups(uuid)
        # A parse that reuses unchanged groups hands over the same objects.
        if old is new and old_group is new_group:
            continue
        if old is not None and new is not None and old.group_id != new.group_id:
            moved.add(uuid)
        # A remembered member keeps its player where its group stays put.
        same_player = old is new or old == new
        if not same_player and (
            old is None or new is None or _outside_group(old) != _outside_group(new)
        ):
            changed.add(uuid)
        elif not same_player or old_group != new_group:
            changed.add(uuid)
            group_only[uuid] = (
                _GROUP_MEMBERS
                if old_group is not None
                and new_group is not None
                and old_group.coordinator_uuid == new_group.coordinator_uuid
                else GROUPING
            )
    return HouseholdChanges(
        frozenset(changed), frozenset(), group_only, frozenset(moved)
    )


# Every field of a player but those grouping changes (its group, its role).
_FIELDS_OUTSIDE_GROUP: Final = attrgetter(
    *(
        player_field.name
        for player_field in fields(Player)
        if player_field.name not in {"role", "group_id"}
    )
)


def _outside_group(player: Player) -> tuple[object, ...]:
    """Return what a player is apart from its group and whether it coordinates."""
    role = PlayerRole.MEMBER if player.role is PlayerRole.COORDINATOR else player.role
    return (role, *_FIELDS_OUTSIDE_GROUP(player))


def subscriptions_affected(
    before: HouseholdTopology,
    after: HouseholdTopology,
    unavailable_before: frozenset[str],
    unavailable_after: frozenset[str],
    changes: HouseholdChanges,
) -> bool:
    """Return whether the subscriptions may need to follow the change.

    They follow the visible players, their addresses, their boot sequence (a
    reboot forgets subscriptions) and which of them answer; grouping is none
    of that (every visible player has the same subscriptions).
    """
    if changes.players is None:
        return True
    for uuid in changes.players:
        old, new = before.player(uuid), after.player(uuid)
        if (
            old is None
            or new is None
            or old.is_visible_room != new.is_visible_room
            or old.boot_seq != new.boot_seq
            or (old.host, old.port) != (new.host, new.port)
            or (uuid in unavailable_before) != (uuid in unavailable_after)
        ):
            return True
    return False


def alarm_changes(before: AlarmList, after: AlarmList) -> HouseholdChanges:
    """Return the alarms that were added, removed or changed, and their rooms.

    The rooms count as changed players: their next-alarm sensors follow.
    """
    old = {alarm.alarm_id: alarm for alarm in before.alarms}
    new = {alarm.alarm_id: alarm for alarm in after.alarms}
    alarms: set[int] = set()
    rooms: set[str] = set()
    for alarm_id in old.keys() | new.keys():
        was, now = old.get(alarm_id), new.get(alarm_id)
        if was != now:
            alarms.add(alarm_id)
            rooms.update(alarm.room_uuid for alarm in (was, now) if alarm)
    return HouseholdChanges(
        frozenset(rooms), frozenset(alarms), dict.fromkeys(rooms, _ALARMS)
    )
