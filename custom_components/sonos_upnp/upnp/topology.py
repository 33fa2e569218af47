"""The household topology: which players exist, how they are grouped and bonded.

`parse_zone_group_state` reads the `ZoneGroupState` value that
`ZoneGroupTopology.GetZoneGroupState` returns and that the ZoneGroupTopology
event carries. Two shapes exist: firmware 10.1 (2019) and later wrap the groups
as `<ZoneGroupState><ZoneGroups>...</ZoneGroups><VanishedDevices/></ZoneGroupState>`,
older firmware sends a bare `<ZoneGroups>` root. The value may arrive still
XML-escaped once more (as it sits inside a SOAP or NOTIFY body) or already
unescaped; both are accepted.

The document is streamed through expat (`safe_xml.stream_xml`, with the
refusals of `parse_xml`), not built as a tree: a household's topology is
re-read on every topology event, and only the attributes of groups, members
and vanished devices are kept, one group at a time.

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final
from urllib.parse import urlsplit

from .exceptions import UpnpResponseError
from .safe_xml import MAX_BODY_BYTES, local_name, stream_xml

DEFAULT_PORT: Final = 1400

# One level of XML escaping: the five predefined entities and character references.
_ESCAPED_ENTITY: Final = re.compile(
    r"&(lt|gt|amp|quot|apos|#[0-9]+|#[xX][0-9A-Fa-f]+);"
)
_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_TRUE_VALUES: Final = frozenset({"1", "true", "yes"})
# What every player announces, "http://IPv4:port/...": read without urlsplit,
# to the same result. Anything else goes through urlsplit.
_PLAIN_LOCATION: Final = re.compile(
    r"http://([0-9]{1,3}(?:\.[0-9]{1,3}){3})(?::([0-9]{1,5}))?(?=[/?#]|\Z)"
)
_match_plain_location: Final = _PLAIN_LOCATION.match
_DEFAULT_PORT_TEXT: Final = str(DEFAULT_PORT)
_MAX_PORT: Final = 65535
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


# Looked up once per player: module constants are cheaper than enum attributes.
_COORDINATOR: Final = PlayerRole.COORDINATOR
_MEMBER_ROLE: Final = PlayerRole.MEMBER


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


class _PlayerDraft:
    """A Player under construction: the same slots, stored without ceremony.

    A frozen dataclass stores each field through object.__setattr__, about a
    microsecond per player here, a tenth of the parse of a large household.
    A draft stores the fields directly, then becomes a Player: the layouts
    are the same, so the __class__ assignment is allowed, and the result is
    a Player in every respect (type, equality, hash, immutability).
    """

    __slots__ = Player.__slots__

    def __init__(  # noqa: PLR0917 - positional, in Player's field order
        self,
        uuid: str,
        room_name: str,
        host: str,
        port: int,
        software_version: str | None,
        software_generation: int | None,
        boot_seq: int | None,
        invisible: bool,
        is_zone_bridge: bool,
        role: PlayerRole,
        group_id: str | None,
        channel_map_set: str | None,
        ht_sat_chan_map_set: str | None,
    ) -> None:
        self.uuid = uuid
        self.room_name = room_name
        self.host = host
        self.port = port
        self.software_version = software_version
        self.software_generation = software_generation
        self.boot_seq = boot_seq
        self.invisible = invisible
        self.is_zone_bridge = is_zone_bridge
        self.role = role
        self.group_id = group_id
        self.channel_map_set = channel_map_set
        self.ht_sat_chan_map_set = ht_sat_chan_map_set


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


class _ZoneGroupDraft:
    """A ZoneGroup under construction, as _PlayerDraft is for a Player."""

    __slots__ = ZoneGroup.__slots__

    def __init__(
        self, group_id: str, coordinator_uuid: str, members: tuple[Player, ...]
    ) -> None:
        self.group_id = group_id
        self.coordinator_uuid = coordinator_uuid
        self.members = members


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
    _visible_players: tuple[Player, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Index players and their groups by UUID; list the rooms once."""
        players: dict[str, Player] = {}
        group_by_uuid: dict[str, ZoneGroup] = {}
        visible: list[Player] = []
        for group in self.groups:
            for player in group.members:
                players.setdefault(player.uuid, player)
                group_by_uuid.setdefault(player.uuid, group)
                if player.is_visible_room:
                    visible.append(player)
        object.__setattr__(self, "_players", MappingProxyType(players))
        object.__setattr__(self, "_group_by_uuid", MappingProxyType(group_by_uuid))
        object.__setattr__(self, "_visible_players", tuple(visible))

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
        return self._visible_players

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
    builder = TopologyBuilder()
    # Streamed, no tree: each group is built as its element closes.
    stream_xml(to_xml_bytes(text), builder.start, builder.end)
    return builder.topology()


# An element's attributes, as expat reports them.
type Attributes = dict[str, str]
# A ZoneGroupMember's or Satellite's attributes, and whether it is a Satellite.
type Member = tuple[Attributes, bool]

