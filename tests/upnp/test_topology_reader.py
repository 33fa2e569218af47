"""The incremental ZoneGroupState reader gives what the cold parse gives, always.

Every test compares `ZoneGroupStateReader.read` with `parse_zone_group_state`
on the same text: an equal topology, or the same refusal. Readers are warmed
with related documents first, so that remembered groups stand in the
skeleton where the hostile or odd part of a document is.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.sonos_upnp.upnp.exceptions import UpnpResponseError
from custom_components.sonos_upnp.upnp.topology import (
    HouseholdTopology,
    parse_zone_group_state,
)
from custom_components.sonos_upnp.upnp.topology_reader import (
    ZoneGroupStateReader,
    _SkeletonBuilder,
)
from tests.emulator.household import Household
from tests.emulator.scenarios import SCENARIOS, large
from tests.upnp.test_topology import (
    _HOSTILE,
    CAPTURES,
    _household_xml,
    _households,
    _zone_group_state_from_capture,
)

FIXTURES = Path(__file__).parent / "fixtures" / "topology"
AT = 'Location="http://10.0.0.9:1400/xml/device_description.xml"'


def member(uuid: str, extra: str = "") -> str:
    return f'<ZoneGroupMember UUID="{uuid}" {AT} ZoneName="Room {uuid}"{extra}/>'


def group(uuid: str, *others: str) -> str:
    members = "".join(member(player) for player in (uuid, *others))
    return f'<ZoneGroup Coordinator="{uuid}" ID="{uuid}:1">{members}</ZoneGroup>'


def state(*groups: str, vanished: str = "") -> str:
    return (
        f"<ZoneGroupState><ZoneGroups>{''.join(groups)}</ZoneGroups>"
        f"<VanishedDevices>{vanished}</VanishedDevices></ZoneGroupState>"
    )


# A household of three groups that the documents below are variations of.
BASE = state(group("A", "B"), group("C"), group("D"))


def outcome(parse: Callable[[str], HouseholdTopology], text: str) -> object:
    """Return the topology, or the refusal as (type, message)."""
    try:
        return parse(text)
    except UpnpResponseError as err:
        return (type(err), str(err))


def assert_reads_alike(reader: ZoneGroupStateReader, text: str) -> object:
    """Read text both ways: the same topology or the same refusal."""
    expected = outcome(parse_zone_group_state, text)
    assert outcome(reader.read, text) == expected
    return expected


def warm_reader(*texts: str) -> ZoneGroupStateReader:
    reader = ZoneGroupStateReader()
    for text in texts:
        assert_reads_alike(reader, text)
    return reader


# --- reuse ------------------------------------------------------------------------


def test_one_changed_group_is_the_only_one_parsed() -> None:
    household = large(64, seed=5)
    reader = warm_reader(household.zone_group_state())
    groups = len(reader.read(household.zone_group_state()).groups)
    assert (reader.parsed_groups, reader.reused_groups) == (0, groups)

    # One player's BootSeq changes: only its group is parsed again.
    text = household.zone_group_state()
    first = re.search(r'BootSeq="(\d+)"', text)
    assert first is not None
    changed = text.replace(first[0], f'BootSeq="{int(first[1]) + 1}"', 1)
    assert_reads_alike(reader, changed)
    assert (reader.parsed_groups, reader.reused_groups) == (1, groups - 1)

    # A player joins another group: the two groups it moves between.
    household.join(household.players[-1], household.players[-5])
    assert_reads_alike(reader, household.zone_group_state())
    assert (reader.parsed_groups, reader.reused_groups) == (2, groups - 3)
    assert reader.full_parses == 0


def test_members_that_change_group_are_not_parsed_again() -> None:
    reader = warm_reader(state(group("A"), group("B"), group("C")))
    # B joins A: the new group's members are both remembered elements.
    assert_reads_alike(reader, state(group("A", "B"), group("C")))
    assert (reader.parsed_groups, reader.reused_groups) == (1, 1)
    assert reader.reused_members == 2
    # And leaves again: two new groups of one remembered member each.
    assert_reads_alike(reader, state(group("A"), group("B"), group("C")))
    assert (reader.parsed_groups, reader.reused_members) == (2, 2)
    # A member whose own bytes changed is parsed; the others are not.
    renamed = state(group("A", "B").replace("Room B", "Study"), group("C"))
    assert_reads_alike(reader, renamed)
    assert reader.reused_members == 1
    assert reader.full_parses == 0


def test_a_member_keeps_its_player_where_it_stands_as_before() -> None:
    def read(text: str) -> HouseholdTopology:
        topology = reader.read(text)
        assert topology == parse_zone_group_state(text)
        return topology

    reader = ZoneGroupStateReader()
    alone = read(state(group("A"), group("B"), group("C")))
    # B joins A: A still coordinates group A:1, so its player is the same; B
    # is placed anew (another coordinator, another group ID).
    joined = read(state(group("A", "B"), group("C")))
    assert joined.player("A") is alone.player("A")
    assert joined.player("B") is not alone.player("B")
    # B leaves: A stays where it was; B stands where it stood two documents
    # ago, which is forgotten, so it is placed anew.
    left = read(state(group("A"), group("B"), group("C")))
    assert left.player("A") is alone.player("A")
    assert left.player("B") is not alone.player("B")
    assert left.player("B") is not joined.player("B")
    # A reused group carries its members' players along.
    again = read(state(group("A", "B"), group("C")))
    assert again.player("A") is alone.player("A")
    assert reader.full_parses == 0


@pytest.mark.parametrize(
    "extra",
    [
        ' MoreInfo="a/>b"',  # the first "/>" is in a value
        ' MoreInfo="a>b"',  # so is a ">"
        ' MoreInfo="a&gt;b/&gt;"',
    ],
)
def test_members_with_markup_in_values_read_alike(extra: str) -> None:
    odd = member("B", extra)
    alone = state(group("A"), f'<ZoneGroup Coordinator="B" ID="B:1">{odd}</ZoneGroup>')
    joined = state(
        f'<ZoneGroup Coordinator="A" ID="A:1">{member("A")}{odd}</ZoneGroup>'
    )
    reader = warm_reader(alone, joined, alone, joined)
    assert reader.full_parses == 0


def test_a_member_is_remembered_only_as_the_element_expat_read() -> None:
    # Cut at the first "/>", this member would end inside its MoreInfo; what
    # follows it (its name) changes while those first bytes do not.
    def odd(name: str) -> str:
        return f'<ZoneGroupMember UUID="B" MoreInfo="a/>" {AT} ZoneName="{name}"/>'

    def joined(name: str) -> str:
        return state(
            f'<ZoneGroup Coordinator="A" ID="A:1">{member("A")}{odd(name)}</ZoneGroup>'
        )

    def alone(name: str) -> str:
        return state(
            group("A"), f'<ZoneGroup Coordinator="B" ID="B:1">{odd(name)}</ZoneGroup>'
        )

    reader = warm_reader(alone("Den"), joined("Den"), alone("Study"), joined("Hall"))
    assert reader.full_parses == 0


def test_members_that_are_not_empty_elements_read_alike() -> None:
    # A home theater's member holds its satellites; text after a start tag
    # ends with "/>" too: neither is remembered as an empty element.
    satellites = (
        f'<ZoneGroupMember UUID="B" {AT} ZoneName="TV">'
        f'<Satellite UUID="S" {AT} ZoneName="TV" Invisible="1"/></ZoneGroupMember>'
    )
    text = f'<ZoneGroupMember UUID="B" {AT} ZoneName="TV">x/></ZoneGroupMember>'
    for odd in (satellites, text):
        alone = state(
            group("A"), f'<ZoneGroup Coordinator="B" ID="B:1">{odd}</ZoneGroup>'
        )
        joined = state(
            f'<ZoneGroup Coordinator="A" ID="A:1">{member("A")}{odd}</ZoneGroup>'
        )
        reader = warm_reader(alone, joined, alone, joined)
        assert reader.reused_members == 1  # A only
        assert reader.full_parses == 0


def test_a_read_leaves_no_garbage_for_the_collector() -> None:
    # Every topology event is read: what a read builds must go when it ends,
    # by reference counting alone, refused skeletons included.
    reader = warm_reader(BASE)
    hostile = state(group("A", "B"), group("C"), group("D", "E")).replace(
        "Room E", "Room &#0;"
    )
    gc.collect()
    gc.disable()
    try:
        for text in (state(group("A"), group("B", "C"), group("D")), hostile, BASE):
            assert_reads_alike(reader, text)
        assert not [
            found for found in gc.get_objects() if isinstance(found, _SkeletonBuilder)
        ]
    finally:
        gc.enable()


def test_remembers_only_the_last_document() -> None:
    reader = warm_reader(BASE, state(group("E")))
    assert_reads_alike(reader, BASE)
    # The groups of the first document were forgotten with the second one.
    assert (reader.parsed_groups, reader.reused_groups) == (3, 0)


def test_unusual_documents_go_to_the_full_parse() -> None:
    reader = warm_reader(BASE)
    text = BASE.replace("<ZoneGroups>", "<ZoneGroups><!-- note -->")
    assert_reads_alike(reader, text)
    assert reader.full_parses == 1
    assert (reader.parsed_groups, reader.reused_groups) == (0, 0)
    # And after it nothing is remembered: the next document is parsed whole.
    assert_reads_alike(reader, BASE)
    assert (reader.parsed_groups, reader.reused_groups) == (3, 0)


# --- sequences of documents ---------------------------------------------------------


def household_changes(household: Household) -> Iterator[str]:
    """Yield the household's ZoneGroupState as players regroup, rename, vanish."""
    players = household.visible_players
    yield household.zone_group_state()
    if len(players) > 1:
        household.join(players[0], players[-1])
        yield household.zone_group_state()
        household.join(players[-1], players[0])
        yield household.zone_group_state()
    players[0].room_name = "Renamed & moved <here>"
    yield household.zone_group_state()
    household.leave(players[0])
    yield household.zone_group_state()
    household.vanish(players[-1])
    yield household.zone_group_state()
    household.reappear(players[-1])
    yield household.zone_group_state()


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("escaped", [False, True], ids=["plain", "escaped"])
def test_emulator_scenarios_in_sequence(scenario: str, escaped: bool) -> None:
    reader = ZoneGroupStateReader()
    for text in household_changes(SCENARIOS[scenario](seed=11)):
        assert_reads_alike(reader, escape(text, {'"': "&quot;"}) if escaped else text)
    assert reader.full_parses == 0


