"""SonosUpnpClient over real loopback HTTP: requests, answers, faults, failures."""

import asyncio
import gzip
import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.sonos_upnp.upnp.catalog import SERVICES, get_service
from custom_components.sonos_upnp.upnp.client import SonosUpnpClient, base_url
from custom_components.sonos_upnp.upnp.exceptions import (
    AlarmNotFoundError,
    DuplicateAlarmError,
    NotASonosDeviceError,
    UpnpArgumentError,
    UpnpConnectionError,
    UpnpError,
    UpnpResponseError,
)
from custom_components.sonos_upnp.upnp.scpd import ScpdArgument

from .conftest import (
    FakeSpeaker,
    fault_response,
    parse_soap_request,
    sample_input,
    sample_output,
    soap_response,
)
from .test_safe_xml import BILLION_LAUGHS, EXTERNAL_ENTITY, PLAIN_DTD

FIXTURES = Path(__file__).parent / "fixtures"
RENDERING = get_service("RenderingControl")
ALARMS = get_service("AlarmClock")
ACTIONS_BY_HEADER = {
    f'"{service.service_type}#{action.name}"': (service, action)
    for service in SERVICES
    for action in service.actions
}


def _answer(body: bytes, status: int = 200) -> web.Response:
    return web.Response(
        body=body, status=status, content_type="text/xml", charset="utf-8"
    )


async def _get_volume(client: SonosUpnpClient, speaker: FakeSpeaker) -> dict[str, Any]:
    """Call RenderingControl.GetVolume (Master) on the fake speaker."""
    return await client.call(
        speaker.host,
        speaker.port,
        "RenderingControl",
        "GetVolume",
        {"Channel": "Master"},
    )


def _volume_answer(volume: str = "42") -> web.Response:
    return _answer(
        soap_response(RENDERING.service_type, "GetVolume", [("CurrentVolume", volume)])
    )


@pytest.fixture
async def client(http_session: aiohttp.ClientSession) -> SonosUpnpClient:
    return SonosUpnpClient(http_session, timeout=5.0)


async def test_call_sends_a_correct_request_and_returns_typed_outputs(
    fake_speaker: FakeSpeaker, client: SonosUpnpClient
) -> None:
    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        return _volume_answer()

    fake_speaker.handler = handler
    outputs = await _get_volume(client, fake_speaker)
    assert outputs == {"CurrentVolume": 42}
    (request,) = fake_speaker.requests
    assert request.method == "POST"
    assert request.path == "/MediaRenderer/RenderingControl/Control"
    assert request.headers["SOAPACTION"] == (
        '"urn:schemas-upnp-org:service:RenderingControl:1#GetVolume"'
    )
    assert request.headers["Content-Type"] == 'text/xml; charset="utf-8"'
    assert int(request.headers["Content-Length"]) == len(request.body)
    soap = parse_soap_request(request.body)
    assert (soap.namespace, soap.action) == (RENDERING.service_type, "GetVolume")
    assert soap.arguments == [("InstanceID", "0"), ("Channel", "Master")]


async def test_escaping_and_argument_order_on_the_wire(
    fake_speaker: FakeSpeaker, client: SonosUpnpClient
) -> None:
    service = get_service("AVTransport")

    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        return _answer(soap_response(service.service_type, "SetAVTransportURI", []))

    fake_speaker.handler = handler
    metadata = '<DIDL-Lite xmlns="urn:x"><item id="1">Tom & Jerry</item></DIDL-Lite>'
    result = await client.call(
        fake_speaker.host,
        fake_speaker.port,
        "AVTransport",
        "SetAVTransportURI",
        {"CurrentURIMetaData": metadata, "CurrentURI": "x-file:a&b", "InstanceID": 0},
    )
    assert result == {}
    body = fake_speaker.requests[0].body
    assert b"Tom &amp; Jerry" in body
    assert b"&lt;DIDL-Lite" in body
    assert parse_soap_request(body).arguments == [
        ("InstanceID", "0"),
        ("CurrentURI", "x-file:a&b"),
        ("CurrentURIMetaData", metadata),
    ]


