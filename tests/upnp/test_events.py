"""NOTIFY bodies and LastChange payloads parse into plain strings, safely."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.sonos_upnp.upnp.events import (
    UpnpEvent,
    build_event,
    parse_last_change,
    parse_last_change_instances,
    parse_property_set,
)
from custom_components.sonos_upnp.upnp.exceptions import (
    UpnpClientError,
    UpnpResponseError,
)
from custom_components.sonos_upnp.upnp.safe_xml import local_name, parse_xml

FIXTURES = Path(__file__).parent / "fixtures" / "events"
CAPTURES = Path(__file__).parents[3] / "shared" / "sonos" / "captures"
NOTIFY_CAPTURES = sorted(
    [*CAPTURES.glob("nst__*.event*.xml"), *CAPTURES.glob("nsd__*change.xml")]
)
needs_captures = pytest.mark.skipif(
    not NOTIFY_CAPTURES,
    reason=f"captured NOTIFY bodies not available ({CAPTURES} is absent)",
)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def capture(name: str) -> bytes:
    path = CAPTURES / name
    if not path.exists():
        pytest.skip(f"capture {name} not available ({CAPTURES} is absent)")
    return path.read_bytes()


# --- captures from real speakers -------------------------------------------


@needs_captures
@pytest.mark.parametrize("path", NOTIFY_CAPTURES, ids=lambda path: path.name)
def test_every_captured_notify_parses(path: Path) -> None:
    variables = parse_property_set(path.read_bytes())
    assert variables
    assert all(isinstance(value, str) for value in variables.values())
    if "LastChange" in variables:
        last_change = parse_last_change(variables["LastChange"])
        assert last_change
        event = build_event(
            sid="uuid:x", seq=0, service="S", host="127.0.0.1", variables=variables
        )
        assert event.last_change == last_change


def test_captured_alarm_clock_event() -> None:
    variables = parse_property_set(capture("nst__alarmclock.event.xml"))
    assert variables["AlarmListVersion"] == "RINCON_xxx01400:2654"
    assert variables["TimeFormat"] == "24H"
    assert variables["DailyIndexRefreshTime"] == "06:00:00"
    assert len(variables) == 7


def test_captured_device_properties_event_keeps_empty_values() -> None:
    variables = parse_property_set(capture("nst__deviceproperties.event.xml"))
    assert variables["ZoneName"] == "Kantoor"
    assert variables["MoreInfo"] == ""
    assert variables["ChannelMapSet"] == ""


def test_captured_avtransport_last_change() -> None:
    variables = parse_property_set(capture("nst__avtransport.event.LastChange.xml"))
    values = parse_last_change(variables["LastChange"])
    assert values["TransportState"] == "STOPPED"
    assert values["CurrentPlayMode"] == "SHUFFLE"
    assert values["NumberOfTracks"] == "51"
    # One level of escaping is undone; the metadata stays an XML string.
    assert values["CurrentTrackURI"].endswith("?sid=9&flags=8224&sn=7")
    assert values["CurrentTrackMetaData"].startswith("<DIDL-Lite ")
    assert "&amp;flags=8224" in values["CurrentTrackMetaData"]
    # Sonos' own r: namespace keeps the local name.
    assert "EnqueuedTransportURI" in values


def test_captured_rendering_control_channels() -> None:
    variables = parse_property_set(capture("nsd__renderingcontrollastchange.xml"))
    assert parse_last_change(variables["LastChange"]) == {
        "Volume": "12",
        "Volume_LF": "100",
        "Volume_RF": "100",
    }


def test_captured_rendering_control_full_event() -> None:
    variables = parse_property_set(capture("nst__renderingcontrol.event.xml"))
    values = parse_last_change(variables["LastChange"])
    assert values["Volume"] == "15"
    assert values["Mute"] == "0"
    assert values["Mute_LF"] == "0"
    assert values["Loudness"] == "1"
    assert values["SubEnabled"] == "1"
    assert values["PresetNameList"] == "FactoryDefaults"


def test_captured_queue_last_change_uses_queue_ids() -> None:
    variables = parse_property_set(capture("nst__queue.event.xml"))
    instances = parse_last_change_instances(variables["LastChange"])
    assert instances == {
        "0": {"UpdateID": "2", "Curated": "0", "QueueOwnerID": ""},
        "1": {"UpdateID": "0", "Curated": "0", "QueueOwnerID": ""},
    }
    assert parse_last_change(variables["LastChange"])["UpdateID"] == "2"


def test_captured_content_directory_events() -> None:
    assert parse_property_set(capture("nsd__favoritechange.xml")) == {
        "SystemUpdateID": "3",
        "ContainerUpdateIDs": "FV:2,1",
        "FavoritesUpdateID": "RINCON_000000000000001400,100",
    }
    assert parse_property_set(capture("nsd__queuechange.xml")) == {
        "SystemUpdateID": "53",
        "ContainerUpdateIDs": "Q:0,52",
    }


def test_captured_zone_group_state_event_stays_a_string() -> None:
    variables = parse_property_set(capture("nsd__zonegroupstate.xml"))
    assert variables["ZoneGroupState"].lstrip().startswith("<ZoneGroups>")


# --- the project's own fixtures ----------------------------------------------


def test_rendering_control_fixture() -> None:
    variables = parse_property_set(fixture("renderingcontrol_lastchange.xml"))
    assert parse_last_change(variables["LastChange"]) == {
        "Volume": "23",
        "Volume_LF": "100",
        "Volume_RF": "98",
        "Mute": "1",
        "Bass": "-2",
    }


def test_queue_fixture_all_queues() -> None:
    variables = parse_property_set(fixture("queue_lastchange.xml"))
    assert parse_last_change_instances(variables["LastChange"]) == {
        "0": {"UpdateID": "7", "Curated": "0"},
        "2": {"UpdateID": "3", "Curated": "1"},
    }


def test_avtransport_fixture_unescapes_one_level() -> None:
    variables = parse_property_set(fixture("avtransport_lastchange.xml"))
    values = parse_last_change(variables["LastChange"])
    assert values == {
        "TransportState": "PLAYING",
        "CurrentTrackURI": "x-file-cifs://nas/music/a%20b.flac?x=1&y=2",
        "CurrentTrackMetaData": (
            '<DIDL-Lite xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/">'
            '<item id="-1"/></DIDL-Lite>'
        ),
        "SleepTimerGeneration": "0",
    }


def test_alarm_clock_fixture_repairs_stray_ampersand() -> None:
    assert parse_property_set(fixture("alarmclock.xml")) == {
        "AlarmListVersion": "RINCON_000E58A0B1C201400:42",
        "TimeFormat": "24H",
        "DailyIndexRefreshTime": "",
        "ZoneName": "Kitchen & Dining",
    }


def test_variable_value_is_its_text_up_to_its_first_child() -> None:
    body = (
        '<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0">'
        "<e:property><A>x &lt;y&gt; <![CDATA[<z>]]><b>inner</b>tail</A></e:property>"
        "<e:property><B/><C><c/>after</C></e:property>"
        "<e:property><A>again</A></e:property></e:propertyset>"
    )
    assert parse_property_set(body) == {"A": "again", "B": "", "C": ""}
    assert parse_property_set(body.replace("again", "x &amp; y")) == {
        "A": "x & y",
        "B": "",
        "C": "",
    }


def _tree_property_set(body: bytes) -> dict[str, str]:
    """What an ElementTree reading of a property set gives (the reference)."""
    root = parse_xml(body)
    assert root.tag == "{urn:schemas-upnp-org:event-1-0}propertyset"
    return {
        local_name(variable.tag): variable.text or ""
        for prop in root
        for variable in prop
    }


_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn"))
    | st.sampled_from("&<>\"'")
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "u:C"]),
            _TEXT,
            st.booleans(),
            _TEXT,
        ),
        max_size=6,
    ),
    st.booleans(),
)
def test_property_set_reads_as_a_tree_would(
    variables: list[tuple[str, str, bool, str]], stray_ampersand: bool
) -> None:
    properties = "".join(
        f"<e:property><{name}>{escape(text)}"
        + (f"<child>{escape(tail)}</child>{escape(tail)}" if child else "")
        + f"</{name}></e:property>"
        for name, text, child, tail in variables
    )
    body = (
        '<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0" xmlns:u="urn:u">'
        f"{properties}</e:propertyset>"
    ).encode()
    if stray_ampersand:
        body = body.replace(
            b"</e:propertyset>", b"<e:property><D>&</D></e:property></e:propertyset>"
        )
    assert parse_property_set(body) == _tree_property_set(body)


def test_property_set_accepts_str() -> None:
    body = fixture("alarmclock.xml").decode()
    assert parse_property_set(body)["TimeFormat"] == "24H"


def test_last_change_without_instance_zero_gives_first_instance() -> None:
    text = '<Event><QueueID val="3"><UpdateID val="9"/></QueueID></Event>'
    assert parse_last_change(text) == {"UpdateID": "9"}


def test_empty_last_change() -> None:
    assert parse_last_change("") == {}
    assert parse_last_change("<Event/>") == {}
    event = build_event(
        sid="uuid:1",
        seq=0,
        service="AVTransport",
        host="h",
        variables={"LastChange": " "},
    )
    assert event.last_change == {}


def test_last_change_text_value_when_no_val() -> None:
    text = '<Event><InstanceID val="0"><Foo>bar</Foo><Baz/></InstanceID></Event>'
    assert parse_last_change(text) == {"Foo": "bar", "Baz": ""}


def test_build_event_is_frozen_and_read_only() -> None:
    variables = {"ZoneName": "Office"}
    event = build_event(
        sid="uuid:RINCON_1-2",
        seq=4,
        service="DeviceProperties",
        host="10.0.0.2",
        variables=variables,
    )
    assert event == UpnpEvent(
        sid="uuid:RINCON_1-2",
        seq=4,
        service="DeviceProperties",
        variables={"ZoneName": "Office"},
        last_change=None,
        host="10.0.0.2",
    )
    variables["ZoneName"] = "changed"
    assert event.variables["ZoneName"] == "Office"
    with pytest.raises(TypeError):
        event.variables["ZoneName"] = "x"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.seq = 5  # type: ignore[misc]


# --- malformed and hostile payloads ------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["hostile_entity_expansion.xml", "hostile_external_entity.xml", "hostile_dtd.xml"],
)
def test_hostile_fixtures_are_refused(name: str) -> None:
    with pytest.raises(UpnpResponseError):
        parse_property_set(fixture(name))


@pytest.mark.parametrize(
    "name",
    ["hostile_entity_expansion.xml", "hostile_external_entity.xml", "hostile_dtd.xml"],
)
def test_hostile_last_change_is_refused(name: str) -> None:
    text = fixture(name).decode().replace("e:propertyset", "Event")
    with pytest.raises(UpnpResponseError):
        parse_last_change(text)


def test_hostile_last_change_inside_a_notify_is_refused() -> None:
    inner = fixture("hostile_external_entity.xml").decode()
    escaped = inner.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    body = (
        '<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0"><e:property>'
        f"<LastChange>{escaped}</LastChange></e:property></e:propertyset>"
    )
    variables = parse_property_set(body)
    with pytest.raises(UpnpResponseError):
        build_event(
            sid="s", seq=0, service="AVTransport", host="h", variables=variables
        )


def test_oversized_body_is_refused() -> None:
    filler = "<e:property><A>" + "x" * 1000 + "</A></e:property>"
    body = (
        '<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0">'
        + filler * 300
        + "</e:propertyset>"
    )
    assert parse_property_set(body)["A"] == "x" * 1000
    with pytest.raises(UpnpResponseError, match="exceeds"):
        parse_property_set(body, max_bytes=100_000)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml",
        b"<e:propertyset xmlns:e='urn:schemas-upnp-org:event-1-0'>",
        b"<propertyset><property><A>1</A></property></propertyset>",
        b"<e:propertyset xmlns:e='urn:other'><e:property/></e:propertyset>",
        (
            b"<e:propertyset xmlns:e='urn:schemas-upnp-org:event-1-0'><A>1</A>"
            b"</e:propertyset>"
        ),
        b"\xff\xfe<\x00",
    ],
)
def test_malformed_property_sets(body: bytes) -> None:
    with pytest.raises(UpnpResponseError):
        parse_property_set(body)


@pytest.mark.parametrize(
    "text",
    [
        "not xml",
        "<NotAnEvent/>",
        '<Event><Other val="0"/></Event>',
        "<Event><InstanceID><Volume val='1'/></InstanceID></Event>",
        "<Event>\ud800</Event>",
    ],
)
def test_malformed_last_change(text: str) -> None:
    with pytest.raises(UpnpResponseError):
        parse_last_change(text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_property_set_never_raises_foreign_errors_on_bytes(body: bytes) -> None:
    with contextlib.suppress(UpnpClientError):
        parse_property_set(body)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2048))
def test_parsers_never_raise_foreign_errors_on_text(text: str) -> None:
    for parser in (parse_property_set, parse_last_change, parse_last_change_instances):
        with contextlib.suppress(UpnpClientError):
            parser(text)


_names = st.sampled_from(["A", "e:property", "Event", "InstanceID", "QueueID", "x:B"])


@st.composite
def xmlish(draw: st.DrawFn) -> str:
    """Nearly valid XML fragments: the shapes parsers branch on, shuffled."""
    parts = draw(
        st.lists(
            st.one_of(
                _names.map(lambda name: f"<{name}>"),
                _names.map(lambda name: f"</{name}>"),
                _names.map(lambda name: f'<{name} val="0" channel="LF"/>'),
                st.sampled_from(["&amp;", "&lt;", "&", "<!DOCTYPE x>", "&x;"]),
                st.text(max_size=5),
            ),
            max_size=12,
        )
    )
    root = draw(st.sampled_from(["e:propertyset", "Event"]))
    return (
        f'<{root} xmlns:e="urn:schemas-upnp-org:event-1-0" xmlns:x="urn:x">'
        + "".join(parts)
        + f"</{root}>"
    )


@settings(max_examples=300, deadline=None)
@given(xmlish())
def test_parsers_never_raise_foreign_errors_on_xmlish(text: str) -> None:
    for parser in (parse_property_set, parse_last_change):
        try:
            result = parser(text)
        except UpnpClientError:
            continue
        assert all(isinstance(value, str) for value in result.values())
