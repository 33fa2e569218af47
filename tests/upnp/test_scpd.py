"""SCPD parsing: the actions a speaker really offers, with resolved types."""

from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.sonos_upnp.upnp.catalog import SERVICES
from custom_components.sonos_upnp.upnp.exceptions import UpnpResponseError
from custom_components.sonos_upnp.upnp.scpd import (
    ScpdAction,
    ScpdArgument,
    parse_scpd,
)

FIXTURE = Path(__file__).parent / "fixtures" / "scpd" / "rendering_control_subset.xml"


def _scpd(actions: str, variables: str = "") -> str:
    return (
        '<scpd xmlns="urn:schemas-upnp-org:service-1-0">'
        f"<serviceStateTable>{variables}</serviceStateTable>"
        f"<actionList>{actions}</actionList></scpd>"
    )


def _render_catalog_scpd(service) -> str:  # type: ignore[no-untyped-def]
    """Write the SCPD a speaker would serve for a catalog service."""
    variables = {
        argument.state_variable: argument.data_type
        for action in service.actions
        for argument in (*action.inputs, *action.outputs)
    }
    table = "".join(
        f"<stateVariable><name>{escape(name)}</name><dataType>{data_type}</dataType>"
        "</stateVariable>"
        for name, data_type in variables.items()
    )
    actions = "".join(
        f"<action><name>{action.name}</name><argumentList>"
        + "".join(
            f"<argument><name>{argument.name}</name><direction>{direction}</direction>"
            f"<relatedStateVariable>{argument.state_variable}</relatedStateVariable>"
            "</argument>"
            for direction, arguments in (("in", action.inputs), ("out", action.outputs))
            for argument in arguments
        )
        + "</argumentList></action>"
        for action in service.actions
    )
    return _scpd(actions, table)


def test_fixture() -> None:
    actions = parse_scpd(FIXTURE.read_bytes())
    assert [action.name for action in actions] == [
        "GetVolume",
        "SetMute",
        "ResetBasicEQ",
    ]
    get_volume = actions[0]
    assert get_volume.inputs == (
        ScpdArgument("InstanceID", "in", "A_ARG_TYPE_InstanceID", "ui4"),
        ScpdArgument("Channel", "in", "A_ARG_TYPE_Channel", "string"),
    )
    assert get_volume.outputs == (
        ScpdArgument("CurrentVolume", "out", "Volume", "ui2"),
    )
    assert actions[1].inputs[2].data_type == "boolean"
    assert actions[2] == ScpdAction("ResetBasicEQ", (), ())


@pytest.mark.parametrize("service", SERVICES, ids=[s.name for s in SERVICES])
def test_catalog_services_round_trip(service) -> None:
    actions = parse_scpd(_render_catalog_scpd(service).encode())
    assert len(actions) == len(service.actions)
    for parsed, action in zip(actions, service.actions, strict=True):
        assert parsed.name == action.name
        assert [(a.name, a.data_type, a.state_variable) for a in parsed.inputs] == [
            (a.name, a.data_type, a.state_variable) for a in action.inputs
        ]
        assert [(a.name, a.data_type, a.state_variable) for a in parsed.outputs] == [
            (a.name, a.data_type, a.state_variable) for a in action.outputs
        ]


def test_direction_is_case_insensitive_and_empty_lists_are_fine() -> None:
    variables = "<stateVariable><name>V</name><dataType>i4</dataType></stateVariable>"
    argument = (
        "<argument><name>X</name><direction> OUT </direction>"
        "<relatedStateVariable>V</relatedStateVariable></argument>"
    )
    actions = parse_scpd(
        _scpd(
            f"<action><name>A</name><argumentList>{argument}</argumentList></action>",
            variables,
        )
    )
    assert actions == (ScpdAction("A", (), (ScpdArgument("X", "out", "V", "i4"),)),)
    assert parse_scpd('<scpd xmlns="urn:schemas-upnp-org:service-1-0"/>') == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("<notscpd/>", "not an SCPD"),
        (_scpd("<action><name/></action>"), "without a name"),
        (
            _scpd(
                "<action><name>A</name><argumentList><argument><name>X</name>"
                "<direction>sideways</direction></argument></argumentList></action>"
            ),
            "bad argument",
        ),
        (
            _scpd(
                "<action><name>A</name><argumentList><argument><name>X</name>"
                "<direction>in</direction><relatedStateVariable>Nope"
                "</relatedStateVariable></argument></argumentList></action>"
            ),
            "unknown state variable 'Nope'",
        ),
        ("<scpd>", "refused XML"),
    ],
)
def test_malformed_scpd_is_a_response_error(data: str, message: str) -> None:
    with pytest.raises(UpnpResponseError, match=message):
        parse_scpd(data)


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_only_response_errors(data: bytes) -> None:
    try:
        actions = parse_scpd(data)
    except UpnpResponseError:
        return
    assert isinstance(actions, tuple)


PARTS = st.sampled_from(
    [
        "<scpd>",
        "</scpd>",
        "<actionList>",
        "</actionList>",
        "<action><name>A</name>",
        "</action>",
        "<argumentList><argument><name>X</name>",
        "<direction>in</direction>",
        "<relatedStateVariable>V</relatedStateVariable>",
        "</argument></argumentList>",
        "<serviceStateTable><stateVariable><name>V</name>",
        "</stateVariable></serviceStateTable>",
        "&",
    ]
)


@given(st.lists(PARTS, max_size=25).map("".join))
def test_near_scpds_raise_only_response_errors(text: str) -> None:
    try:
        actions = parse_scpd(text)
    except UpnpResponseError:
        return
    assert all(action.name == "A" for action in actions)