async def test_every_action_round_trips_through_the_server(
    fake_speaker: FakeSpeaker, client: SonosUpnpClient
) -> None:
    """All 206 actions: the server checks each request and answers each output."""
    seen: list[str] = []

    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        service, action = ACTIONS_BY_HEADER[request.headers["SOAPACTION"]]
        soap = parse_soap_request(body)
        expected = [(a.name, sample_input(a, 1)[1]) for a in action.inputs]
        if (
            request.path != service.control_url
            or soap.namespace != service.service_type
            or soap.action != action.name
            or soap.arguments != expected
        ):
            return web.Response(status=400, text=f"unexpected {soap}")
        seen.append(f"{service.name}.{action.name}")
        outputs = [(a.name, sample_output(a, 2)[0]) for a in action.outputs]
        return _answer(soap_response(service.service_type, action.name, outputs))

    fake_speaker.handler = handler
    for service in SERVICES:
        for action in service.actions:
            args = {a.name: sample_input(a, 1)[0] for a in action.inputs}
            outputs = await client.call(
                fake_speaker.host, fake_speaker.port, service.name, action.name, args
            )
            assert outputs == {a.name: sample_output(a, 2)[1] for a in action.outputs}
    assert len(seen) == len(set(seen)) == 206


@pytest.mark.parametrize(
    ("code", "label"), [(401, "Invalid action"), (402, "Invalid args")]
)
async def test_faults(
    fake_speaker: FakeSpeaker, client: SonosUpnpClient, code: int, label: str
) -> None:
    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        return _answer(fault_response(code), status=500)

    fake_speaker.handler = handler
    with pytest.raises(UpnpError) as err:
        await _get_volume(client, fake_speaker)
    assert type(err.value) is UpnpError
    assert (err.value.code, err.value.label) == (code, label)
    assert (err.value.service, err.value.action) == ("RenderingControl", "GetVolume")


@pytest.mark.parametrize(
    ("code", "error_type"), [(800, AlarmNotFoundError), (801, DuplicateAlarmError)]
)
async def test_alarm_faults(
    fake_speaker: FakeSpeaker,
    client: SonosUpnpClient,
    code: int,
    error_type: type[UpnpError],
) -> None:
    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        return _answer(fault_response(code), status=500)

    fake_speaker.handler = handler
    with pytest.raises(error_type) as err:
        await client.call(
            fake_speaker.host,
            fake_speaker.port,
            "AlarmClock",
            "DestroyAlarm",
            {"ID": 9},
        )
    assert err.value.code == code


@pytest.mark.parametrize(
    "body",
    [b"Internal Server Error", b"", fault_response("oops")],
    ids=["text", "empty", "no-code"],
)
async def test_500_without_a_fault_is_a_response_error(
    fake_speaker: FakeSpeaker, client: SonosUpnpClient, body: bytes
) -> None:
    async def handler(request: web.Request, _: bytes) -> web.StreamResponse:
        return web.Response(status=500, body=body)

    fake_speaker.handler = handler
    with pytest.raises(UpnpResponseError):
        await _get_volume(client, fake_speaker)


@pytest.mark.parametrize("status", [404, 403, 503, 302, 204])
async def test_other_statuses_are_connection_errors(
    fake_speaker: FakeSpeaker, client: SonosUpnpClient, status: int
) -> None:
    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        headers = {"Location": "http://127.0.0.1:1/elsewhere"} if status == 302 else {}
        return web.Response(status=status, headers=headers)

    fake_speaker.handler = handler
    with pytest.raises(UpnpConnectionError) as err:
        await _get_volume(client, fake_speaker)
    message = str(err.value)
    assert f"127.0.0.1:{fake_speaker.port}" in message
    assert "RenderingControl.GetVolume" in message
    assert f"HTTP {status}" in message
    # Redirects are not followed.
    assert len(fake_speaker.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"<s:Envelope",
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        PLAIN_DTD,
        b"<html><body>hello</body></html>",
    ],
    ids=["malformed", "billion-laughs", "external-entity", "dtd", "html"],
)
async def test_hostile_or_malformed_answers_are_response_errors(
    fake_speaker: FakeSpeaker, client: SonosUpnpClient, body: bytes
) -> None:
    async def handler(request: web.Request, _: bytes) -> web.StreamResponse:
        return _answer(body)

    fake_speaker.handler = handler
    with pytest.raises(UpnpResponseError):
        await _get_volume(client, fake_speaker)


