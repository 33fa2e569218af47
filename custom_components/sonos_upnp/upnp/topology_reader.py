"""Re-read a household's ZoneGroupState, parsing only the groups that changed.

Every topology event repeats the whole household, and every subscribed player
sends it: usually one group or a few changed since the last document. A
`ZoneGroupStateReader` keeps the groups of the last document it read, keyed by
their exact bytes, and parses a new document as a skeleton in which each
known group is an empty `<ZoneGroup/>` placeholder, new groups inline. The
skeleton parse checks the whole document (well-formedness, no DTD or entity
declaration) and classifies each group by where it stands, exactly as
`parse_zone_group_state` would; a placeholder standing where a group counts
takes the group remembered for its bytes.

Why that gives `parse_zone_group_state`'s answer: a remembered group's bytes
parsed as one whole ZoneGroup element, and without a DTD or namespace
declarations an element means the same wherever it stands; the skeleton is
the document with such elements swapped for empty ones. New groups are only
remembered when expat saw their element begin and end exactly at the bytes
taken for them. Whatever the skeleton cannot vouch for (comments, CDATA,
DOCTYPE, processing instructions, namespace declarations, a ZoneGroup that
does not start at a cut, a refused skeleton) is read by the full parse,
whose answer, result or refusal, is authoritative.

Inside a new group, members are remembered the same way: a room that moves
to another group keeps the exact bytes of its ZoneGroupMember element, so
the new group is parsed with an empty `<ZoneGroupMember/>` placeholder for
it, which hands the builder the attributes remembered for those bytes. A
member is remembered only when expat read it as one empty element spanning
exactly the bytes cut for it (from its start tag to the first "/>", no
other ">" in between): a start tag is all of an empty element, and the
same bytes make the same tag wherever they stand. Members with children
(a home theater's satellites) are parsed every time. A remembered member
also keeps the player built for it while it stands in a group of the same
coordinator and ID: a player is what its member's bytes say, placed by
those two, so unchanged players stay the same objects from one document to
the next.
"""

from __future__ import annotations

from typing import Final
from xml.parsers.expat import XMLParserType

from .exceptions import UpnpResponseError
from .safe_xml import MAX_BODY_BYTES, repair_ampersands, run_parser, secure_parser
from .topology import (
    KIND_GROUP,
    KIND_GROUPS,
    KIND_IGNORED,
    Attributes,
    HouseholdTopology,
    Member,
    Player,
    TopologyBuilder,
    ZoneGroup,
    parse_player,
    parse_zone_group_state,
    to_xml_bytes,
)

_GROUP_START: Final = b"<ZoneGroup "
_GROUP_END: Final = b"</ZoneGroup>"
_PLACEHOLDER: Final = b"<ZoneGroup/>"
_MEMBER_START: Final = b"<ZoneGroupMember "
_MEMBER_PLACEHOLDER: Final = b"<ZoneGroupMember/>"
_EMPTY_TAG_END: Final = b"/>"
_XML_SPACE: Final = b" \t\r\n"
# What the skeleton cannot vouch for: markup declarations, comments, CDATA,
# processing instructions (an XML declaration may name another encoding), and
# namespace declarations (they would change names inside remembered groups).
_UNUSUAL: Final = (b"<!", b"<?", b"xmlns")

type _Memo = dict[bytes, ZoneGroup | None]
# The player built for a member's bytes, with the coordinator UUID and group ID
# of the group it was built in: the rest of what it is comes from those bytes.
type _BuiltPlayer = tuple[str, str | None, Player | None]


class _NotForTheSkeletonError(Exception):
    """The skeleton cannot vouch for the document: parse it whole."""


