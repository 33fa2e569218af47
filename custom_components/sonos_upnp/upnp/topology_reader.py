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
    HouseholdTopology,
    TopologyBuilder,
    ZoneGroup,
    parse_zone_group_state,
    to_xml_bytes,
)

_GROUP_START: Final = b"<ZoneGroup "
_GROUP_END: Final = b"</ZoneGroup>"
_PLACEHOLDER: Final = b"<ZoneGroup/>"
_XML_SPACE: Final = b" \t\r\n"
# What the skeleton cannot vouch for: markup declarations, comments, CDATA,
# processing instructions (an XML declaration may name another encoding), and
# namespace declarations (they would change names inside remembered groups).
_UNUSUAL: Final = (b"<!", b"<?", b"xmlns")

type _Memo = dict[bytes, ZoneGroup | None]


class _NotForTheSkeletonError(Exception):
    """The skeleton cannot vouch for the document: parse it whole."""


class ZoneGroupStateReader:
    """Parse a household's successive ZoneGroupState documents incrementally.

    `read` returns what `parse_zone_group_state` returns for the same text, or
    raises what it raises. One reader per household; not thread-safe.
    The counters tell how the last document was read (for tests and
    benchmarks): groups parsed anew, groups reused from the previous
    document, and the total number of documents handed to the full parse.
    """

    __slots__ = ("_keys", "_memo", "full_parses", "parsed_groups", "reused_groups")

    def __init__(self) -> None:
        """Start without any remembered group."""
        # The groups of the last document read, by their exact bytes (without
        # the end tag); bounded by the document size cap.
        self._memo: _Memo = {}
        # The keys of the last document's groups, in document order.
        self._keys: list[bytes] = []
        self.parsed_groups = 0
        self.reused_groups = 0
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
        self.parsed_groups = self.reused_groups = 0
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
                new[length] = (key, length + len(key))
                pieces.append(key)
                pieces.append(_GROUP_END)
                length += len(key) + len(_GROUP_END)
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
        builder = _SkeletonBuilder(memo, runs, new)
        parser = secure_parser(builder.start, builder.end)
        builder.parser = parser
        run_parser(parser, skeleton)
        topology = builder.topology()
        self._memo = builder.next_memo
        self._keys = keys
        self.parsed_groups = len(new)
        self.reused_groups = sum(len(run_keys) for run_keys in runs.values())
        return topology


class _SkeletonBuilder(TopologyBuilder):
    """Build the topology of a skeleton, filling in the remembered groups."""

    __slots__ = ("memo", "new", "new_group", "next_memo", "parser", "runs")

    def __init__(
        self,
        memo: _Memo,
        runs: dict[int, list[bytes]],
        new: dict[int, tuple[bytes, int]],
    ) -> None:
        super().__init__()
        self.memo = memo
        self.runs = runs
        self.new = new
        self.next_memo: _Memo = {}
        # The new group open now: its key and the offset of its end tag.
        self.new_group: tuple[bytes, int] | None = None
        self.parser: XMLParserType | None = None

    def start(self, name: str, attributes: dict[str, str]) -> None:
        """Check that a ZoneGroup starts at a cut, then build as usual."""
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
        super().start(name, attributes)

    def end(self, name: str) -> None:
        """Close an element; a closing new group is checked and remembered."""
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

    def _fill_in(self, keys: list[bytes]) -> None:
        """Take the remembered groups a placeholder stands for, where they count."""
        open_kinds = self.open_kinds
        if not open_kinds:  # the root: parse_zone_group_state refuses it
            raise _NotForTheSkeletonError
        counts = open_kinds[-1] == KIND_GROUPS
        for key in keys:
            group = self.memo[key]
            self.next_memo[key] = group
            if counts and group is not None:
                self.groups.append(group)
        # A placeholder is empty: its end pops this.
        open_kinds.append(KIND_IGNORED)
