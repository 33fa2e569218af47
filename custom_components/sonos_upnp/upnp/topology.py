"""The household topology: which players exist, how they are grouped and bonded.

`parse_zone_group_state` reads the `ZoneGroupState` value that
`ZoneGroupTopology.GetZoneGroupState` returns and that the ZoneGroupTopology
event carries. Two shapes exist: firmware 10.1 (2019) and later wrap the groups
as `<ZoneGroupState><ZoneGroups>...</ZoneGroups><VanishedDevices/></ZoneGroupState>`,
older firmware sends a bare `<ZoneGroups>` root. The value may arrive still
XML-escaped once more (as it sits inside a SOAP or NOTIFY body) or already
unescaped; both are accepted.

Bonded players are told apart by their attributes:
- `ChannelMapSet="RINCON_A:LF,LF;RINCON_B:RF,RF"`: a stereo pair; the first
  UUID holding the left channel is the primary, the other a stereo secondary.
  Old firmware also bonds a sub this way (`RINCON_A:LF,RF;RINCON_S:SW,SW`);
  such a sub is reported as a satellite.
- `HTSatChanMapSet="RINCON_A:LF,RF;RINCON_S:SW;RINCON_L:LR;RINCON_R:RR"`: a
  home theater; the soundbar holds LF,RF, the sub SW and the surrounds LR/RR.
  The satellites themselves are listed as `<Satellite>` children of the
  soundbar's `<ZoneGroupMember>`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NamedTuple
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

from .exceptions import UpnpResponseError
from .safe_xml import MAX_BODY_BYTES, find_child, local_name, parse_xml

DEFAULT_PORT: Final = 1400

# One level of XML escaping: the five predefined entities and character references.
_ESCAPED_ENTITY: Final = re.compile(
    r"&(lt|gt|amp|quot|apos|#[0-9]+|#[xX][0-9A-Fa-f]+);"
)
_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_TRUE_VALUES: Final = frozenset({"1", "true", "yes"})
# Channels that make a bonded player part of another player's room.
_SATELLITE_CHANNELS: Final = frozenset({"SW", "LR", "RR"})


class PlayerRole(StrEnum):
    """What a player is within its group."""

    COORDINATOR = "coordinator"
    MEMBER = "member"
    SATELLITE = "satellite"
    STEREO_SECONDARY = "stereo_secondary"
    BRIDGE = "bridge"
    # Reserved for callers listing a VanishedDevice alongside live players.
    VANISHED = "vanished"


@dataclass(frozen=True, slots=True)
class Player:
    """One player of the household as the topology describes it."""

    uuid: str
    room_name: str
    host: str
    port: int
    software_version: str | None
    software_generation: int | None
    boot_seq: int | None
    invisible: bool
    is_zone_bridge: bool
    role: PlayerRole
    group_id: str | None
    channel_map_set: str | None
    ht_sat_chan_map_set: str | None

    @property
    def is_visible_room(self) -> bool:
        """Whether the player stands for a room of its own in the Sonos app."""
        return not self.invisible and self.role in {
            PlayerRole.COORDINATOR,
            PlayerRole.MEMBER,
        }


@dataclass(frozen=True, slots=True)
class ZoneGroup:
    """A group of players playing in sync under one coordinator."""

    group_id: str
    coordinator_uuid: str
    members: tuple[Player, ...]

    @property
    def coordinator(self) -> Player:
        """The player that coordinates the group."""
        for player in self.members:
            if player.uuid == self.coordinator_uuid:
                return player
        # parse_zone_group_state only builds groups whose coordinator is a member.
        msg = f"coordinator {self.coordinator_uuid} is not in group {self.group_id}"
        raise UpnpResponseError(msg)

    @property
    def visible_members(self) -> tuple[Player, ...]:
        """One player per room: no satellites, secondaries, invisibles or bridges."""
        return tuple(player for player in self.members if player.is_visible_room)

    @property
    def name(self) -> str:
        """The group's name as the Sonos app shows it, e.g. "Kitchen + 2"."""
        coordinator = self.coordinator
        # A room is a UUID with its name; the name guards anonymised captures
        # in which every player carries the same UUID.
        rooms = {(player.uuid, player.room_name) for player in self.visible_members}
        rooms.discard((coordinator.uuid, coordinator.room_name))
        others = len(rooms)
        return (
            f"{coordinator.room_name} + {others}" if others else coordinator.room_name
        )


@dataclass(frozen=True, slots=True)
class VanishedDevice:
    """A player the household knows but cannot currently reach."""

    uuid: str
    room_name: str
    reason: str


