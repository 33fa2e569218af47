"""SOAP envelopes: building requests for every action, reading answers and faults."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.sonos_upnp.upnp.catalog import SERVICES, get_service
from custom_components.sonos_upnp.upnp.exceptions import (
    AlarmNotFoundError,
    DuplicateAlarmError,
    UpnpArgumentError,
    UpnpClientError,
    UpnpError,
    UpnpResponseError,
)
from custom_components.sonos_upnp.upnp.soap import (
    build_request,
    parse_fault,
    parse_response,
)

from .conftest import (
    SAMPLE_TEXT,
    SOAP_ENCODING,
    SOAP_NS,
    fault_response,
    parse_soap_request,
    sample_input,
    sample_output,
    soap_response,
)

ALL_ACTIONS = [(s, a) for s in SERVICES for a in s.actions]
RENDERING = get_service("RenderingControl")
SET_VOLUME = RENDERING.action("SetVolume")
GET_VOLUME = RENDERING.action("GetVolume")
ALARMS = get_service("AlarmClock")
AV = get_service("AVTransport")


def test_catalog_has_206_actions_and_84_with_instance_id() -> None:
    assert len(ALL_ACTIONS) == 206
    assert sum(1 for _, a in ALL_ACTIONS if a.input("InstanceID")) == 84


def test_headers_and_envelope() -> None:
    headers, body = build_request(
        RENDERING, SET_VOLUME, {"DesiredVolume": 12, "Channel": "Master"}
    )
    assert headers == {
        "Content-Type": 'text/xml; charset="utf-8"',
        "SOAPACTION": '"urn:schemas-upnp-org:service:RenderingControl:1#SetVolume"',
    }
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert (
        b'<u:SetVolume xmlns:u="urn:schemas-upnp-org:service:RenderingControl:1">'
        in body
    )
    request = parse_soap_request(body)
    assert request.namespace == RENDERING.service_type
    assert request.action == "SetVolume"
    # Catalog order and the InstanceID default, whatever order the caller used.
    assert request.arguments == [
        ("InstanceID", "0"),
        ("Channel", "Master"),
        ("DesiredVolume", "12"),
    ]


def test_queue_and_qplay_use_their_own_namespaces() -> None:
    for name in ("Queue", "QPlay"):
        service = get_service(name)
        action = service.actions[0]
        args = {a.name: sample_input(a)[0] for a in action.inputs}
        headers, body = build_request(service, action, args)
        assert headers["SOAPACTION"] == f'"{service.service_type}#{action.name}"'
        assert parse_soap_request(body).namespace == service.service_type


def test_text_is_escaped_and_survives_a_strict_parser() -> None:
    action = AV.action("SetAVTransportURI")
    text = SAMPLE_TEXT + "\r\n\tend"
    _, body = build_request(
        AV, action, {"CurrentURI": text, "CurrentURIMetaData": "<DIDL-Lite/>"}
    )
    assert b"Tom &amp; Jerry &lt;Kitchen&gt;" in body
    assert b"&lt;DIDL-Lite/&gt;" in body
    assert b"&#13;" in body
    arguments = dict(parse_soap_request(body).arguments)
    assert arguments["CurrentURI"] == text
    assert arguments["CurrentURIMetaData"] == "<DIDL-Lite/>"


def test_explicit_instance_id_is_kept() -> None:
    _, body = build_request(
        RENDERING, GET_VOLUME, {"InstanceID": 3, "Channel": "Master"}
    )
    assert parse_soap_request(body).arguments[0] == ("InstanceID", "3")


def test_action_without_inputs() -> None:
    service = get_service("DeviceProperties")
    action = service.action("GetHouseholdID")
    _, body = build_request(service, action, {})
    request = parse_soap_request(body)
    assert (request.action, request.arguments) == ("GetHouseholdID", [])
    with pytest.raises(UpnpArgumentError, match="valid arguments: none"):
        build_request(service, action, {"Extra": 1})


def test_unknown_argument_is_named_with_the_valid_ones() -> None:
    with pytest.raises(UpnpArgumentError) as err:
        build_request(
            RENDERING, GET_VOLUME, {"Channel": "Master", "Volume": 3, "Bogus": 1}
        )
    assert str(err.value) == (
        "RenderingControl.GetVolume: unknown argument(s) Bogus, Volume; "
        "valid arguments: InstanceID, Channel"
    )


def test_missing_argument_is_named_and_only_instance_id_defaults() -> None:
    with pytest.raises(UpnpArgumentError) as err:
        build_request(RENDERING, SET_VOLUME, {"Channel": "Master"})
    assert "missing argument(s) DesiredVolume" in str(err.value)
    assert "valid arguments: InstanceID, Channel, DesiredVolume" in str(err.value)


def test_wrong_value_is_refused_with_the_choices() -> None:
    with pytest.raises(UpnpArgumentError) as err:
        build_request(RENDERING, SET_VOLUME, {"Channel": "Nope", "DesiredVolume": 1})
    assert "RenderingControl.SetVolume argument Channel" in str(err.value)
    assert "Master" in str(err.value)
    with pytest.raises(UpnpArgumentError, match="from 0 to 65535"):
        build_request(RENDERING, SET_VOLUME, {"Channel": "Master", "DesiredVolume": -1})
    with pytest.raises(UpnpArgumentError, match="InstanceID"):
        build_request(RENDERING, GET_VOLUME, {"InstanceID": True, "Channel": "Master"})


@pytest.mark.parametrize(
    ("service", "action"),
    ALL_ACTIONS,
    ids=[f"{s.name}.{a.name}" for s, a in ALL_ACTIONS],
)
@pytest.mark.parametrize("variant", [0, 1])
def test_every_action_builds_a_request_a_strict_parser_reads(
    service, action, variant: int
) -> None:
    args = {}
    expected = []
    for argument in action.inputs:
        value, wire = sample_input(argument, variant)
        expected.append((argument.name, wire))
        if argument.name != "InstanceID" or variant == 0:
            args[argument.name] = value
        elif argument.name == "InstanceID":
            expected[-1] = ("InstanceID", "0")
    headers, body = build_request(service, action, dict(reversed(args.items())))
    assert headers["SOAPACTION"] == f'"{service.service_type}#{action.name}"'
    request = parse_soap_request(body)
    assert request.namespace == service.service_type
    assert request.action == action.name
    assert request.arguments == expected


@pytest.mark.parametrize(
    ("service", "action"),
    ALL_ACTIONS,
    ids=[f"{s.name}.{a.name}" for s, a in ALL_ACTIONS],
)
def test_every_action_parses_typed_outputs(service, action) -> None:
    wire = [(a.name, sample_output(a, 1)[0]) for a in action.outputs]
    expected = {a.name: sample_output(a, 1)[1] for a in action.outputs}
    body = soap_response(service.service_type, action.name, wire)
    assert parse_response(service, action, body) == expected


def test_response_types_and_extra_elements() -> None:
    body = soap_response(
        RENDERING.service_type,
        "GetVolume",
        [("Unexpected", "x"), ("CurrentVolume", " 42 ")],
    )
    assert parse_response(RENDERING, GET_VOLUME, body) == {"CurrentVolume": 42}


def test_response_with_a_stray_ampersand_parses() -> None:
    service = get_service("DeviceProperties")
    action = service.action("GetZoneAttributes")
    outputs = [(a.name, "") for a in action.outputs]
    outputs[0] = ("CurrentZoneName", "Tom & Jerry")
    body = soap_response(service.service_type, action.name, []).replace(
        b"</u:", "".join(f"<{n}>{t}</{n}>" for n, t in outputs).encode() + b"</u:"
    )
    assert b"Tom & Jerry" in body
    assert parse_response(service, action, body)["CurrentZoneName"] == "Tom & Jerry"


def test_missing_output_is_a_response_error() -> None:
    body = soap_response(RENDERING.service_type, "GetVolume", [])
    with pytest.raises(UpnpResponseError, match="lacks output CurrentVolume"):
        parse_response(RENDERING, GET_VOLUME, body)


def test_malformed_output_value_is_a_response_error() -> None:
    body = soap_response(
        RENDERING.service_type, "GetVolume", [("CurrentVolume", "abc")]
    )
    with pytest.raises(UpnpResponseError, match="'abc'"):
        parse_response(RENDERING, GET_VOLUME, body)


@pytest.mark.parametrize(
    "body",
    [
        b"<notsoap/>",
        f'<s:Envelope xmlns:s="{SOAP_NS}"/>'.encode(),
        f'<s:Envelope xmlns:s="{SOAP_NS}"><s:Body><u:OtherResponse xmlns:u="x"/>'
        "</s:Body></s:Envelope>".encode(),
        b"<s:Envelope",
        b"",
    ],
)
def test_not_an_answer_is_a_response_error(body: bytes) -> None:
    with pytest.raises(UpnpResponseError):
        parse_response(RENDERING, GET_VOLUME, body)


def test_fault_inside_a_200_answer_is_raised() -> None:
    with pytest.raises(UpnpError) as err:
        parse_response(RENDERING, GET_VOLUME, fault_response(402))
    assert (err.value.code, err.value.label) == (402, "Invalid args")


@pytest.mark.parametrize(
    ("code", "label"), [(401, "Invalid action"), (402, "Invalid args")]
)
def test_global_faults(code: int, label: str) -> None:
    error = parse_fault(RENDERING, SET_VOLUME, fault_response(code))
    assert type(error) is UpnpError
    assert (error.code, error.label, error.service, error.action) == (
        code,
        label,
        "RenderingControl",
        "SetVolume",
    )
    assert (
        str(error)
        == f"RenderingControl.SetVolume failed with UPnP error {code} ({label})"
    )


def test_alarm_faults_have_their_own_types() -> None:
    update = ALARMS.action("UpdateAlarm")
    not_found = parse_fault(ALARMS, update, fault_response(800))
    assert isinstance(not_found, AlarmNotFoundError)
    assert not_found.code == 800
    duplicate = parse_fault(ALARMS, ALARMS.action("CreateAlarm"), fault_response(801))
    assert isinstance(duplicate, DuplicateAlarmError)
    assert duplicate.label == "Duplicate alarm time"
    # 800 means something else elsewhere: no alarm type outside AlarmClock.
    other = parse_fault(RENDERING, SET_VOLUME, fault_response(800))
    assert type(other) is UpnpError
    assert other.label is None


@pytest.mark.parametrize(
    "body",
    [
        b"Internal Server Error",
        fault_response("abc"),
        fault_response(""),
        fault_response("1" * 5000),
        fault_response("-1"),
        f'<s:Envelope xmlns:s="{SOAP_NS}"><s:Body><s:Fault/></s:Body>'
        "</s:Envelope>".encode(),
        f'<s:Envelope xmlns:s="{SOAP_NS}" s:encodingStyle="{SOAP_ENCODING}"/>'.encode(),
    ],
)
def test_unreadable_fault_is_a_response_error(body: bytes) -> None:
    with pytest.raises(UpnpResponseError, match=r"RenderingControl\.SetVolume|XML"):
        parse_fault(RENDERING, SET_VOLUME, body)


def test_response_size_cap() -> None:
    body = soap_response(RENDERING.service_type, "GetVolume", [("CurrentVolume", "1")])
    with pytest.raises(UpnpResponseError, match="exceeds"):
        parse_response(RENDERING, GET_VOLUME, body, max_bytes=len(body) - 1)


@given(st.binary(max_size=2000))
def test_parse_response_raises_only_client_errors_on_bytes(data: bytes) -> None:
    try:
        outputs = parse_response(RENDERING, GET_VOLUME, data)
    except UpnpClientError:
        return
    assert isinstance(outputs["CurrentVolume"], int)


@given(st.binary(max_size=2000))
def test_parse_fault_raises_only_client_errors_on_bytes(data: bytes) -> None:
    try:
        error = parse_fault(ALARMS, ALARMS.action("UpdateAlarm"), data)
    except UpnpResponseError:
        return
    assert isinstance(error, UpnpError)


ENVELOPE_PARTS = st.sampled_from(
    [
        f'<s:Envelope xmlns:s="{SOAP_NS}">',
        "</s:Envelope>",
        "<s:Body>",
        "</s:Body>",
        '<u:GetVolumeResponse xmlns:u="urn:x">',
        "</u:GetVolumeResponse>",
        "<CurrentVolume>",
        "</CurrentVolume>",
        "<s:Fault><detail><UPnPError><errorCode>",
        "</errorCode></UPnPError></detail></s:Fault>",
        "&",
        "&amp;",
        "<!DOCTYPE x>",
        "7",
        "-",
        "x",
    ]
)


@given(st.lists(ENVELOPE_PARTS, max_size=20).map("".join))
def test_parse_response_raises_only_client_errors_on_near_envelopes(text: str) -> None:
    try:
        outputs = parse_response(RENDERING, GET_VOLUME, text.encode())
    except UpnpClientError:
        return
    assert isinstance(outputs["CurrentVolume"], int)


ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.sampled_from(["Master", "1", "0", "true", "ON_1245", "ONCE", " 5 "]),
)


@given(st.sampled_from(ALL_ACTIONS), st.data())
def test_build_request_refuses_or_builds_on_any_arguments(pair, data) -> None:
    service, action = pair
    names = [a.name for a in action.inputs]
    keys = st.sampled_from(names) if names else st.just("Extra")
    args = data.draw(
        st.dictionaries(st.one_of(keys, st.text(max_size=5)), ANY_VALUE, max_size=12)
    )
    try:
        _, body = build_request(service, action, args)
    except UpnpArgumentError:
        return
    request = parse_soap_request(body)
    assert [name for name, _ in request.arguments] == names


@given(st.text())
def test_any_string_is_refused_or_survives_the_envelope(text: str) -> None:
    action = AV.action("SetAVTransportURI")
    try:
        _, body = build_request(
            AV, action, {"CurrentURI": text, "CurrentURIMetaData": text}
        )
    except UpnpArgumentError:
        assert any(
            (ord(c) < 32 and c not in "\t\n\r") or c in "\ufffe\uffff" for c in text
        )
        return
    assert parse_soap_request(body).arguments[1:] == [
        ("CurrentURI", text),
        ("CurrentURIMetaData", text),
    ]
