"""Tests of the ZoneGroupState parser against captures, fixtures and generated data."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape, quoteattr

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.sonos_upnp.upnp import topology
from custom_components.sonos_upnp.upnp.client import SonosUpnpClient
from custom_components.sonos_upnp.upnp.exceptions import (
    UpnpClientError,
    UpnpResponseError,
)
from custom_components.sonos_upnp.upnp.safe_xml import (
    find_child,
    local_name,
    parse_xml,
)
from custom_components.sonos_upnp.upnp.topology import (
    HouseholdTopology,
    Player,
    PlayerRole,
    VanishedDevice,
    ZoneGroup,
    parse_zone_group_state,
)
from tests.emulator.pytest_plugin import HouseholdFactory

FIXTURES = Path(__file__).parent / "fixtures" / "topology"
CAPTURES = Path(__file__).parents[2].parent / "shared" / "sonos" / "captures"
needs_captures = pytest.mark.skipif(
    not CAPTURES.is_dir(),
    reason=f"the shared Sonos captures are not available at {CAPTURES}",
)


AT = 'Location="http://10.0.0.9:1400/xml/device_description.xml"'


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _zone_group_state_from_capture(name: str) -> str:
    """Pull the ZoneGroupState value out of a SOAP response or NOTIFY body."""
    root = parse_xml((CAPTURES / name).read_bytes())
    if local_name(root.tag) == "ZoneGroupState":
        return root.text or ""
    for prop in root:
        value = find_child(prop, "ZoneGroupState")
        if value is not None:
            return value.text or ""
    pytest.fail(f"{name} holds no ZoneGroupState")


def _roles(topology: HouseholdTopology) -> dict[str, PlayerRole]:
    return {uuid: player.role for uuid, player in topology.players.items()}


# --- the project's own fixtures -------------------------------------------------


@pytest.mark.parametrize(
    "name", ["household_new.xml", "household_new.escaped.xml"], ids=["plain", "escaped"]
)
def test_new_shape_household(name: str) -> None:
    topology = parse_zone_group_state(_fixture(name))

    kitchen, theater, bridge, office, garage = topology.groups
    assert kitchen.group_id == "RINCON_KITCHEN0001400:1234"
    assert kitchen.name == "Kitchen + 2"  # the stereo pair counts as one room
    assert [p.room_name for p in kitchen.visible_members] == [
        "Kitchen",
        "Living Room & Bar",
        "Bäderzimmer",
    ]
    assert theater.name == "TV Room"
    assert bridge.name == "BRIDGE"
    assert bridge.visible_members == ()
    assert office.name == "Office"
    assert garage.name == ""  # no ZoneName: an honest empty name

    assert _roles(topology) == {
        "RINCON_KITCHEN0001400": PlayerRole.COORDINATOR,
        "RINCON_LIVINGL0001400": PlayerRole.MEMBER,
        "RINCON_LIVINGR0001400": PlayerRole.STEREO_SECONDARY,
        "RINCON_BATHROOM001400": PlayerRole.MEMBER,
        "RINCON_SOUNDBAR001400": PlayerRole.COORDINATOR,
        "RINCON_SUB000000001400": PlayerRole.SATELLITE,
        "RINCON_SURLEFT0001400": PlayerRole.SATELLITE,
        "RINCON_SURRIGHT001400": PlayerRole.SATELLITE,
        "RINCON_BRIDGE00001400": PlayerRole.BRIDGE,
        "RINCON_OFFICE00001400": PlayerRole.COORDINATOR,
        "RINCON_GARAGE00001400": PlayerRole.COORDINATOR,
    }
    assert [p.room_name for p in topology.visible_players] == [
        "Kitchen",
        "Living Room & Bar",
        "Bäderzimmer",
        "TV Room",
        "Office",
        "",
    ]
    assert [(d.uuid, d.room_name, d.reason) for d in topology.vanished] == [
        ("RINCON_PATIO000001400", "Patio", "powered off"),
        ("RINCON_BEDROOM00001400", "Bedroom", "sleeping"),
    ]


def test_player_attributes() -> None:
    topology = parse_zone_group_state(_fixture("household_new.xml"))

    assert topology.player("RINCON_SUB000000001400") == Player(
        uuid="RINCON_SUB000000001400",
        room_name="TV Room",
        host="192.168.1.31",
        port=1400,
        software_version="79.1-52294",
        software_generation=2,
        boot_seq=43,
        invisible=True,
        is_zone_bridge=False,
        role=PlayerRole.SATELLITE,
        group_id="RINCON_SOUNDBAR001400:77",
        channel_map_set=None,
        ht_sat_chan_map_set="RINCON_SOUNDBAR001400:LF,RF;RINCON_SUB000000001400:SW",
    )
    soundbar = topology.player("RINCON_SOUNDBAR001400")
    assert soundbar is not None
    assert soundbar.ht_sat_chan_map_set is not None
    assert soundbar.ht_sat_chan_map_set.endswith("RINCON_SURRIGHT001400:RR")
    left = topology.player("RINCON_LIVINGL0001400")
    assert left is not None
    assert left.channel_map_set == (
        "RINCON_LIVINGL0001400:LF,LF;RINCON_LIVINGR0001400:RF,RF"
    )
    bridge = topology.player("RINCON_BRIDGE00001400")
    assert bridge is not None
    assert (bridge.is_zone_bridge, bridge.invisible) == (True, True)
    # IPv6 host and a non-default port in the Location URL.
    office = topology.player("RINCON_OFFICE00001400")
    assert office is not None
    assert (office.host, office.port) == ("fe80::1", 1443)
    # A player missing most attributes still comes through, with honest gaps.
    garage = topology.player("RINCON_GARAGE00001400")
    assert garage == Player(
        uuid="RINCON_GARAGE00001400",
        room_name="",
        host="192.168.1.98",
        port=1400,
        software_version=None,
        software_generation=None,
        boot_seq=None,
        invisible=False,
        is_zone_bridge=False,
        role=PlayerRole.COORDINATOR,
        group_id="RINCON_GARAGE00001400:9",
        channel_map_set=None,
        ht_sat_chan_map_set=None,
    )
    # Members without a UUID or a usable Location cannot be talked to: left out.
    assert [p.uuid for p in topology.groups[3].members] == ["RINCON_OFFICE00001400"]
    assert topology.player("RINCON_BADPORT0001400") is None
    assert topology.group_of("RINCON_NOWHERE0001400") is None


def test_lookups() -> None:
    topology = parse_zone_group_state(_fixture("household_new.xml"))

    group = topology.group_of("RINCON_SURLEFT0001400")
    assert group is not None
    assert group.coordinator.uuid == "RINCON_SOUNDBAR001400"
    assert topology.group_of("RINCON_UNKNOWN") is None
    assert topology.player("RINCON_UNKNOWN") is None
    assert topology.group_of("RINCON_PATIO000001400") is None  # vanished
    assert len(topology.players) == 11
    assert len(topology.visible_players) == 6


@pytest.mark.parametrize(
    "name", ["household_old.xml", "household_old.escaped.xml"], ids=["plain", "escaped"]
)
def test_old_shape_household(name: str) -> None:
    topology = parse_zone_group_state(_fixture(name).encode())

    kitchen, den = topology.groups
    assert kitchen.name == "Kitchen + 1"
    assert den.name == "Den"
    assert topology.vanished == ()
    # Old firmware bonds a sub through ChannelMapSet.
    assert _roles(topology)["RINCON_DENSUB000001400"] is PlayerRole.SATELLITE
    assert [p.room_name for p in topology.visible_players] == [
        "Kitchen",
        "Dining Room",
        "Den",
    ]


def test_group_coordinator_fallbacks() -> None:
    text = (
        "<ZoneGroups>"
        # No Coordinator attribute: the ID names it.
        '<ZoneGroup ID="RINCON_B:4">'
        f'<ZoneGroupMember UUID="RINCON_A" {AT} ZoneName="A"/>'
        f'<ZoneGroupMember UUID="RINCON_B" {AT} ZoneName="B"/></ZoneGroup>'
        # A coordinator that is not a member: the first member stands in.
        f'<ZoneGroup Coordinator="RINCON_GONE"><ZoneGroupMember UUID="RINCON_C" {AT} '
        'ZoneName="C"/><Unexpected/></ZoneGroup>'
        "<Unexpected/>"
        # A group without identifiable players is dropped.
        '<ZoneGroup Coordinator="RINCON_X" ID="RINCON_X:1"/>'
        "<Unexpected/></ZoneGroups>"
    )
    first, second = parse_zone_group_state(text).groups
    assert (first.coordinator_uuid, first.name) == ("RINCON_B", "B + 1")
    assert (second.coordinator_uuid, second.group_id, second.name) == (
        "RINCON_C",
        "RINCON_C",
        "C",
    )


def test_coordinator_must_be_a_member() -> None:
    group = ZoneGroup(group_id="G", coordinator_uuid="RINCON_X", members=())
    with pytest.raises(UpnpResponseError):
        _ = group.coordinator


def test_stereo_pair_with_secondary_listed_first() -> None:
    text = (
        '<ZoneGroupState><ZoneGroups><ZoneGroup Coordinator="RINCON_L" ID="RINCON_L:1">'
        f'<ZoneGroupMember UUID="RINCON_R" {AT} ZoneName="Office" Invisible="1" '
        'ChannelMapSet="RINCON_L:LF,LF;RINCON_R:RF,RF"/>'
        f'<ZoneGroupMember UUID="RINCON_L" {AT} ZoneName="Office" '
        'ChannelMapSet="RINCON_L:LF,LF;RINCON_R:RF,RF"/>'
        "</ZoneGroup></ZoneGroups><VanishedDevices><Device ZoneName='no uuid'/>"
        "</VanishedDevices></ZoneGroupState>"
    )
    topology = parse_zone_group_state(text)
    assert _roles(topology) == {
        "RINCON_R": PlayerRole.STEREO_SECONDARY,
        "RINCON_L": PlayerRole.COORDINATOR,
    }
    assert topology.groups[0].name == "Office"
    assert topology.vanished == ()


def test_satellite_listed_as_member() -> None:
    # Some firmware lists home theater satellites as plain members.
    ht = "RINCON_BAR:LF,RF;RINCON_SUB:SW"
    text = (
        '<ZoneGroups><ZoneGroup Coordinator="RINCON_BAR" ID="RINCON_BAR:1">'
        f'<ZoneGroupMember UUID="RINCON_BAR" {AT} ZoneName="TV" '
        f'HTSatChanMapSet="{ht}"/>'
        f'<ZoneGroupMember UUID="RINCON_SUB" {AT} ZoneName="TV" '
        f'HTSatChanMapSet="{ht}"/>'
        "</ZoneGroup></ZoneGroups>"
    )
    topology = parse_zone_group_state(text)
    assert _roles(topology)["RINCON_SUB"] is PlayerRole.SATELLITE
    assert topology.groups[0].name == "TV"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not xml",
        "<ZoneGroupState><Other/></ZoneGroupState>",
        "<Something/>",
        "<ZoneGroups><ZoneGroup>",
        "&lt;ZoneGroups&gt;&lt;ZoneGroup&gt;",
        "&lt;ZoneGroups&gt;&#1114112;&lt;/ZoneGroups&gt;",
        "&lt;ZoneGroups&gt;&#xD800;&lt;/ZoneGroups&gt;",
        b"\xff\xfe<ZoneGroups/>",
        b"<ZoneGroups>" + b" " * (3 * 1024 * 1024) + b"</ZoneGroups>",
        '<!DOCTYPE z [<!ENTITY a "b">]><ZoneGroups>&a;</ZoneGroups>',
    ],
)
def test_malformed_is_refused(text: str | bytes) -> None:
    with pytest.raises(UpnpResponseError):
        parse_zone_group_state(text)


def test_entity_in_room_name_is_not_taken_for_escaping() -> None:
    text = f'<ZoneGroups><ZoneGroup Coordinator="R"><ZoneGroupMember UUID="R" {AT} '
    text += 'ZoneName="&lt;ZoneGroup&gt; &amp; &#233;"/></ZoneGroup></ZoneGroups>'
    assert parse_zone_group_state(text).groups[0].name == "<ZoneGroup> & é"


def test_escaped_character_references() -> None:
    inner = f'<ZoneGroups><ZoneGroup Coordinator="R"><ZoneGroupMember UUID="R" {AT} '
    inner += 'ZoneName="Caf&#233; &amp; Bar"/></ZoneGroup></ZoneGroups>'
    escaped = escape(inner, {'"': "&#34;", "'": "&apos;"})
    escaped = escaped.replace("&lt;ZoneGroupMember", "&#x3C;ZoneGroupMember")
    assert parse_zone_group_state(escaped).groups[0].name == "Café & Bar"


# --- real captures ----------------------------------------------------------------


@needs_captures
def test_capture_old_shape_with_bridge() -> None:
    """nsd__zonegroupstate.xml: old firmware, anonymised (all UUIDs equal)."""
    topology = parse_zone_group_state(
        _zone_group_state_from_capture("nsd__zonegroupstate.xml")
    )
    boost, living = topology.groups
    # The capture's Coordinator attribute carries a line break; it is stripped.
    assert boost.coordinator_uuid == "RINCON_00000000000001400"
    assert boost.coordinator.role is PlayerRole.BRIDGE
    assert boost.name == "BOOST"
    assert living.group_id == "RINCON_00000000000001400:66"
    assert [(p.room_name, p.host, p.boot_seq) for p in living.members][:2] == [
        ("TV Room", "192.168.1.155", 21),
        ("Kitchen", "192.168.1.151", 114),
    ]
    assert len(living.members) == 6
    assert [p.room_name for p in living.visible_members] == [
        "Kitchen",
        "Bedroom",
        "TV Room",
        "Bathroom",
        "Office",
    ]
    assert living.name == "TV Room + 4"


@needs_captures
def test_capture_with_satellites_is_malformed_but_repairable() -> None:
    """The capture lacks the last </ZoneGroup>; refused as is, parsed once repaired."""
    text = _zone_group_state_from_capture("nsd__zonegroupstate_with_satellites.xml")
    with pytest.raises(UpnpResponseError):
        parse_zone_group_state(text)

    repaired = text.replace("</ZoneGroupMember>", "</ZoneGroupMember></ZoneGroup>")
    topology = parse_zone_group_state(repaired)
    theater = topology.groups[2]
    assert theater.name == "Home Theatre"
    assert [(p.uuid, p.role, p.host) for p in theater.members] == [
        ("RINCON_000PPP1400", PlayerRole.COORDINATOR, "192.168.1.103"),
        ("RINCON_000QQQ1400", PlayerRole.SATELLITE, "192.168.1.104"),
        ("RINCON_000RRR1400", PlayerRole.SATELLITE, "192.168.1.105"),
        ("RINCON_000SSS1400", PlayerRole.SATELLITE, "192.168.1.106"),
    ]
    assert theater.coordinator.software_generation is None


@needs_captures
def test_capture_home_theater() -> None:
    topology = parse_zone_group_state(
        _zone_group_state_from_capture(
            "nst__zone-group.GroupState.ChannelMapSet.home-theater.xml"
        )
    )
    downstairs, upstairs = topology.groups
    assert downstairs.name == "Downstairs"
    assert upstairs.name == "Upstairs"
    assert [p.role for p in downstairs.members] == [
        PlayerRole.COORDINATOR,
        PlayerRole.SATELLITE,
        PlayerRole.SATELLITE,
        PlayerRole.SATELLITE,
    ]
    assert [p.room_name for p in topology.visible_players] == ["Downstairs", "Upstairs"]
    sub = topology.player("RINCON_FFFFFFFFFFFFFF0FF")
    assert sub is not None
    assert (sub.room_name, sub.host, sub.software_generation) == (
        "Sub",
        "192.168.4.4",
        2,
    )
    assert topology.vanished == ()


@needs_captures
def test_capture_stereo_pair() -> None:
    topology = parse_zone_group_state(
        _zone_group_state_from_capture(
            "nst__zone-group.GroupState.ChannelMapSet.stereo.xml"
        )
    )
    (office,) = topology.groups
    assert _roles(topology) == {
        "RINCON_FFFFFFFFF0000FFF0": PlayerRole.STEREO_SECONDARY,
        "RINCON_FFFFFFFFFFFFFFFF0": PlayerRole.COORDINATOR,
    }
    assert office.name == "Office"
    assert [p.uuid for p in topology.visible_players] == ["RINCON_FFFFFFFFFFFFFFFF0"]


@needs_captures
def test_capture_normal_group() -> None:
    topology = parse_zone_group_state(
        _zone_group_state_from_capture(
            "nst__zone-group.GroupState.ChannelMapSet.normal.xml"
        )
    )
    (group,) = topology.groups
    assert group.name == "Kitchen + 1"
    assert group.group_id == "RINCON_FFFFFFFFFFFFFFFF0:123456789"
    assert [p.role for p in group.members] == [
        PlayerRole.COORDINATOR,
        PlayerRole.MEMBER,
    ]


@needs_captures
def test_capture_group_state() -> None:
    topology = parse_zone_group_state(
        _zone_group_state_from_capture("nst__zone-group.GroupState.xml")
    )
    (group,) = topology.groups
    assert group.name == "Keuken + 2"
    assert [(p.room_name, p.host, p.software_generation) for p in group.members] == [
        ("Keuken", "192.168.1.20", 1),
        ("TV", "192.168.1.21", 1),
        ("Eetkamer", "192.168.1.22", 1),
    ]


@needs_captures
@pytest.mark.parametrize(
    "path",
    sorted(
        [
            *CAPTURES.glob("nsd__zonegroupstate*.xml"),
            *CAPTURES.glob("nst__zone-group.GroupState*.xml"),
        ]
    ),
    ids=lambda path: path.name,
)
def test_every_capture_parses_or_is_refused_cleanly(path: Path) -> None:
    """Every capture either yields groups with a coordinator each or is refused."""
    text = _zone_group_state_from_capture(path.name)
    try:
        topology = parse_zone_group_state(text)
    except UpnpResponseError:
        assert path.name == "nsd__zonegroupstate_with_satellites.xml"
        return
    assert topology.groups
    for group in topology.groups:
        assert group.coordinator.uuid == group.coordinator_uuid
    # And the same capture escaped once more gives the same result.
    assert parse_zone_group_state(escape(text, {'"': "&quot;"})) == topology


def test_captures_list_is_not_empty() -> None:
    if not CAPTURES.is_dir():
        pytest.skip(f"the shared Sonos captures are not available at {CAPTURES}")
    names = {p.name for p in CAPTURES.glob("*.xml")}
    assert "nst__zone-group.GroupState.xml" in names


# --- property-based -----------------------------------------------------------------


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), st.binary()))
def test_arbitrary_input_only_raises_client_errors(data: str | bytes) -> None:
    try:
        topology = parse_zone_group_state(data)
    except UpnpClientError:
        return
    assert isinstance(topology, HouseholdTopology)


@settings(max_examples=300)
@given(
    st.sampled_from(["household_new.xml", "household_old.escaped.xml"]),
    st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 40), st.text(max_size=8)),
        min_size=1,
        max_size=6,
    ),
)
def test_mutated_documents_only_raise_client_errors(
    name: str, edits: list[tuple[int, int, str]]
) -> None:
    """Cut and splice a valid document: the parser fails cleanly or succeeds."""
    text = _fixture(name)
    for position, length, insert in edits:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at + length :]
    try:
        topology = parse_zone_group_state(text)
    except UpnpClientError:
        return
    for group in topology.groups:
        assert group.coordinator.uuid == group.coordinator_uuid
        assert isinstance(group.name, str)


_XML_CHARS = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\x00"
)


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["&lt;", "&gt;", "&amp;", "&quot;", "<", ">", '"']),
            _XML_CHARS,
        ),
        max_size=30,
    )
)
def test_entity_soup_only_raises_client_errors(parts: list[tuple[str, str]]) -> None:
    text = "&lt;ZoneGroups&gt;" + "".join(a + b for a, b in parts)
    try:
        topology = parse_zone_group_state(text)
    except UpnpClientError:
        return
    assert isinstance(topology, HouseholdTopology)


_ROOM_KINDS = ("single", "stereo", "theater", "invisible", "bridge")


@st.composite
def _households(draw: st.DrawFn) -> list[list[tuple[str, str]]]:
    """Groups of rooms: each a (kind, room name); a group's first room leads."""
    names = st.text(_XML_CHARS, min_size=1, max_size=12).filter(
        lambda s: s.strip() == s
    )
    return draw(
        st.lists(
            st.lists(
                st.tuples(st.sampled_from(_ROOM_KINDS), names), min_size=1, max_size=5
            ),
            min_size=1,
            max_size=5,
        )
    )