@dataclass(frozen=True, slots=True)
class HouseholdTopology:
    """Every group of the household and the players that vanished from it.

    Immutable, so the look-ups entities make on every state write are indexed
    once, when the topology is built.
    """

    groups: tuple[ZoneGroup, ...]
    vanished: tuple[VanishedDevice, ...] = ()
    _players: Mapping[str, Player] = field(init=False, repr=False, compare=False)
    _group_by_uuid: Mapping[str, ZoneGroup] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        """Index players and their groups by UUID."""
        players: dict[str, Player] = {}
        group_by_uuid: dict[str, ZoneGroup] = {}
        for group in self.groups:
            for player in group.members:
                players.setdefault(player.uuid, player)
                group_by_uuid.setdefault(player.uuid, group)
        object.__setattr__(self, "_players", MappingProxyType(players))
        object.__setattr__(self, "_group_by_uuid", MappingProxyType(group_by_uuid))

    @property
    def players(self) -> Mapping[str, Player]:
        """Every player of every group, satellites included, by UUID."""
        return self._players

    @property
    def member_uuids(self) -> frozenset[str]:
        """Return every player of the household, awake or vanished."""
        return frozenset(self._players) | {device.uuid for device in self.vanished}

    @property
    def visible_players(self) -> tuple[Player, ...]:
        """One player per room, the way the Sonos app lists rooms."""
        return tuple(
            player for group in self.groups for player in group.visible_members
        )

    def player(self, uuid: str) -> Player | None:
        """Return the player with that UUID, if the household has it."""
        return self._players.get(uuid)

    def group_of(self, uuid: str) -> ZoneGroup | None:
        """Return the group a player (satellites included) belongs to."""
        return self._group_by_uuid.get(uuid)


def parse_zone_group_state(text: str | bytes) -> HouseholdTopology:
    """Parse a ZoneGroupState value (either shape, escaped once more or not).

    Players missing optional attributes come through with None/False/"" in
    their place; a member without a UUID or a usable Location cannot be talked
    to and is left out. A group without a Coordinator attribute takes the UUID
    its ID starts with; one whose coordinator is not among its players takes
    its first player. Anything that is not well-formed ZoneGroupState XML
    raises UpnpResponseError.
    """
    root = parse_xml(_to_xml_bytes(text))
    match local_name(root.tag):
        case "ZoneGroupState":
            groups_element = find_child(root, "ZoneGroups")
            if groups_element is None:
                raise UpnpResponseError("ZoneGroupState without ZoneGroups")
            vanished_element = find_child(root, "VanishedDevices")
        case "ZoneGroups":
            groups_element, vanished_element = root, None
        case other:
            raise UpnpResponseError(f"unexpected ZoneGroupState root <{other}>")
    groups = tuple(
        group
        for element in groups_element
        if local_name(element.tag) == "ZoneGroup"
        and (group := _parse_group(element)) is not None
    )
    vanished: tuple[VanishedDevice, ...] = ()
    if vanished_element is not None:
        vanished = tuple(
            VanishedDevice(
                uuid=uuid,
                room_name=device.get("ZoneName", ""),
                reason=device.get("Reason", ""),
            )
            for device in vanished_element
            if local_name(device.tag) == "Device"
            and (uuid := device.get("UUID", "").strip())
        )
    return HouseholdTopology(groups=groups, vanished=vanished)


def _to_xml_bytes(text: str | bytes) -> bytes:
    """Decode, undo one extra level of escaping if present, and re-encode."""
    if isinstance(text, bytes):
        if len(text) > MAX_BODY_BYTES:
            raise UpnpResponseError(f"ZoneGroupState of {len(text)} bytes is too big")
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise UpnpResponseError(f"ZoneGroupState is not UTF-8: {err}") from err
    # An escaped document has no markup of its own, only entities.
    if "<" not in text and "&lt;ZoneGroup" in text:
        text = _ESCAPED_ENTITY.sub(_unescape_entity, text)
    try:
        return text.strip().encode()
    except UnicodeEncodeError as err:
        raise UpnpResponseError(f"ZoneGroupState has invalid text: {err}") from err


def _unescape_entity(match: re.Match[str]) -> str:
    """Replace one entity or character reference by its character."""
    entity = match[1]
    if entity in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[entity]
    code = int("0" + entity[1:], 0) if entity[1] in "xX" else int(entity[1:])
    if code > sys.maxunicode:
        raise UpnpResponseError(f"invalid character reference &{entity};")
    return chr(code)