def test_groups_join_leave_and_rename() -> None:
    documents = [
        BASE,
        state(group("A", "B", "C"), group("D")),
        state(group("A"), group("B"), group("C"), group("D")),
        state(group("A"), group("B"), group("C"), group("D"), group("E")),
        state(group("D"), group("C"), group("B"), group("A")),
        state(group("A"), group("C"), vanished='<Device UUID="B" ZoneName="b"/>'),
        state(group("A").replace("Room A", "Kitchen &amp; Bar"), group("C")),
        BASE,
        BASE,
        # A group first seen where it does not count, then where it does.
        state(group("A"), vanished=group("E")),
        state(group("A"), group("E")),
        f"<ZoneGroups>{group('A')}<Other>{group('F')}</Other></ZoneGroups>",
        f"<ZoneGroups>{group('A')}{group('F')}</ZoneGroups>",
    ]
    reader = ZoneGroupStateReader()
    for text in documents:
        assert_reads_alike(reader, text)
    assert reader.full_parses == 0


@pytest.mark.skipif(
    not CAPTURES.is_dir(),
    reason=f"the shared Sonos captures are not available at {CAPTURES}",
)
def test_real_captures_in_sequence() -> None:
    paths = sorted(
        [
            *CAPTURES.glob("nsd__zonegroupstate*.xml"),
            *CAPTURES.glob("nst__zone-group.GroupState*.xml"),
        ]
    )
    assert paths
    reader = ZoneGroupStateReader()
    for path in [*paths, *reversed(paths)]:
        text = _zone_group_state_from_capture(path.name)
        # Each twice: the second read reuses what the first one remembered.
        for _ in range(2):
            assert_reads_alike(reader, text)
            assert_reads_alike(reader, escape(text, {'"': "&quot;"}))