def _household_xml(
    groups: list[list[tuple[str, str]]], *, old_shape: bool
) -> tuple[str, dict[str, PlayerRole], list[str]]:
    """Build a ZoneGroupState; return it, the expected roles and group names."""
    roles: dict[str, PlayerRole] = {}
    names: list[str] = []
    parts: list[str] = ["<ZoneGroups>"]
    counter = 0
    for rooms in groups:
        uuids = [f"RINCON_{counter + index:012d}01400" for index in range(len(rooms))]
        counter += len(rooms) * 4
        coordinator = uuids[0]
        parts.append(f'<ZoneGroup Coordinator="{coordinator}" ID="{coordinator}:1">')
        visible_others = 0
        for index, ((kind, room), uuid) in enumerate(zip(rooms, uuids, strict=True)):
            lead_role = PlayerRole.COORDINATOR if index == 0 else PlayerRole.MEMBER
            name = quoteattr(room)
            host = f"10.0.{index}.{counter % 250}"
            common = f'Location="http://{host}:1400/x.xml" ZoneName={name}'
            if kind == "bridge":
                parts.append(
                    f'<ZoneGroupMember UUID="{uuid}" {common} Invisible="1" '
                    'IsZoneBridge="1"/>'
                )
                roles[uuid] = PlayerRole.BRIDGE
                continue
            if kind == "invisible":
                parts.append(f'<ZoneGroupMember UUID="{uuid}" {common} Invisible="1"/>')
                roles[uuid] = lead_role
                continue
            if index:
                visible_others += 1
            roles[uuid] = lead_role
            if kind == "single":
                parts.append(f'<ZoneGroupMember UUID="{uuid}" {common}/>')
            elif kind == "stereo":
                right = uuid + "R"
                cms = f"{uuid}:LF,LF;{right}:RF,RF"
                parts.append(
                    f'<ZoneGroupMember UUID="{uuid}" {common} ChannelMapSet="{cms}"/>'
                    f'<ZoneGroupMember UUID="{right}" {common} Invisible="1" '
                    f'ChannelMapSet="{cms}"/>'
                )
                roles[right] = PlayerRole.STEREO_SECONDARY
            else:
                sats = [uuid + "S", uuid + "L", uuid + "R"]
                ht = f"{uuid}:LF,RF;{sats[0]}:SW;{sats[1]}:LR;{sats[2]}:RR"
                parts.append(
                    f'<ZoneGroupMember UUID="{uuid}" {common} HTSatChanMapSet="{ht}">'
                )
                for sat, channel in zip(sats, ("SW", "LR", "RR"), strict=True):
                    parts.append(
                        f'<Satellite UUID="{sat}" {common} Invisible="1" '
                        f'HTSatChanMapSet="{uuid}:LF,RF;{sat}:{channel}"/>'
                    )
                    roles[sat] = PlayerRole.SATELLITE
                parts.append("</ZoneGroupMember>")
        parts.append("</ZoneGroup>")
        lead = rooms[0][1]
        names.append(f"{lead} + {visible_others}" if visible_others else lead)
    parts.append("</ZoneGroups>")
    body = "".join(parts)
    if not old_shape:
        body = f"<ZoneGroupState>{body}<VanishedDevices/></ZoneGroupState>"
    return body, roles, names


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(_households(), st.booleans(), st.booleans())
def test_generated_households(
    groups: list[list[tuple[str, str]]], old_shape: bool, escaped: bool
) -> None:
    body, roles, names = _household_xml(groups, old_shape=old_shape)
    if escaped:
        body = escape(body, {'"': "&quot;"})
    topology = parse_zone_group_state(body)
    assert [group.name for group in topology.groups] == names
    assert _roles(topology) == roles
    for group in topology.groups:
        assert all(p.group_id == group.group_id for p in group.members)
        assert all(p.is_visible_room for p in group.visible_members)