class ZoneGroupStateReader:
    """Parse a household's successive ZoneGroupState documents incrementally.

    `read` returns what `parse_zone_group_state` returns for the same text, or
    raises what it raises. One reader per household; not thread-safe.
    The counters tell how the last document was read (for tests and
    benchmarks): groups parsed anew, groups reused from the previous
    document, members of new groups reused, and the total number of
    documents handed to the full parse.
    """

    __slots__ = (
        "_group_members",
        "_keys",
        "_members",
        "_memo",
        "_players",
        "full_parses",
        "parsed_groups",
        "reused_groups",
        "reused_members",
    )

    def __init__(self) -> None:
        """Start without any remembered group."""
        # The groups of the last document read, by their exact bytes (without
        # the end tag); bounded by the document size cap.
        self._memo: _Memo = {}
        # The keys of the last document's groups, in document order.
        self._keys: list[bytes] = []
        # The members of the last document's groups that were empty elements,
        # by their exact bytes: their attributes, and each group's members.
        self._members: dict[bytes, Attributes] = {}
        self._group_members: dict[bytes, tuple[bytes, ...]] = {}
        # The players built for those members.
        self._players: dict[bytes, _BuiltPlayer] = {}
        self.parsed_groups = 0
        self.reused_groups = 0
        self.reused_members = 0
        self.full_parses = 0

    def read(self, text: str | bytes) -> HouseholdTopology:
        """Parse a ZoneGroupState value as parse_zone_group_state does."""
        raw = to_xml_bytes(text)
        if len(raw) <= MAX_BODY_BYTES:
            try:
                return self._read_skeleton(repair_ampersands(raw))
            except _NotForTheSkeletonError, UpnpResponseError:
                pass
        self._memo = {}
        self._keys = []
        self._members = {}
        self._group_members = {}
        self._players = {}
        self.parsed_groups = self.reused_groups = self.reused_members = 0
        self.full_parses += 1
        return parse_zone_group_state(text)

    def _read_skeleton(self, raw: bytes) -> HouseholdTopology:
        memo = self._memo
        pieces: list[bytes] = []
        # By the byte offset of their start tag in the skeleton: the keys of
        # the remembered groups a placeholder stands for (adjacent ones share
        # one), and the key and end tag offset of each new group.
        runs: dict[int, list[bytes]] = {}
        new: dict[int, tuple[bytes, int]] = {}
        # By the offset of their start tag too: the members of new groups
        # that a placeholder stands for, and those whose bytes are new.
        known: dict[int, tuple[bytes, Attributes]] = {}
        fresh: dict[int, bytes] = {}
        run: list[bytes] | None = None
        length = 0
        previous = self._keys
        keys: list[bytes] = []
        # Every part but the last ends where a group's end tag begins.
        parts = raw.split(_GROUP_END)
        for index, part in enumerate(parts[:-1]):
            start = part.rfind(_GROUP_START)
            if start < 0:
                raise _NotForTheSkeletonError
            key = part
            if start:
                key = part[start:]
                before = part[:start]
                pieces.append(before)
                length += start
                if before.strip(_XML_SPACE):
                    run = None
            # Usually the group at the same place as last time: compared, the
            # key of last time is used, whose hash is known (hashing every
            # group's bytes anew would cost a tenth of the read).
            if index < len(previous) and previous[index] == key:
                key = previous[index]
            keys.append(key)
            if key not in memo:
                run = None
                group_start = length
                length = self._cut_members(key, length, pieces, known, fresh)
                new[group_start] = (key, length)
                pieces.append(_GROUP_END)
                length += len(_GROUP_END)
            elif run is not None:
                run.append(key)
            else:
                run = runs[length] = [key]
                pieces.append(_PLACEHOLDER)
                length += len(_PLACEHOLDER)
        pieces.append(parts[-1])
        skeleton = b"".join(pieces)
        # Remembered groups had none of these; the rest of the document is here.
        if any(marker in skeleton for marker in _UNUSUAL):
            raise _NotForTheSkeletonError
        builder = _SkeletonBuilder(
            memo,
            runs,
            new,
            _MemberMemo(
                self._members, self._group_members, self._players, known, fresh
            ),
        )
        topology = self._parse_skeleton(builder, skeleton)
        self._keys = keys
        self.parsed_groups = len(new)
        self.reused_groups = sum(len(run_keys) for run_keys in runs.values())
        self.reused_members = len(known)
        return topology

    def _parse_skeleton(
        self, builder: _SkeletonBuilder, skeleton: bytes
    ) -> HouseholdTopology:
        """Build the topology; remember the groups and members it read."""
        parser = secure_parser(builder.start, builder.end)
        builder.parser = parser
        try:
            run_parser(parser, skeleton)
        finally:
            # The parser holds the builder's handlers; once the builder lets
            # go of the parser, reference counting frees both when the read
            # ends, instead of leaving a cycle to the garbage collector.
            builder.parser = None
        topology = builder.topology()
        self._memo = builder.next_memo
        self._members = builder.member_memo.next_members
        self._group_members = builder.member_memo.next_group_members
        self._players = builder.member_memo.next_players
        return topology

    def _cut_members(
        self,
        group: bytes,
        length: int,
        pieces: list[bytes],
        known: dict[int, tuple[bytes, Attributes]],
        fresh: dict[int, bytes],
    ) -> int:
        """Add a new group's bytes to the skeleton, known members as placeholders.

        A member is cut from its start tag to the first "/>" after it, when
        that holds no other ">": an empty element, if expat agrees (see
        _SkeletonBuilder.end). Return the skeleton's length after the group.
        """
        members = self._members
        taken = 0
        position = group.find(_MEMBER_START)
        while position >= 0:
            following = group.find(_MEMBER_START, position + 1)
            end = group.find(_EMPTY_TAG_END, position)
            if end >= 0 and (following < 0 or end < following):
                end += len(_EMPTY_TAG_END)
                member = group[position:end]
                if (attributes := members.get(member)) is not None:
                    pieces.append(group[taken:position])
                    length += position - taken
                    known[length] = (member, attributes)
                    pieces.append(_MEMBER_PLACEHOLDER)
                    length += len(_MEMBER_PLACEHOLDER)
                    taken = end
                elif member.count(b">") == 1:
                    fresh[length + position - taken] = member
            position = following
        pieces.append(group[taken:])
        return length + len(group) - taken