@pytest.mark.parametrize("name", sorted(path.name for path in FIXTURES.glob("*.xml")))
def test_fixtures_in_sequence(name: str) -> None:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    reader = warm_reader(text, BASE, text)
    assert reader.full_parses == 0
    assert_reads_alike(reader, text.encode())


# --- malformed and hostile documents --------------------------------------------------

# Each a variation of BASE, read by a reader that remembers BASE's groups: the
# remembered groups are placeholders in the skeleton around the odd part.
VARIATIONS = {
    "dtd": '<!DOCTYPE z [<!ENTITY a "b">]>' + BASE,
    "entity-bomb": _HOSTILE["billion-laughs"],
    "entity-bomb-around-groups": (
        '<!DOCTYPE z [<!ENTITY l0 "lol"><!ENTITY l1 "&l0;&l0;&l0;">]>'
        + BASE.replace("<VanishedDevices>", "<VanishedDevices>&l1;")
    ),
    "undefined-entity": BASE.replace("Room C", "Room &nope;"),
    "undefined-entity-outside-groups": BASE.replace(
        "</ZoneGroups>", "&nope;</ZoneGroups>"
    ),
    "stray-ampersand": BASE.replace("Room C", "Tom & Jerry"),
    "stray-ampersand-before-group": BASE.replace(
        '<ZoneGroup Coordinator="C"', '&<ZoneGroup Coordinator="C"'
    ),
    "unbalanced-open": BASE.replace("</ZoneGroups>", ""),
    "unbalanced-close": BASE.replace("</ZoneGroups>", "</ZoneGroup></ZoneGroups>"),
    "end-tag-missing": BASE.replace("</ZoneGroup>", "", 1),
    "end-tag-with-space": BASE.replace("</ZoneGroup>", "</ZoneGroup >", 1),
    "truncated": BASE[: len(BASE) // 2],
    "chunk-in-attribute": BASE.replace("Room C", "<ZoneGroup x='1'></ZoneGroup>"),
    "end-tag-in-attribute": BASE.replace("Room C", "a</ZoneGroup>b"),
    "self-closing-look-in-attribute": BASE.replace('ID="C:1"', 'ID="C/>" X="1"'),
    "gt-in-attribute": BASE.replace("Room C", "a>b"),
    "escaped-tags-in-attribute": BASE.replace("Room C", "&lt;/ZoneGroup&gt;"),
    "nested-group": BASE.replace("</ZoneGroup>", group("N") + "</ZoneGroup>", 1),
    "nested-remembered-group": BASE.replace(
        "</ZoneGroup>", group("C") + "</ZoneGroup>", 1
    ),
    "group-without-attributes": BASE.replace(
        '<ZoneGroup Coordinator="D" ID="D:1">', "<ZoneGroup>"
    ),
    "group-tag-on-two-lines": BASE.replace(
        '<ZoneGroup Coordinator="D"', '<ZoneGroup\nCoordinator="D"'
    ),
    # Only the bytes of a whole ZoneGroup element may be remembered as a group.
    "self-closing-then-bare-group": BASE.replace(
        group("D"),
        '<ZoneGroup ID="x"/>'
        + group("D").replace('<ZoneGroup Coordinator="D" ID="D:1">', "<ZoneGroup>"),
    ),
    "self-closing-group": BASE.replace(
        "</ZoneGroups>", '<ZoneGroup ID="x"/></ZoneGroups>'
    ),
    "remembered-group-as-root": group("C"),
    "remembered-group-in-vanished": BASE.replace(
        "<VanishedDevices>", "<VanishedDevices>" + group("C")
    ),
    "remembered-group-in-unknown-element": BASE.replace(
        group("C"), f"<Other>{group('C')}</Other>"
    ),
    "remembered-group-in-second-zonegroups": BASE.replace(
        "<VanishedDevices>", f"<ZoneGroups>{group('C')}</ZoneGroups><VanishedDevices>"
    ),
    "remembered-group-twice": BASE.replace(group("C"), group("C") * 2),
    "remembered-groups-apart": BASE.replace(group("C"), group("C") + "\n\t text <X/> "),
    "text-between-groups": BASE.replace(group("C"), f" {group('C')} words "),
    "no-zonegroups": "<ZoneGroupState><VanishedDevices/></ZoneGroupState>",
    "other-root": f"<Other>{group('A', 'B')}</Other>",
    "old-bare-root": BASE.replace("<ZoneGroupState>", "").replace(
        "<VanishedDevices></VanishedDevices></ZoneGroupState>", ""
    ),
    "escaped-once-more": escape(BASE, {'"': "&quot;"}),
    "escaped-twice": escape(escape(BASE, {'"': "&quot;"}), {'"': "&quot;"}),
    "namespace-prefixed": BASE.replace(
        "<ZoneGroupState>", '<ZoneGroupState xmlns:x="urn:x">'
    ).replace(
        group("C"),
        group("C")
        .replace("ZoneGroup ", "x:ZoneGroup ")
        .replace("</ZoneGroup>", "</x:ZoneGroup>"),
    ),
    "unbound-prefix": BASE.replace(
        group("D"), group("D").replace("ZoneGroupMember", "x:ZoneGroupMember")
    ),
    "default-namespace": BASE.replace(
        "<ZoneGroupState>", '<ZoneGroupState xmlns="urn:d">'
    ),
    "default-namespace-on-group": BASE.replace(
        '<ZoneGroup Coordinator="C"', '<ZoneGroup xmlns="urn:d" Coordinator="C"'
    ),
    "comment": BASE.replace(group("C"), f"<!-- {group('C')} -->"),
    "comment-in-group": BASE.replace("</ZoneGroup>", "<!-- x --></ZoneGroup>", 1),
    "cdata": BASE.replace(group("C"), f"<![CDATA[{group('C')}]]>"),
    "processing-instruction": BASE.replace(group("D"), f"<?pi {group('D')}?>"),
    "xml-declaration": '<?xml version="1.0" encoding="UTF-8"?>' + BASE,
    "xml-declaration-latin1": '<?xml version="1.0" encoding="ISO-8859-1"?>' + BASE,
    "bom": "\ufeff" + BASE,
    "leading-whitespace": "\n  " + BASE + "\n",
    "control-character": BASE.replace("Room C", "Room \x01"),
    "vertical-tab-between-groups": BASE.replace(group("C"), f"\x0b{group('C')}"),
    "lone-surrogate": BASE.replace("Room C", "Room \ud800"),
    "too-big": BASE.replace("Room C", "x" * (2 * 1024 * 1024)),
    "empty": "",
    "not-xml": "not xml",
}


@pytest.mark.parametrize("text", VARIATIONS.values(), ids=VARIATIONS.keys())
def test_odd_documents_read_as_the_cold_parse_reads_them(text: str) -> None:
    reader = warm_reader(BASE)
    assert_reads_alike(reader, text)
    # Read again: with what the reader remembered of it.
    assert_reads_alike(reader, text)
    # And whatever it was, the reader reads the household right afterwards.
    assert_reads_alike(reader, BASE)
    assert_reads_alike(reader, text)
    # A fresh reader, with nothing remembered, too.
    assert_reads_alike(ZoneGroupStateReader(), text)


@pytest.mark.parametrize("text", _HOSTILE.values(), ids=_HOSTILE.keys())
def test_hostile_documents_are_refused(text: str) -> None:
    reader = warm_reader(BASE)
    for variant in (text, escape(text, {'"': "&quot;"})):
        with pytest.raises(UpnpResponseError, match="refused XML"):
            reader.read(variant)


# --- generated ------------------------------------------------------------------------


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(_households(), st.booleans(), st.booleans()), min_size=2, max_size=4
    )
)
def test_generated_household_sequences(
    households: list[tuple[list[list[tuple[str, str]]], bool, bool]],
) -> None:
    reader = ZoneGroupStateReader()
    for groups, old_shape, escaped in households:
        body, _, _ = _household_xml(groups, old_shape=old_shape)
        assert_reads_alike(reader, escape(body, {'"': "&quot;"}) if escaped else body)
        assert_reads_alike(reader, body)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["household_new.xml", "household_old.escaped.xml"]),
    st.lists(
        st.tuples(
            st.integers(0, 10_000),
            st.integers(0, 40),
            st.one_of(
                st.text(max_size=8),
                st.sampled_from(
                    [
                        "<ZoneGroup ",
                        "</ZoneGroup>",
                        "<ZoneGroup/>",
                        "<!--",
                        "-->",
                        "&",
                        ">",
                    ]
                ),
            ),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_mutated_documents_read_alike(
    name: str, edits: list[tuple[int, int, str]]
) -> None:
    """Cut and splice a remembered document: reader and cold parse agree."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    reader = warm_reader(text)
    for position, length, insert in edits:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at + length :]
    assert_reads_alike(reader, text)