# --- over real HTTP against emulated households ---------------------------------------


async def _fetch(session: aiohttp.ClientSession, host: str, port: int) -> str:
    client = SonosUpnpClient(session, timeout=5)
    outputs = await client.call(host, port, "ZoneGroupTopology", "GetZoneGroupState")
    text = outputs["ZoneGroupState"]
    assert isinstance(text, str)
    return text


async def test_emulated_home_theater(
    emulator_household_factory: HouseholdFactory, http_session: aiohttp.ClientSession
) -> None:
    household = await emulator_household_factory("home_theater")
    soundbar, sub, left, right, kitchen = household.players
    text = await _fetch(http_session, kitchen.host, kitchen.port)
    topology = parse_zone_group_state(text)

    assert sorted(group.name for group in topology.groups) == ["Kitchen", "Living Room"]
    assert _roles(topology) == {
        soundbar.uuid: PlayerRole.COORDINATOR,
        sub.uuid: PlayerRole.SATELLITE,
        left.uuid: PlayerRole.SATELLITE,
        right.uuid: PlayerRole.SATELLITE,
        kitchen.uuid: PlayerRole.COORDINATOR,
    }
    theater = topology.group_of(sub.uuid)
    assert theater is not None
    assert theater.coordinator_uuid == soundbar.uuid
    assert {(p.host, p.port) for p in topology.players.values()} == {
        (p.host, p.port) for p in household.players
    }
    # The same state, escaped once more as inside a NOTIFY body.
    assert parse_zone_group_state(escape(text, {'"': "&quot;"})) == topology