async def test_malformed_value_is_a_response_error(
    fake_speaker: FakeSpeaker, client: SonosUpnpClient
) -> None:
    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        return _volume_answer("abc")

    fake_speaker.handler = handler
    with pytest.raises(UpnpResponseError, match="'abc'"):
        await _get_volume(client, fake_speaker)


async def test_stray_ampersand_in_an_answer(
    fake_speaker: FakeSpeaker, client: SonosUpnpClient
) -> None:
    service = get_service("DeviceProperties")
    action = service.action("GetZoneAttributes")

    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        outputs = "".join(
            f"<{a.name}>{'Tom & Jerry' if a.name == 'CurrentZoneName' else ''}"
            f"</{a.name}>"
            for a in action.outputs
        )
        envelope = soap_response(service.service_type, action.name, [])
        return _answer(envelope.replace(b"</u:", outputs.encode() + b"</u:"))

    fake_speaker.handler = handler
    outputs = await client.call(
        fake_speaker.host, fake_speaker.port, "DeviceProperties", "GetZoneAttributes"
    )
    assert outputs["CurrentZoneName"] == "Tom & Jerry"


async def test_oversized_declared_body_is_refused(
    fake_speaker: FakeSpeaker, http_session: aiohttp.ClientSession
) -> None:
    client = SonosUpnpClient(http_session, max_body_bytes=1000)

    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        return _volume_answer("1" + "0" * 2000)

    fake_speaker.handler = handler
    with pytest.raises(UpnpResponseError, match="exceeds 1000"):
        await _get_volume(client, fake_speaker)
    with pytest.raises(UpnpResponseError, match="exceeds 1000"):
        await client.fetch(fake_speaker.host, fake_speaker.port, "/xml/big.xml")


async def test_oversized_streamed_body_is_refused(
    fake_speaker: FakeSpeaker, http_session: aiohttp.ClientSession
) -> None:
    client = SonosUpnpClient(http_session, max_body_bytes=10_000)
    chunks_written = 0

    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        nonlocal chunks_written
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for _ in range(100):
                await response.write(b"<" * 4096)
                chunks_written += 1
        except ConnectionError:
            pass  # the client hung up, as it should
        return response

    fake_speaker.handler = handler
    with pytest.raises(UpnpResponseError, match="body exceeds 10000 bytes"):
        await _get_volume(client, fake_speaker)
    assert chunks_written >= 3


async def test_compressed_bomb_is_capped_after_decompression(
    fake_speaker: FakeSpeaker, http_session: aiohttp.ClientSession
) -> None:
    """64 MiB of zeros gzip to ~64 kB; the cap applies to what is decompressed."""
    client = SonosUpnpClient(http_session, max_body_bytes=1024 * 1024)
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))
    assert len(bomb) < 100_000

    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        return web.Response(
            body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "text/xml"}
        )

    fake_speaker.handler = handler
    with pytest.raises(UpnpResponseError, match="exceeds 1048576"):
        await client.fetch(fake_speaker.host, fake_speaker.port, "/xml/bomb.xml")