def _parse_group(element: Element) -> ZoneGroup | None:
    """Build one group; None for a group without any identifiable player."""
    group_id = element.get("ID", "").strip() or None
    members: list[tuple[Element, bool]] = []
    for member in element:
        if local_name(member.tag) != "ZoneGroupMember":
            continue
        members.append((member, False))
        members.extend(
            (satellite, True)
            for satellite in member
            if local_name(satellite.tag) == "Satellite"
        )
    # Only players we can identify and reach make it into the topology.
    located = [
        (member, is_satellite, uuid, host, port)
        for member, is_satellite in members
        if (uuid := member.get("UUID", "").strip())
        for host, port in [_parse_location(member.get("Location", ""))]
        if host is not None
    ]
    uuids = [uuid for _, _, uuid, _, _ in located]
    if not uuids:
        return None
    coordinator_uuid = element.get("Coordinator", "").strip()
    if not coordinator_uuid and group_id:
        coordinator_uuid = group_id.partition(":")[0]
    if coordinator_uuid not in uuids:
        # Seen mid-regroup: fall back to the first player listed.
        coordinator_uuid = uuids[0]
    players = tuple(
        _parse_player(
            member,
            Address(uuid, host, port),
            coordinator_uuid,
            group_id,
            is_satellite=is_satellite,
        )
        for member, is_satellite, uuid, host, port in located
    )
    return ZoneGroup(
        group_id=group_id or coordinator_uuid,
        coordinator_uuid=coordinator_uuid,
        members=players,
    )


class Address(NamedTuple):
    """Who a player is and where it listens."""

    uuid: str
    host: str
    port: int


def _parse_player(
    element: Element,
    address: Address,
    coordinator_uuid: str,
    group_id: str | None,
    *,
    is_satellite: bool,
) -> Player:
    """Build one player from a ZoneGroupMember or Satellite element."""
    uuid, host, port = address
    invisible = element.get("Invisible", "0").strip().lower() in _TRUE_VALUES
    is_zone_bridge = element.get("IsZoneBridge", "0").strip().lower() in _TRUE_VALUES
    channel_map_set = element.get("ChannelMapSet") or None
    ht_sat_chan_map_set = element.get("HTSatChanMapSet") or None
    return Player(
        uuid=uuid,
        room_name=element.get("ZoneName", ""),
        host=host,
        port=port,
        software_version=element.get("SoftwareVersion") or None,
        software_generation=_parse_int(element.get("SWGen")),
        boot_seq=_parse_int(element.get("BootSeq")),
        invisible=invisible,
        is_zone_bridge=is_zone_bridge,
        role=_role(
            uuid,
            coordinator_uuid,
            is_satellite=is_satellite,
            is_zone_bridge=is_zone_bridge,
            channel_map_set=channel_map_set,
            ht_sat_chan_map_set=ht_sat_chan_map_set,
        ),
        group_id=group_id,
        channel_map_set=channel_map_set,
        ht_sat_chan_map_set=ht_sat_chan_map_set,
    )


def _role(  # noqa: PLR0911 - one return per role keeps the precedence readable
    uuid: str,
    coordinator_uuid: str,
    *,
    is_satellite: bool,
    is_zone_bridge: bool,
    channel_map_set: str | None,
    ht_sat_chan_map_set: str | None,
) -> PlayerRole:
    """Tell what a player is from where it is listed and how it is bonded."""
    if is_zone_bridge:
        return PlayerRole.BRIDGE
    if is_satellite:
        return PlayerRole.SATELLITE
    if ht_sat_chan_map_set:
        channels = _channel_map(ht_sat_chan_map_set)
        if _SATELLITE_CHANNELS.intersection(channels.get(uuid, ())):
            return PlayerRole.SATELLITE
    if channel_map_set:
        channels = _channel_map(channel_map_set)
        primary = next(
            (owner for owner, held in channels.items() if "LF" in held), None
        )
        if primary is not None and uuid in channels and uuid != primary:
            if "SW" in channels[uuid]:
                return PlayerRole.SATELLITE
            return PlayerRole.STEREO_SECONDARY
    if uuid == coordinator_uuid:
        return PlayerRole.COORDINATOR
    return PlayerRole.MEMBER


def _channel_map(value: str) -> dict[str, tuple[str, ...]]:
    """Split `UUID:CH,CH;UUID:CH` into {uuid: channels}, first listing wins."""
    channels: dict[str, tuple[str, ...]] = {}
    for entry in value.split(";"):
        uuid, _, held = entry.strip().partition(":")
        if uuid and uuid not in channels:
            channels[uuid] = tuple(part.strip().upper() for part in held.split(","))
    return channels


def _parse_location(location: str) -> tuple[str | None, int]:
    """Return (host, port) of a device description URL; port defaults to 1400."""
    try:
        parts = urlsplit(location.strip())
        port = parts.port
    except ValueError:
        return None, DEFAULT_PORT
    return parts.hostname or None, port or DEFAULT_PORT


def _parse_int(value: str | None) -> int | None:
    """Return an attribute as int, or None when absent or not a number."""
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None