async def test_emulated_stereo_pair(
    emulator_household_factory: HouseholdFactory, http_session: aiohttp.ClientSession
) -> None:
    household = await emulator_household_factory("stereo_pair")
    left, right, kitchen = household.players
    topology = parse_zone_group_state(await _fetch(http_session, left.host, left.port))
    assert _roles(topology)[right.uuid] is PlayerRole.STEREO_SECONDARY
    assert _roles(topology)[left.uuid] is PlayerRole.COORDINATOR
    assert [p.uuid for p in topology.visible_players] == [left.uuid, kitchen.uuid]

    # Grouping the kitchen with the pair: the pair counts as one room.
    household.group(kitchen, left)
    topology = parse_zone_group_state(await _fetch(http_session, left.host, left.port))
    (group,) = topology.groups
    assert group.coordinator_uuid == kitchen.uuid
    assert group.name == "Kitchen + 1"


async def test_emulated_large_household(
    emulator_household_factory: HouseholdFactory, http_session: aiohttp.ClientSession
) -> None:
    household = await emulator_household_factory("large64")
    first = household.players[0]
    topology = parse_zone_group_state(
        await _fetch(http_session, first.host, first.port)
    )
    assert len(topology.players) == 64
    assert len(topology.visible_players) == 64
    expected = {
        coordinator.room_name: len(household.group_members(coordinator))
        for coordinator in household.players
        if coordinator.group_coordinator is coordinator
    }
    assert {
        group.coordinator.room_name: len(group.members) for group in topology.groups
    } == expected
    assert sorted(g.name for g in topology.groups if "+" in g.name) == sorted(
        f"{room} + {count - 1}" for room, count in expected.items() if count > 1
    )