# What an open element is to TopologyBuilder (its open_kinds; subclasses read them).
KIND_IGNORED: Final = 0
KIND_STATE: Final = 1
KIND_GROUPS: Final = 2
KIND_GROUP: Final = 3
KIND_MEMBER: Final = 4
KIND_SATELLITE: Final = 5
KIND_VANISHED: Final = 6
KIND_DEVICE: Final = 7
# By the kind of the parent: the children the parser reads, by local name.
_CHILD_KINDS: Final[tuple[Mapping[str, int], ...]] = (
    {},
    {"ZoneGroups": KIND_GROUPS, "VanishedDevices": KIND_VANISHED},
    {"ZoneGroup": KIND_GROUP},
    {"ZoneGroupMember": KIND_MEMBER},
    {"Satellite": KIND_SATELLITE},
    {},
    {"Device": KIND_DEVICE},
    {},
)


class TopologyBuilder:
    """Build groups and vanished devices from the elements expat reports.

    Only the first ZoneGroups and VanishedDevices of the root count; unknown
    elements and everything inside them are skipped. What it built is only
    good once stream_xml returned: a later error refuses the whole document.
    """

    __slots__ = (
        "group_attributes",
        "groups",
        "has_groups",
        "has_vanished",
        "members",
        "open_kinds",
        "vanished",
    )

    def __init__(self) -> None:
        """Start before the root element."""
        self.groups: list[ZoneGroup] = []
        self.vanished: list[VanishedDevice] = []
        self.has_groups = False
        self.has_vanished = False
        # The open ZoneGroup, held only until it closes.
        self.group_attributes: Attributes = {}
        self.members: list[Member] = []
        self.open_kinds: list[int] = []

    def start(self, name: str, attributes: Attributes) -> None:
        """Classify an element by its parent and keep what the topology needs."""
        open_kinds = self.open_kinds
        # The bulk of every document first: groups and their members.
        if open_kinds:
            parent = open_kinds[-1]
            if parent == KIND_GROUP and name == "ZoneGroupMember":
                self.members.append((attributes, False))
                open_kinds.append(KIND_MEMBER)
                return
            if parent == KIND_GROUPS and name == "ZoneGroup":
                self.group_attributes = attributes
                self.members = []
                open_kinds.append(KIND_GROUP)
                return
        open_kinds.append(self._classify(name, attributes))

    def _classify(self, name: str, attributes: Attributes) -> int:
        """Return what an element is, and keep what the topology needs of it."""
        if "}" in name:
            name = local_name(name)
        open_kinds = self.open_kinds
        if not open_kinds:
            return self._root_kind(name)
        kind = _CHILD_KINDS[open_kinds[-1]].get(name, KIND_IGNORED)
        if kind == KIND_MEMBER:
            self.members.append((attributes, False))
        elif kind == KIND_SATELLITE:
            self.members.append((attributes, True))
        elif kind == KIND_GROUP:
            self.group_attributes = attributes
            self.members = []
        elif kind == KIND_DEVICE:
            if uuid := attributes.get("UUID", "").strip():
                self.vanished.append(
                    VanishedDevice(
                        uuid=uuid,
                        room_name=attributes.get("ZoneName", ""),
                        reason=attributes.get("Reason", ""),
                    )
                )
        elif kind == KIND_GROUPS:
            kind = KIND_IGNORED if self.has_groups else KIND_GROUPS
            self.has_groups = True
        elif kind == KIND_VANISHED:
            kind = KIND_IGNORED if self.has_vanished else KIND_VANISHED
            self.has_vanished = True
        return kind

    def end(self, _name: str) -> None:
        """Close the innermost element; a closing group is built."""
        if self.open_kinds.pop() == KIND_GROUP:
            group = parse_group(self.group_attributes, self.members, self.parse_players)
            if group is not None:
                self.groups.append(group)

    def parse_players(
        self, members: list[Member], coordinator_uuid: str, group_id: str | None
    ) -> list[Player]:
        """Build the players of the group that closes (subclasses may reuse some)."""
        return _parse_players(members, coordinator_uuid, group_id)

    def topology(self) -> HouseholdTopology:
        """Return what was built, once the whole document parsed."""
        if not self.has_groups:
            raise UpnpResponseError("ZoneGroupState without ZoneGroups")
        return HouseholdTopology(
            groups=tuple(self.groups), vanished=tuple(self.vanished)
        )

    def _root_kind(self, name: str) -> int:
        match name:
            case "ZoneGroupState":
                return KIND_STATE
            case "ZoneGroups":
                self.has_groups = True
                return KIND_GROUPS
            case other:
                raise UpnpResponseError(f"unexpected ZoneGroupState root <{other}>")


def to_xml_bytes(text: str | bytes) -> bytes:
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


type PlayersParser = Callable[[list[Member], str, str | None], list[Player]]