async def test_slow_speaker_times_out(
    fake_speaker: FakeSpeaker, http_session: aiohttp.ClientSession
) -> None:
    client = SonosUpnpClient(http_session, timeout=0.2)
    entered = asyncio.Event()

    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        entered.set()
        await fake_speaker.release.wait()
        return _volume_answer()

    fake_speaker.handler = handler
    with pytest.raises(
        UpnpConnectionError,
        match=r"GetVolume on 127\.0\.0\.1:\d+ timed out after 0\.2 s$",
    ):
        await _get_volume(client, fake_speaker)
    assert entered.is_set()
    with pytest.raises(UpnpConnectionError, match=r"GET /xml/x\.xml .* timed out"):
        await client.fetch(fake_speaker.host, fake_speaker.port, "/xml/x.xml")
    fake_speaker.release.set()


async def test_broken_connection_is_a_connection_error(
    fake_speaker: FakeSpeaker, client: SonosUpnpClient
) -> None:
    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "5000"})
        await response.prepare(request)
        await response.write(b"<s:Envelope")
        assert request.transport is not None
        request.transport.close()
        return response

    fake_speaker.handler = handler
    with pytest.raises(UpnpConnectionError) as err:
        await _get_volume(client, fake_speaker)
    assert str(err.value) == (
        f"RenderingControl.GetVolume on 127.0.0.1:{fake_speaker.port} failed: "
        "the answer broke off before it was complete"
    )
    with pytest.raises(UpnpConnectionError, match="failed: the answer broke off"):
        await client.fetch(fake_speaker.host, fake_speaker.port, "/xml/x.xml")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_refused_connection_is_a_connection_error(
    client: SonosUpnpClient,
) -> None:
    port = _closed_port()
    readable = f"cannot connect to 127.0.0.1:{port}: connection refused"
    with pytest.raises(UpnpConnectionError) as err:
        await client.call(
            "127.0.0.1", port, "RenderingControl", "GetVolume", {"Channel": "Master"}
        )
    # Words, not aiohttp's repr of a ConnectionKey.
    assert str(err.value) == readable
    with pytest.raises(UpnpConnectionError) as err:
        await client.device_description("127.0.0.1", port)
    assert str(err.value) == readable


async def test_refused_arguments_send_nothing(
    fake_speaker: FakeSpeaker, client: SonosUpnpClient
) -> None:
    host, port = fake_speaker.host, fake_speaker.port
    with pytest.raises(UpnpArgumentError, match="unknown service 'Nope'"):
        await client.call(host, port, "Nope", "Play")
    with pytest.raises(UpnpArgumentError, match="has no action 'Fly'"):
        await client.call(host, port, "AVTransport", "Fly")
    with pytest.raises(UpnpArgumentError, match="missing argument"):
        await client.call(host, port, "RenderingControl", "GetVolume")
    with pytest.raises(UpnpArgumentError, match="invalid port"):
        await client.call(host, 0, "DeviceProperties", "GetHouseholdID")
    with pytest.raises(UpnpArgumentError, match="must start with /"):
        await client.fetch(host, port, "xml/device_description.xml")
    with pytest.raises(UpnpArgumentError, match="must start with /"):
        await client.fetch(host, port, "//evil.example/x")
    assert fake_speaker.requests == []


async def test_fetch_and_device_description(
    fake_speaker: FakeSpeaker, client: SonosUpnpClient
) -> None:
    description = (FIXTURES / "description" / "sonos_one.xml").read_bytes()

    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        if request.path == "/xml/device_description.xml":
            return _answer(description)
        return web.Response(status=404)

    fake_speaker.handler = handler
    host, port = fake_speaker.host, fake_speaker.port
    assert await client.fetch(host, port, "/xml/device_description.xml") == description
    parsed = await client.device_description(host, port)
    assert parsed.udn == "RINCON_48A6B8C0FFEE01400"
    assert parsed.room_name == "Tom & Jerry"
    with pytest.raises(UpnpConnectionError, match="HTTP 404"):
        await client.fetch(host, port, "/xml/missing.xml")
    assert all(r.method == "GET" for r in fake_speaker.requests)


async def test_device_description_of_a_stranger(
    fake_speaker: FakeSpeaker, client: SonosUpnpClient
) -> None:
    stranger = (FIXTURES / "description" / "media_renderer_not_sonos.xml").read_bytes()

    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        return _answer(stranger)

    fake_speaker.handler = handler
    with pytest.raises(NotASonosDeviceError):
        await client.device_description(fake_speaker.host, fake_speaker.port)