# --- the streaming parser reads what a whole tree shows -------------------------------


def _tree_reference(text: str) -> HouseholdTopology:
    """Parse the way the tree-based parser did, as the definition to compare to.

    Builds the whole tree with parse_xml and walks it: the first ZoneGroups
    and VanishedDevices of a ZoneGroupState root, direct children only,
    Satellites right after their ZoneGroupMember, Locations through urlsplit.
    """
    root = parse_xml(text)
    match local_name(root.tag):
        case "ZoneGroupState":
            groups_element = find_child(root, "ZoneGroups")
            if groups_element is None:
                raise UpnpResponseError("no ZoneGroups")
            vanished_element = find_child(root, "VanishedDevices")
        case "ZoneGroups":
            groups_element, vanished_element = root, None
        case _:
            raise UpnpResponseError("unexpected root")
    groups: list[ZoneGroup] = []
    for element in groups_element:
        if local_name(element.tag) != "ZoneGroup":
            continue
        members: list[tuple[Element, bool]] = []
        for member in element:
            if local_name(member.tag) == "ZoneGroupMember":
                members.append((member, False))
                members.extend(
                    (satellite, True)
                    for satellite in member
                    if local_name(satellite.tag) == "Satellite"
                )
        located = []
        for member, is_satellite in members:
            uuid = member.get("UUID", "").strip()
            try:
                parts = urlsplit(member.get("Location", "").strip())
                host, port = parts.hostname, parts.port or 1400
            except ValueError:
                continue
            if uuid and host:
                located.append((member, is_satellite, uuid, host, port))
        if not located:
            continue
        group_id = element.get("ID", "").strip() or None
        coordinator = element.get("Coordinator", "").strip()
        if not coordinator and group_id:
            coordinator = group_id.partition(":")[0]
        if coordinator not in [uuid for _, _, uuid, _, _ in located]:
            coordinator = located[0][2]
        players = tuple(
            _tree_player(member, is_satellite, uuid, host, port, coordinator, group_id)
            for member, is_satellite, uuid, host, port in located
        )
        groups.append(ZoneGroup(group_id or coordinator, coordinator, players))
    vanished = tuple(
        VanishedDevice(uuid, device.get("ZoneName", ""), device.get("Reason", ""))
        for device in ([] if vanished_element is None else vanished_element)
        if local_name(device.tag) == "Device"
        for uuid in [device.get("UUID", "").strip()]
        if uuid
    )
    return HouseholdTopology(tuple(groups), vanished)