class _MemberMemo:
    """The members a skeleton reads: remembered, new, and those to remember."""

    __slots__ = (
        "fresh",
        "group_members",
        "known",
        "members",
        "next_group_members",
        "next_members",
        "next_players",
        "players",
    )

    def __init__(
        self,
        members: dict[bytes, Attributes],
        group_members: dict[bytes, tuple[bytes, ...]],
        players: dict[bytes, _BuiltPlayer],
        known: dict[int, tuple[bytes, Attributes]],
        fresh: dict[int, bytes],
    ) -> None:
        self.members = members
        self.group_members = group_members
        self.players = players
        self.known = known
        self.fresh = fresh
        self.next_members: dict[bytes, Attributes] = {}
        self.next_group_members: dict[bytes, tuple[bytes, ...]] = {}
        self.next_players: dict[bytes, _BuiltPlayer] = {}

    def carry(self, group: bytes) -> None:
        """Remember a reused group's members for the next document."""
        member_keys = self.group_members.get(group, ())
        self.next_group_members[group] = member_keys
        for member in member_keys:
            self.next_members[member] = self.members[member]
            if (built := self.players.get(member)) is not None:
                self.next_players[member] = built


class _SkeletonBuilder(TopologyBuilder):
    """Build the topology of a skeleton, filling in the remembered groups."""

    __slots__ = (
        "member_at",
        "member_keys",
        "member_memo",
        "memo",
        "new",
        "new_group",
        "next_memo",
        "open_member",
        "parser",
        "runs",
    )

    def __init__(
        self,
        memo: _Memo,
        runs: dict[int, list[bytes]],
        new: dict[int, tuple[bytes, int]],
        member_memo: _MemberMemo,
    ) -> None:
        super().__init__()
        self.memo = memo
        self.runs = runs
        self.new = new
        self.member_memo = member_memo
        self.next_memo: _Memo = {}
        # The new group open now: its key and the offset of its end tag.
        self.new_group: tuple[bytes, int] | None = None
        # The remembered members of the new group open now, in order, and by
        # their index in its members.
        self.member_keys: list[bytes] = []
        self.member_at: dict[int, bytes] = {}
        # A new member that started and has had no event since: where its
        # bytes end, its key, its attributes and its index in the members.
        self.open_member: tuple[int, bytes, Attributes, int] | None = None
        self.parser: XMLParserType | None = None

    def start(self, name: str, attributes: Attributes) -> None:
        """Check that a ZoneGroup starts at a cut, then build as usual.

        A member placeholder takes the attributes remembered for its bytes.
        """
        self.open_member = None  # a new member with a child is no empty element
        if name == "ZoneGroupMember":
            self._start_member(attributes)
            return
        if name != "ZoneGroup":
            super().start(name, attributes)
            return
        assert self.parser is not None
        offset = self.parser.CurrentByteIndex
        if (keys := self.runs.get(offset)) is not None:
            self._fill_in(keys)
            return
        self.new_group = self.new.get(offset)
        if self.new_group is None:  # nested, or spelled otherwise: not at a cut
            raise _NotForTheSkeletonError
        self.member_keys = []
        self.member_at = {}
        super().start(name, attributes)

    def _start_member(self, attributes: Attributes) -> None:
        assert self.parser is not None
        offset = self.parser.CurrentByteIndex
        memo = self.member_memo
        # Where it lands among the open group's members, if it is one.
        index = len(self.members)
        remembered = None
        if (known := memo.known.get(offset)) is not None:
            remembered, attributes = known
            self.member_keys.append(remembered)
            memo.next_members[remembered] = attributes
        elif (fresh := memo.fresh.get(offset)) is not None:
            self.open_member = (offset + len(fresh), fresh, attributes, index)
        super().start("ZoneGroupMember", attributes)
        if remembered is not None and len(self.members) > index:
            self.member_at[index] = remembered

    def end(self, name: str) -> None:
        """Close an element; a closing new group is checked and remembered.

        A new member is remembered when expat read it as one empty element
        spanning exactly the bytes cut for it: no event between its start
        and its end, which expat reports just past an empty element's tag.
        """
        if (open_member := self.open_member) is not None:
            self.open_member = None
            end, member, attributes, index = open_member
            assert self.parser is not None
            if self.parser.CurrentByteIndex == end:
                self.member_keys.append(member)
                self.member_memo.next_members[member] = attributes
                if len(self.members) > index:
                    self.member_at[index] = member
        new_group = self.new_group
        if name != "ZoneGroup" or new_group is None:
            super().end(name)
            return
        self.new_group = None
        key, end_tag = new_group
        assert self.parser is not None
        if self.parser.CurrentByteIndex != end_tag:
            # The element is not the bytes cut for it. Given the check that
            # every ZoneGroup starts at a cut this cannot happen; it is the
            # second of two guards that each keep such bytes out of the memo.
            raise _NotForTheSkeletonError
        counts = self.open_kinds[-1] == KIND_GROUP
        built = len(self.groups)
        super().end(name)
        if counts:
            self.next_memo[key] = self.groups[-1] if len(self.groups) > built else None
            self.member_memo.next_group_members[key] = tuple(self.member_keys)

    def parse_players(
        self, members: list[Member], coordinator_uuid: str, group_id: str | None
    ) -> list[Player]:
        """Build a new group's players; a remembered member's may be reused.

        A player is what its member's bytes say, placed by the group's
        coordinator and ID: the same three give the same player.
        """
        member_at = self.member_at
        if not member_at:
            return super().parse_players(members, coordinator_uuid, group_id)
        built_before = self.member_memo.players
        next_players = self.member_memo.next_players
        players = []
        for index, (attributes, is_satellite) in enumerate(members):
            key = member_at.get(index)
            built = built_before.get(key) if key is not None else None
            if (
                built is not None
                and built[0] == coordinator_uuid
                and built[1] == group_id
            ):
                player = built[2]
            else:
                player = parse_player(
                    attributes, is_satellite, coordinator_uuid, group_id
                )
            if key is not None:
                next_players[key] = (coordinator_uuid, group_id, player)
            if player is not None:
                players.append(player)
        return players

    def _fill_in(self, keys: list[bytes]) -> None:
        """Take the remembered groups a placeholder stands for, where they count."""
        open_kinds = self.open_kinds
        if not open_kinds:  # the root: parse_zone_group_state refuses it
            raise _NotForTheSkeletonError
        counts = open_kinds[-1] == KIND_GROUPS
        for key in keys:
            group = self.memo[key]
            self.next_memo[key] = group
            self.member_memo.carry(key)
            if counts and group is not None:
                self.groups.append(group)
        # A placeholder is empty: its end pops this.
        open_kinds.append(KIND_IGNORED)
