"""Small real HTTP servers and SOAP helpers for the client tests.

The request parsing here uses lxml on purpose: the client builds envelopes with
its own code and reads answers with the stdlib through defusedxml, so an
independent parser checks what really goes over the wire.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import aiohttp
import pytest
from aiohttp import web
from lxml import etree

from custom_components.sonos_upnp.upnp.catalog import INTEGER_RANGES
from custom_components.sonos_upnp.upnp.catalog_types import Argument
from custom_components.sonos_upnp.upnp.listener import EventListener

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"
# Everything XML text escaping has to get right, plus non-ASCII.
SAMPLE_TEXT = "Tom & Jerry <Kitchen> \"1\" 'it's' é ✓ ]]> &amp;"

Handler = Callable[[web.Request, bytes], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class SoapRequest:
    """A control request as a strict, independent parser reads it."""

    namespace: str
    action: str
    arguments: list[tuple[str, str]]


def parse_soap_request(body: bytes) -> SoapRequest:
    """Parse a SOAP 1.1 request envelope strictly, failing on any deviation."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(body, parser)
    assert root.tag == f"{{{SOAP_NS}}}Envelope"
    assert root.get(f"{{{SOAP_NS}}}encodingStyle") == SOAP_ENCODING
    (soap_body,) = root
    assert soap_body.tag == f"{{{SOAP_NS}}}Body"
    (call,) = soap_body
    assert call.prefix == "u"
    namespace, _, action = call.tag[1:].partition("}")
    arguments = []
    for argument in call:
        assert argument.tag == etree.QName(argument).localname, "no namespace"
        assert len(argument) == 0
        arguments.append((argument.tag, argument.text or ""))
    return SoapRequest(namespace, action, arguments)


def sample_input(argument: Argument, variant: int = 0) -> tuple[object, str]:
    """Return a valid Python value for an input and its expected wire text."""
    if argument.data_type in INTEGER_RANGES:
        low, high = INTEGER_RANGES[argument.data_type]
        number = (high, low, 1)[variant % 3]
        if argument.allowed_values:
            number = int(
                argument.allowed_values[variant % len(argument.allowed_values)]
            )
        return number, str(number)
    if argument.data_type == "boolean":
        return (True, "1") if variant % 2 == 0 else ("false", "0")
    if argument.state_variable == "A_ARG_TYPE_Recurrence" and variant % 2:
        return "ON_1245", "ON_1245"
    if argument.allowed_values:
        text = argument.allowed_values[variant % len(argument.allowed_values)]
        return text, text
    return SAMPLE_TEXT, SAMPLE_TEXT


def sample_output(argument: Argument, variant: int = 0) -> tuple[str, object]:
    """Return a speaker's wire text for an output and the typed value expected."""
    if argument.data_type in INTEGER_RANGES:
        low, high = INTEGER_RANGES[argument.data_type]
        number = (high, low, 7)[variant % 3]
        return str(number), number
    if argument.data_type == "boolean":
        return ("1", True) if variant % 2 == 0 else ("0", False)
    if argument.allowed_values:
        text = argument.allowed_values[variant % len(argument.allowed_values)]
        return text, text
    return SAMPLE_TEXT, SAMPLE_TEXT


def soap_response(
    service_type: str, action: str, outputs: list[tuple[str, str]]
) -> bytes:
    """Return a success envelope the way Sonos writes one."""
    inner = "".join(f"<{name}>{escape(text)}</{name}>" for name, text in outputs)
    return (
        '<?xml version="1.0"?>'
        f'<s:Envelope xmlns:s="{SOAP_NS}" s:encodingStyle="{SOAP_ENCODING}">'
        f'<s:Body><u:{action}Response xmlns:u="{service_type}">{inner}'
        f"</u:{action}Response></s:Body></s:Envelope>"
    ).encode()


def fault_response(code: str | int) -> bytes:
    """Return a UPnP fault envelope the way Sonos writes one (no description)."""
    return (
        f'<s:Envelope xmlns:s="{SOAP_NS}" s:encodingStyle="{SOAP_ENCODING}">'
        "<s:Body><s:Fault><faultcode>s:Client</faultcode>"
        "<faultstring>UPnPError</faultstring><detail>"
        '<UPnPError xmlns="urn:schemas-upnp-org:control-1-0">'
        f"<errorCode>{code}</errorCode></UPnPError></detail></s:Fault>"
        "</s:Body></s:Envelope>"
    ).encode()


@dataclass
class RecordedRequest:
    """What the fake speaker received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


async def _not_found(request: web.Request, body: bytes) -> web.StreamResponse:
    return web.Response(status=404)


@dataclass
class FakeSpeaker:
    """A loopback HTTP server whose answers each test decides."""

    host: str = "127.0.0.1"
    port: int = 0
    handler: Handler = _not_found
    requests: list[RecordedRequest] = field(default_factory=list)
    # Set by tests that hold a handler open; released before teardown.
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            RecordedRequest(
                request.method, request.path_qs, dict(request.headers), body
            )
        )
        return await self.handler(request, body)


@pytest.fixture
async def fake_speaker(socket_enabled: None) -> AsyncIterator[FakeSpeaker]:
    """Run a FakeSpeaker on 127.0.0.1 with an OS-chosen port."""
    speaker = FakeSpeaker()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", speaker.dispatch)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    speaker.port = runner.addresses[0][1]
    try:
        yield speaker
    finally:
        speaker.release.set()
        await runner.cleanup()


@pytest.fixture
async def http_session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp session closed at teardown."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """Return a client session for tests that talk HTTP themselves."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def listener(socket_enabled: None) -> AsyncIterator[EventListener]:
    """Run an EventListener on 127.0.0.1 with an OS-chosen port."""
    event_listener = EventListener(host="127.0.0.1")
    await event_listener.start()
    try:
        yield event_listener
    finally:
        await event_listener.stop()
