"""A loopback HTTP server that collects NOTIFY requests for the tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web
from defusedxml import ElementTree as SafeElementTree

EVENT_NS = "{urn:schemas-upnp-org:event-1-0}"


@dataclass
class Notify:
    headers: dict[str, str]
    values: dict[str, str]
    body: bytes
    remote: str | None = None
    """The address the NOTIFY came from."""

    @property
    def seq(self) -> int:
        return int(self.headers["SEQ"])


class NotifySink:
    def __init__(self) -> None:
        self.received: asyncio.Queue[Notify] = asyncio.Queue()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        assert request.method == "NOTIFY"
        body = await request.read()
        values: dict[str, str] = {}
        try:
            root = SafeElementTree.fromstring(body)
        except SafeElementTree.ParseError:
            root = None  # a spoiled body (fault): kept raw for the test
        if root is not None and root.tag == f"{EVENT_NS}propertyset":
            values = {
                child.tag: child.text or ""
                for prop in root.findall(f"{EVENT_NS}property")
                for child in prop
            }
        self.received.put_nowait(
            Notify(dict(request.headers), values, body, request.remote)
        )
        return web.Response(status=200)

    async def start(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("NOTIFY", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/notify"

    def close_connections(self) -> int:
        """Close every open connection, as a listener may; return how many."""
        assert self._runner is not None
        assert self._runner.server is not None
        connections = list(self._runner.server.connections)
        for connection in connections:
            connection.force_close()
            if connection.transport is not None:
                connection.transport.close()
        return len(connections)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def next(self, timeout: float = 5.0) -> Notify:
        async with asyncio.timeout(timeout):
            return await self.received.get()
