"""Fault switches of one player and the aiohttp middleware applying them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from aiohttp.typedefs import Middleware

if TYPE_CHECKING:
    from .player import Player

CONTROL_PREFIX: Final = "/emulator/"
GARBAGE: Final = b'<s:Envelope xmlns:s="x"><s:Body><u:Broken>&&<<\x00\xff not xml'
DEFAULT_OVERSIZED_BYTES: Final = 8 * 1024 * 1024

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(slots=True)
class Faults:
    """What is currently wrong with a player (all off by default)."""

    latency: float = 0.0
    """Seconds added before every answer."""
    drop_events: bool = False
    """NOTIFYs are never delivered (counted in `events_dropped`)."""
    zone_group_state_501: bool = False
    """GetZoneGroupState answers UPnP error 501, as large households do."""
    malformed_responses: int = 0
    """The next n answers are garbage instead of XML."""
    oversized_responses: int = 0
    """The next n answers are `oversized_bytes` long."""
    oversized_bytes: int = DEFAULT_OVERSIZED_BYTES
    malformed_events: int = 0
    """The next n NOTIFY bodies are garbage."""
    oversized_events: int = 0
    """The next n NOTIFY bodies are `oversized_bytes` long."""
    unresponsive: bool = False
    """Connections are accepted but nothing is ever answered."""
    _unblocked: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def set_unresponsive(self, value: bool) -> None:
        """Hang every request until this is switched off again."""
        self.unresponsive = value
        if value:
            self._unblocked.clear()
        else:
            self._unblocked.set()

    async def wait_until_responsive(self) -> None:
        """Return once the player answers again (at once when it does)."""
        if self.unresponsive:
            await self._unblocked.wait()

    def clear(self) -> None:
        """Switch every fault off."""
        self.latency = 0.0
        self.drop_events = False
        self.zone_group_state_501 = False
        self.malformed_responses = 0
        self.oversized_responses = 0
        self.oversized_bytes = DEFAULT_OVERSIZED_BYTES
        self.malformed_events = 0
        self.oversized_events = 0
        self.set_unresponsive(False)

    def to_json(self) -> dict[str, Any]:
        """Return the switches as JSON-able data."""
        return {
            "latency": self.latency,
            "drop_events": self.drop_events,
            "zone_group_state_501": self.zone_group_state_501,
            "malformed_responses": self.malformed_responses,
            "oversized_responses": self.oversized_responses,
            "oversized_bytes": self.oversized_bytes,
            "malformed_events": self.malformed_events,
            "oversized_events": self.oversized_events,
            "unresponsive": self.unresponsive,
        }


def event_body(faults: Faults, body: bytes) -> bytes:
    """Return the NOTIFY body to send: as built, or spoiled by a fault."""
    if faults.malformed_events > 0:
        faults.malformed_events -= 1
        return GARBAGE
    if faults.oversized_events > 0:
        faults.oversized_events -= 1
        head = (
            b'<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0">'
            b"<e:property><Padding>"
        )
        tail = b"</Padding></e:property></e:propertyset>"
        size = faults.oversized_bytes - len(head) - len(tail)
        return head + b"x" * max(size, 0) + tail
    return body


def oversized_body(size: int) -> bytes:
    """Return a well-formed but huge SOAP-looking body of at least size bytes."""
    head = b'<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Padding>'
    tail = b"</Padding></s:Body></s:Envelope>"
    return head + b"x" * max(size - len(head) - len(tail), 0) + tail


def fault_middleware(player: Player) -> Middleware:
    """Build the middleware that applies a player's faults to its answers."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        faults = player.faults
        player.requests_served += 1
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        await faults.wait_until_responsive()
        if faults.latency > 0:
            await asyncio.sleep(faults.latency)
        response = await handler(request)
        if response.prepared:  # GENA answers are already on the wire
            return response
        if faults.malformed_responses > 0:
            faults.malformed_responses -= 1
            return web.Response(body=GARBAGE, content_type="text/xml", status=200)
        if faults.oversized_responses > 0:
            faults.oversized_responses -= 1
            return web.Response(
                body=oversized_body(faults.oversized_bytes),
                content_type="text/xml",
                status=200,
            )
        return response

    return middleware