def parse_group(
    attributes: Attributes, members: list[Member], parse_players: PlayersParser
) -> ZoneGroup | None:
    """Build one group; None for a group without any identifiable player.

    parse_players(members, coordinator_uuid, group_id) builds its players.
    """
    group_id = attributes.get("ID", "").strip() or None
    coordinator_uuid = attributes.get("Coordinator", "").strip()
    if not coordinator_uuid and group_id:
        coordinator_uuid = group_id.partition(":")[0]
    players = parse_players(members, coordinator_uuid, group_id)
    if not players:
        return None
    # Most groups are one player, their coordinator: no list to search.
    if players[0].uuid != coordinator_uuid and coordinator_uuid not in [
        player.uuid for player in players
    ]:
        # Seen mid-regroup: the first player listed stands in, and roles follow.
        coordinator_uuid = players[0].uuid
        players = parse_players(members, coordinator_uuid, group_id)
    group = _ZoneGroupDraft(
        group_id or coordinator_uuid, coordinator_uuid, tuple(players)
    )
    group.__class__ = ZoneGroup  # type: ignore[assignment]
    return group  # type: ignore[return-value]


def _parse_players(
    members: list[Member], coordinator_uuid: str, group_id: str | None
) -> list[Player]:
    """Build the players of a group that we can identify and reach."""
    players = []
    for attributes, is_satellite in members:
        player = parse_player(attributes, is_satellite, coordinator_uuid, group_id)
        if player is not None:
            players.append(player)
    return players


def parse_player(
    attributes: Attributes,
    is_satellite: bool,
    coordinator_uuid: str,
    group_id: str | None,
) -> Player | None:
    """Build one player from a ZoneGroupMember's or Satellite's attributes.

    None for a player without a UUID or a usable Location: it cannot be
    talked to. Run for every player of every document, so the common case
    (flags "0"/"1", plain numbers) is read without the general conversions.
    """
    get = attributes.get
    uuid = get("UUID", "").strip()
    if not uuid:
        return None
    location = get("Location", "")
    # The usual Location, http://IPv4:1400/...: matched unstripped, it would
    # match stripped too, to the same; _parse_location reads any other.
    plain = _match_plain_location(location)
    if plain is not None and plain[2] == _DEFAULT_PORT_TEXT:
        host: str | None = plain[1]
        port = DEFAULT_PORT
    else:
        host, port = _parse_location(location)
    if host is None:
        return None
    invisible = get("Invisible", "0")
    is_invisible = invisible == "1" or (invisible != "0" and _is_true(invisible))
    zone_bridge = get("IsZoneBridge", "0")
    is_zone_bridge = zone_bridge == "1" or (
        zone_bridge != "0" and _is_true(zone_bridge)
    )
    channel_map_set = get("ChannelMapSet") or None
    ht_sat_chan_map_set = get("HTSatChanMapSet") or None
    if is_satellite or is_zone_bridge or channel_map_set or ht_sat_chan_map_set:
        role = _role(
            uuid,
            coordinator_uuid,
            is_satellite=is_satellite,
            is_zone_bridge=is_zone_bridge,
            channel_map_set=channel_map_set,
            ht_sat_chan_map_set=ht_sat_chan_map_set,
        )
    else:  # a plain player, by far the most common
        role = _COORDINATOR if uuid == coordinator_uuid else _MEMBER_ROLE
    # int() of a decimal string cannot fail; anything else takes _parse_int.
    generation = get("SWGen")
    boot_seq = get("BootSeq")
    player = _PlayerDraft(
        uuid,
        get("ZoneName", ""),
        host,
        port,
        get("SoftwareVersion") or None,
        int(generation)
        if generation is not None and generation.isdecimal()
        else _parse_int(generation),
        int(boot_seq)
        if boot_seq is not None and boot_seq.isdecimal()
        else _parse_int(boot_seq),
        is_invisible,
        is_zone_bridge,
        role,
        group_id,
        channel_map_set,
        ht_sat_chan_map_set,
    )
    player.__class__ = Player  # type: ignore[assignment]
    return player  # type: ignore[return-value]


def _is_true(flag: str) -> bool:
    """Read a boolean attribute as Sonos writes it ("1"), or spelled out."""
    return flag.strip().lower() in _TRUE_VALUES


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
    location = location.strip()
    if (plain := _PLAIN_LOCATION.match(location)) is not None:
        plain_port = int(plain[2] or 0)
        if plain_port <= _MAX_PORT:
            return plain[1], plain_port or DEFAULT_PORT
    try:
        parts = urlsplit(location)
        port = parts.port
    except ValueError:
        return None, DEFAULT_PORT
    return parts.hostname or None, port or DEFAULT_PORT


def _parse_int(value: str | None) -> int | None:
    """Return an attribute as int, or None when absent or not a number."""
    if value is None:
        return None
    try:
        return int(value)  # int() ignores the whitespace str.strip() would strip
    except ValueError:
        return None