@pytest.mark.parametrize("status", [404, 403, 401, 302, 204])
async def test_a_web_server_without_a_description_is_not_sonos(
    fake_speaker: FakeSpeaker, client: SonosUpnpClient, status: int
) -> None:
    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        headers = {"Location": "http://127.0.0.1:1/login"} if status == 302 else {}
        return web.Response(status=status, headers=headers, text="Not here")

    fake_speaker.handler = handler
    with pytest.raises(NotASonosDeviceError) as err:
        await client.device_description(fake_speaker.host, fake_speaker.port)
    assert str(err.value) == (
        f"127.0.0.1:{fake_speaker.port} answered HTTP {status} instead of a Sonos "
        "device description"
    )


async def test_a_failing_server_is_a_connection_error(
    fake_speaker: FakeSpeaker, client: SonosUpnpClient
) -> None:
    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        return web.Response(status=503)

    fake_speaker.handler = handler
    with pytest.raises(UpnpConnectionError, match="answered HTTP 503") as err:
        await client.device_description(fake_speaker.host, fake_speaker.port)
    assert not isinstance(err.value, NotASonosDeviceError)


async def test_household_id(fake_speaker: FakeSpeaker, client: SonosUpnpClient) -> None:
    service = get_service("DeviceProperties")

    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        assert request.path == service.control_url
        return _answer(
            soap_response(
                service.service_type,
                "GetHouseholdID",
                [("CurrentHouseholdID", "Sonos_abcdefghijklmnopqrstuvwxyz")],
            )
        )

    fake_speaker.handler = handler
    household = await client.household_id(fake_speaker.host, fake_speaker.port)
    assert household == "Sonos_abcdefghijklmnopqrstuvwxyz"


async def test_scpd_actions(fake_speaker: FakeSpeaker, client: SonosUpnpClient) -> None:
    scpd = (FIXTURES / "scpd" / "rendering_control_subset.xml").read_bytes()

    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        if request.path == RENDERING.scpd_url:
            return _answer(scpd)
        return web.Response(status=404)

    fake_speaker.handler = handler
    actions = await client.scpd_actions(
        fake_speaker.host, fake_speaker.port, "RenderingControl"
    )
    assert [a.name for a in actions] == ["GetVolume", "SetMute", "ResetBasicEQ"]
    assert actions[0].outputs == (
        ScpdArgument("CurrentVolume", "out", "Volume", "ui2"),
    )
    with pytest.raises(UpnpConnectionError, match="HTTP 404"):
        await client.scpd_actions(fake_speaker.host, fake_speaker.port, "AlarmClock")


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("192.168.1.20", 1400, "http://192.168.1.20:1400"),
        ("sonos-kitchen.local", 1400, "http://sonos-kitchen.local:1400"),
        ("fe80::1", 1400, "http://[fe80::1]:1400"),
        ("[fe80::1]", 1400, "http://[fe80::1]:1400"),
        ("FE80:0:0::1%eth0", 1401, "http://[fe80::1%25eth0]:1401"),
        ("::ffff:192.168.1.2", 80, "http://[::ffff:192.168.1.2]:80"),
        ("127.0.0.1", 65535, "http://127.0.0.1:65535"),
    ],
)
def test_base_url(host: str, port: int, url: str) -> None:
    assert base_url(host, port) == url


@pytest.mark.parametrize(
    ("host", "port"),
    [
        ("", 1400),
        ("a/b", 1400),
        ("user@host", 1400),
        ("host:1400", 1400),
        ("1.2.3.4%eth0", 1400),
        ("1.2.3.4", 0),
        ("1.2.3.4", 65536),
        ("1.2.3.4", True),
    ],
)
def test_base_url_refuses(host: str, port: int) -> None:
    with pytest.raises(UpnpArgumentError):
        base_url(host, port)