def _tree_player(
    member: Element,
    is_satellite: bool,
    uuid: str,
    host: str,
    port: int,
    coordinator: str,
    group_id: str | None,
) -> Player:
    def flag(name: str) -> bool:
        return member.get(name, "0").strip().lower() in {"1", "true", "yes"}

    def number(name: str) -> int | None:
        value = member.get(name)
        try:
            return None if value is None else int(value.strip())
        except ValueError:
            return None

    channel_map_set = member.get("ChannelMapSet") or None
    ht_sat_chan_map_set = member.get("HTSatChanMapSet") or None
    return Player(
        uuid=uuid,
        room_name=member.get("ZoneName", ""),
        host=host,
        port=port,
        software_version=member.get("SoftwareVersion") or None,
        software_generation=number("SWGen"),
        boot_seq=number("BootSeq"),
        invisible=flag("Invisible"),
        is_zone_bridge=flag("IsZoneBridge"),
        role=topology._role(
            uuid,
            coordinator,
            is_satellite=is_satellite,
            is_zone_bridge=flag("IsZoneBridge"),
            channel_map_set=channel_map_set,
            ht_sat_chan_map_set=ht_sat_chan_map_set,
        ),
        group_id=group_id,
        channel_map_set=channel_map_set,
        ht_sat_chan_map_set=ht_sat_chan_map_set,
    )


_LOCATION_CASES = [
    "http://10.0.0.9:1400/xml/device_description.xml",
    " http://10.0.0.9:1400/x ",
    "http://10.0.0.9/x",
    "http://10.0.0.9",
    "http://10.0.0.9:1443?x#y",
    "http://10.0.0.9:0/",
    "http://10.0.0.9:00000/",
    "http://10.0.0.9:01400/",
    "http://10.0.0.9:65535/",
    "http://10.0.0.9:65536/",
    "http://10.0.0.9:99999/",
    "http://10.0.0.9:123456/",
    "http://10.0.0.9:/x",
    "http://10.0.0.9:14a0/",
    "http://10.0.0.9:\u0661\u0664\u0660\u0660/",  # Arabic-Indic digits
    "http://\u0661\u0660.0.0.9:1400/",
    "http://999.999.999.999:1400/",
    "http://10.0.0.9.1:1400/",
    "http://10.0.0:1400/",
    "http://10.0.0.9\t:1400/",
    "http://10.0.0.9:14\n00/",
    "http://10.0.0.9:1400\n",
    "HTTP://10.0.0.9:1400/",
    "https://10.0.0.9:1443/",
    "http://user@10.0.0.9:1400/",
    "http://[fe80::1]:1443/",
    "http://[fe80::1/",
    "http://Speaker.LOCAL:1400/",
    "http://:1400/",
    "",
]
# Characters XML can carry: no controls, surrogates or noncharacters.
_VALUE_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn"))
# Mostly a usable Location, often an odd one, sometimes anything.
_LOCATIONS = st.one_of(
    st.sampled_from(["http://10.0.0.7:1400/x.xml", "http://10.0.0.8/x.xml"]),
    st.sampled_from(["http://10.0.0.5:1443/x.xml", " http://10.0.0.6/ "]),
    st.sampled_from(_LOCATION_CASES),
    st.text(_VALUE_CHARS, max_size=30),
)
_ATTRIBUTE_VALUES = {
    "UUID": st.sampled_from(["RINCON_A", "RINCON_B", " RINCON_C\t", "RINCON_D", ""]),
    "Location": _LOCATIONS,
    "ZoneName": st.text(_VALUE_CHARS, max_size=6),
    "Coordinator": st.sampled_from(["RINCON_A", "RINCON_B", "RINCON_GONE", " "]),
    "ID": st.sampled_from(["RINCON_B:4", "RINCON_GONE:1", ":1", "", " RINCON_A:2 "]),
    "Invisible": st.sampled_from(["0", "1", " TRUE ", "yes", "no", ""]),
    "IsZoneBridge": st.sampled_from(["0", "1", "True", " "]),
    "ChannelMapSet": st.sampled_from(
        ["RINCON_A:LF,LF;RINCON_B:RF,RF", "RINCON_A:LF,RF;RINCON_B:SW,SW", "x", ""]
    ),
    "HTSatChanMapSet": st.sampled_from(
        ["RINCON_A:LF,RF;RINCON_B:SW;RINCON_C:LR", "RINCON_B:lr", ";", ""]
    ),
    "SoftwareVersion": st.sampled_from(["79.1-52294", "", " "]),
    "SWGen": st.sampled_from(
        ["2", " 1 ", "1_0", "-3", "+4", "\u0663", "\u20052", "x", ""]
    ),
    "BootSeq": st.sampled_from(["43", "4.3", "0x1", " 7\u00a0", ""]),
    "Reason": st.sampled_from(["powered off", ""]),
    "x:UUID": st.sampled_from(["RINCON_X"]),
}
# Character references keep tabs and line breaks in attribute values.
_CONTROL_REFERENCES = {"\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
# Mostly the children each element should have, sometimes ones it should not.
_CHILD_NAMES = {
    "ZoneGroupState": ["ZoneGroups", "ZoneGroups", "VanishedDevices", "ZoneGroup"],
    "ZoneGroups": ["ZoneGroup", "ZoneGroup", "x:ZoneGroup", "ZoneGroupMember"],
    "ZoneGroup": [
        "ZoneGroupMember",
        "ZoneGroupMember",
        "x:ZoneGroupMember",
        "Satellite",
    ],
    "ZoneGroupMember": ["Satellite", "Satellite", "ZoneGroupMember", "Device"],
    "Satellite": ["Satellite", "ZoneGroupMember"],
    "VanishedDevices": ["Device", "Device", "ZoneGroupMember"],
    "Device": ["Device"],
    "Other": ["ZoneGroups", "ZoneGroup", "ZoneGroupMember", "Satellite"],
}
_USUALLY = st.sampled_from([True, True, True, True, False])
_ROOT_NAMES = [
    "ZoneGroupState",
    "ZoneGroupState",
    "ZoneGroups",
    "x:ZoneGroups",
    "Other",
]


@st.composite
def _element(draw: st.DrawFn, name: str = "", depth: int = 0) -> str:
    """An element named name (a root when empty) with attributes and children."""
    if not name:
        name = draw(st.sampled_from(_ROOT_NAMES))
    keys = [
        key
        for key in sorted(_ATTRIBUTE_VALUES)
        # Most members have a UUID and a Location.
        if draw(_USUALLY if key in {"UUID", "Location"} else st.booleans())
    ]
    attributes = "".join(
        f" {key}={quoteattr(draw(_ATTRIBUTE_VALUES[key]), _CONTROL_REFERENCES)}"
        for key in keys
    )
    if depth == 0:
        attributes += draw(st.sampled_from(["", ' xmlns="urn:d"'])) + ' xmlns:x="urn:x"'
    child_names = [*_CHILD_NAMES[name.removeprefix("x:")], "Other"]
    children = [
        draw(_element(child, depth + 1))
        for child in draw(
            st.lists(st.sampled_from(child_names), min_size=depth < 3, max_size=3)
        )
        if depth < 4
    ]
    return f"<{name}{attributes}>{''.join(children)}</{name}>"


_LAUGHS = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
_HOSTILE = {
    "billion-laughs": (
        f'<!DOCTYPE z [<!ENTITY l0 "lol">{_LAUGHS}]><ZoneGroups>&l9;</ZoneGroups>'
    ),
    "laughs-in-attribute": (
        f'<!DOCTYPE z [<!ENTITY l0 "lol">{_LAUGHS}]><ZoneGroups><ZoneGroup>'
        f'<ZoneGroupMember UUID="&l9;" {AT}/></ZoneGroup></ZoneGroups>'
    ),
    "external-entity": (
        '<!DOCTYPE z [<!ENTITY x SYSTEM "file:///etc/passwd">]><ZoneGroups><ZoneGroup>'
        f'<ZoneGroupMember UUID="R" ZoneName="&x;" {AT}/></ZoneGroup></ZoneGroups>'
    ),
    "external-dtd": '<!DOCTYPE z SYSTEM "http://127.0.0.1:1/z.dtd"><ZoneGroups/>',
    "parameter-entity": (
        '<!DOCTYPE z [<!ENTITY % p SYSTEM "http://127.0.0.1:1/p">%p;]><ZoneGroups/>'
    ),
    "plain-dtd": "<!DOCTYPE ZoneGroups><ZoneGroups/>",
}


@pytest.mark.parametrize("escaped", [False, True], ids=["plain", "escaped"])
@pytest.mark.parametrize("text", _HOSTILE.values(), ids=_HOSTILE.keys())
def test_hostile_documents_are_refused(text: str, escaped: bool) -> None:
    if escaped:  # as inside a NOTIFY body: unescaped once, then refused
        text = escape(text, {'"': "&quot;"})
    with pytest.raises(UpnpResponseError, match="refused XML"):
        parse_zone_group_state(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_element())
def test_streaming_reads_what_the_tree_shows(text: str) -> None:
    """Same topology as a walk over the whole tree, or refused by both."""
    try:
        expected = _tree_reference(text)
    except UpnpResponseError:
        with pytest.raises(UpnpResponseError):
            parse_zone_group_state(text)
        return
    assert parse_zone_group_state(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.one_of(_LOCATIONS, st.sampled_from(["\x01http://10.0.0.9:1400/"]), st.text()))
def test_location_read_as_urlsplit_reads_it(location: str) -> None:
    try:
        parts = urlsplit(location.strip())
        expected = (parts.hostname or None, parts.port or 1400)
    except ValueError:
        expected = (None, 1400)
    assert topology._parse_location(location) == expected
