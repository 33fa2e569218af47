"""GENA: SUBSCRIBE / renew / UNSUBSCRIBE and ordered NOTIFY delivery."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import re
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from aiohttp import web

from custom_components.sonos_upnp.upnp.catalog import Service

from .faults import event_body
from .xml_tools import propertyset

if TYPE_CHECKING:
    from .player import Player

MAX_TIMEOUT: Final = 3600
_CALLBACK: Final = re.compile(r"<([^<>]+)>")
_TIMEOUT: Final = re.compile(r"^\s*Second-(\d+)\s*$", re.IGNORECASE)
_SEQ_WRAP: Final = 2**32
# Kept-alive NOTIFY connections per listener, and the size of an answer's head.
_MAX_IDLE: Final = 8
_MAX_RESPONSE_HEAD: Final = 64 * 1024


@dataclass(slots=True)
class EventCounters:
    """NOTIFY outcomes of one player (all subscriptions)."""

    sent: int = 0
    failed: int = 0
    dropped: int = 0


@dataclass(slots=True)
class SubscriptionRequests:
    """GENA requests one player answered (all services, any outcome)."""

    subscribe: int = 0
    renew: int = 0
    unsubscribe: int = 0


@dataclass(slots=True)
class Subscription:
    """One GENA subscription: callbacks, expiry, sequence and delivery queue."""

    sid: str
    service: Service
    callbacks: tuple[str, ...]
    timeout: int
    expires_at: float
    next_seq: int = 0
    queue: asyncio.Queue[tuple[int, bytes]] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None
    delivered: deque[int] = field(default_factory=lambda: deque(maxlen=1000))
    """SEQs delivered (the last 1000)."""


@dataclass(slots=True)
class _Connection:
    """A connection to an event listener."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    local_host: str


@dataclass(frozen=True, slots=True)
class _CallbackTarget:
    """Where a callback URL sends NOTIFYs to (read once per URL)."""

    netloc: str
    host: str
    port: int
    request_target: str


@dataclass(frozen=True, slots=True)
class SentNotify:
    """A NOTIFY the emulator finished writing (see `NotifyTap`)."""

    at: float
    """time.perf_counter() right after the write."""
    callback: str
    """The listener's host:port."""
    service: str
    seq: int


@dataclass(slots=True)
class NotifyTap:
    """Opt-in (benchmarks): hold NOTIFYs to some listeners; note every send.

    Set `household.notify_tap = NotifyTap()`. A NOTIFY to a held listener
    (host:port of its callback URL) waits, in order, until `release`: nothing
    is dropped. Every NOTIFY written is noted in `sent`.

    Events queued for a held listener are parked here rather than in their
    subscription's queue, so that its delivery tasks do not even wake while
    the other listener's NOTIFYs are timed.
    """

    held: set[str] = field(default_factory=set)
    sent: list[SentNotify] = field(default_factory=list)
    parked: dict[str, list[tuple[Subscription, int, bytes]]] = field(
        default_factory=dict
    )
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    def hold(self, callback: str) -> None:
        """Keep NOTIFYs to callback (host:port) back until `release`."""
        self.held.add(callback)

    def park(self, subscription: Subscription, seq: int, body: bytes) -> bool:
        """Keep an event for a held listener; False when it is not held."""
        target = _callback_target(subscription.callbacks[0])
        callback = (
            target.netloc if target else urlsplit(subscription.callbacks[0]).netloc
        )
        if callback not in self.held:
            return False
        self.parked.setdefault(callback, []).append((subscription, seq, body))
        return True

    def release(self, callback: str) -> None:
        """Send the NOTIFYs held for callback, and later ones at once."""
        self.held.discard(callback)
        for subscription, seq, body in self.parked.pop(callback, []):
            subscription.queue.put_nowait((seq, body))
        self._released.set()
        self._released = asyncio.Event()

    async def wait_open(self, callback: str) -> None:
        """Return when NOTIFYs to callback may be sent."""
        while callback in self.held:
            await self._released.wait()


def is_loopback_url(url: str) -> bool:
    """Return True when url points at this machine (we never send elsewhere)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


@functools.lru_cache(maxsize=1024)
def _callback_target(url: str) -> _CallbackTarget | None:
    """Read a callback URL; None for one beyond loopback (never sent to).

    Cached: a subscription sends every event to the same URLs, and parsing
    them for each NOTIFY would put the emulator's own work between the
    NOTIFYs of one change, where a real household spends none of ours.
    """
    if not is_loopback_url(url):
        return None
    parts = urlsplit(url)
    request_target = parts.path or "/"
    if parts.query:
        request_target = f"{request_target}?{parts.query}"
    return _CallbackTarget(
        parts.netloc, parts.hostname or "", parts.port or 80, request_target
    )


def granted_timeout(header: str | None) -> int:
    """Grant the requested timeout, capped at MAX_TIMEOUT (default: the cap)."""
    if header and (match := _TIMEOUT.match(header)):
        return max(1, min(int(match.group(1)), MAX_TIMEOUT))
    return MAX_TIMEOUT


class Gena:
    """The GENA side of one player."""

    def __init__(self, player: Player) -> None:
        """Start without subscriptions."""
        self._player = player
        self.subscriptions: dict[str, Subscription] = {}
        self.counters = EventCounters()
        self.requests = SubscriptionRequests()
        self._counted = asyncio.Condition()
        # Kept-alive connections by (our address, listener's host:port).
        self._idle: dict[tuple[str, str], list[_Connection]] = {}
        self._turn = 0

    async def wait_for_counters(
        self, predicate: Callable[[EventCounters], bool], timeout: float = 5.0
    ) -> EventCounters:
        """Wait until the NOTIFY counters satisfy predicate (TimeoutError if not)."""
        async with asyncio.timeout(timeout), self._counted:
            await self._counted.wait_for(lambda: predicate(self.counters))
        return self.counters

    async def _count(self, outcome: str) -> None:
        setattr(self.counters, outcome, getattr(self.counters, outcome) + 1)
        async with self._counted:
            self._counted.notify_all()

    # -- HTTP -------------------------------------------------------------

    async def handle(
        self, request: web.Request, service: Service
    ) -> web.StreamResponse:
        """Answer SUBSCRIBE or UNSUBSCRIBE on a service's event URL."""
        if request.method == "UNSUBSCRIBE":
            self.requests.unsubscribe += 1
            return self._unsubscribe(request)
        sid = request.headers.get("SID")
        callback = request.headers.get("CALLBACK")
        nt = request.headers.get("NT")
        if sid is not None:
            self.requests.renew += 1
            if callback is not None or nt is not None:
                return web.Response(status=400)
            return self._renew(sid, service, request.headers.get("TIMEOUT"))
        self.requests.subscribe += 1
        if nt != "upnp:event" or callback is None:
            return web.Response(status=412)
        callbacks = tuple(
            url for url in _CALLBACK.findall(callback) if url.startswith("http://")
        )
        if not callbacks:
            return web.Response(status=412)
        subscription = self._create(service, callbacks, request.headers.get("TIMEOUT"))
        response = web.Response(status=200, headers=self._headers(subscription))
        await response.prepare(request)
        await response.write_eof()
        # The initial event follows the answer, as on a real player.
        self.notify_subscription(subscription, self._player.event_values(service.name))
        return response

    def _headers(self, subscription: Subscription) -> dict[str, str]:
        return {
            "SID": subscription.sid,
            "TIMEOUT": f"Second-{subscription.timeout}",
            "Server": "Linux UPnP/1.0 Sonos/85.0-64200 (ZPS1)",
        }

    def _renew(self, sid: str, service: Service, timeout: str | None) -> web.Response:
        subscription = self.subscriptions.get(sid)
        if (
            subscription is None
            or subscription.service is not service
            or subscription.expires_at <= self._now()  # expired, not yet reaped
        ):
            return web.Response(status=412)
        subscription.timeout = granted_timeout(timeout)
        subscription.expires_at = self._now() + subscription.timeout
        return web.Response(status=200, headers=self._headers(subscription))

    def _unsubscribe(self, request: web.Request) -> web.Response:
        if "CALLBACK" in request.headers or "NT" in request.headers:
            return web.Response(status=400)
        sid = request.headers.get("SID")
        subscription = self.subscriptions.pop(sid, None) if sid else None
        if subscription is None:
            return web.Response(status=412)
        if subscription.task is not None:
            subscription.task.cancel()
        return web.Response(status=200)

    # -- state ------------------------------------------------------------

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _create(
        self, service: Service, callbacks: tuple[str, ...], timeout: str | None
    ) -> Subscription:
        granted = granted_timeout(timeout)
        subscription = Subscription(
            sid=f"uuid:{self._player.uuid}_sub{uuid.uuid4().hex[:16]}",
            service=service,
            callbacks=callbacks,
            timeout=granted,
            expires_at=self._now() + granted,
        )
        self.subscriptions[subscription.sid] = subscription
        subscription.task = asyncio.get_running_loop().create_task(
            self._deliver_loop(subscription),
            name=f"emulator NOTIFY {self._player.room_name} {service.name}",
        )
        return subscription

    def for_service(self, service_name: str) -> list[Subscription]:
        """Return the live subscriptions to a service."""
        return [
            s for s in self.subscriptions.values() if s.service.name == service_name
        ]

    def notify(self, service_name: str, values: Mapping[str, str]) -> None:
        """Queue an event for every subscription to the service.

        Who is sent to first takes turns, so that of two clients subscribed
        to the same player neither always hears of a change first.
        """
        subscriptions = self.for_service(service_name)
        if not subscriptions:
            return
        self._turn += 1
        first = self._turn % len(subscriptions)
        for subscription in subscriptions[first:] + subscriptions[:first]:
            self.notify_subscription(subscription, values)

    def notify_subscription(
        self, subscription: Subscription, values: Mapping[str, str]
    ) -> None:
        """Queue an event with the subscription's next SEQ."""
        seq = subscription.next_seq
        # SEQ wraps to 1, never back to 0 (0 is the initial event only).
        subscription.next_seq = seq + 1 if seq + 1 < _SEQ_WRAP else 1
        body = propertyset(values)
        tap = self._player.household.notify_tap
        if tap is None or not tap.park(subscription, seq, body):
            subscription.queue.put_nowait((seq, body))

    async def forget(self) -> None:
        """Drop every subscription (a reboot): renewals then answer 412."""
        subscriptions = list(self.subscriptions.values())
        self.subscriptions.clear()
        tasks = [s.task for s in subscriptions if s.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- delivery ---------------------------------------------------------

    def _take_idle(self, netloc: str) -> _Connection | None:
        """Return a kept-alive connection to netloc from the player's address."""
        idle = self._idle.get((self._player.host, netloc))
        while idle:
            connection = idle.pop()
            if not connection.writer.is_closing() and not connection.reader.at_eof():
                return connection
            connection.writer.close()
        return None

    def _keep_idle(self, netloc: str, connection: _Connection) -> None:
        idle = self._idle.setdefault((connection.local_host, netloc), [])
        # A player given a new address sends from that one from now on.
        if connection.local_host == self._player.host and len(idle) < _MAX_IDLE:
            idle.append(connection)
        else:
            connection.writer.close()

    async def _connect(self, host: str, port: int) -> _Connection:
        """Open a connection from the player's own address.

        Its connections leave from the player's own address, as a real
        player's NOTIFYs do: a listener that checks who sent an event sees
        the player, not one address shared by the whole household.
        """
        local_host = self._player.host
        reader, writer = await asyncio.open_connection(
            host, port, local_addr=(local_host, 0), limit=_MAX_RESPONSE_HEAD
        )
        return _Connection(reader, writer, local_host)

    async def _post(
        self,
        target: _CallbackTarget,
        head: bytes,
        body: bytes,
        on_written: Callable[[], None] | None = None,
    ) -> int:
        """Send one NOTIFY; return the answer's status.

        A speaker sends a NOTIFY as soon as the change happens, on a kept-alive
        connection when it has one: this is a plain HTTP/1.1 exchange, not a
        general client (whose per-request work would delay every subscriber's
        event in the shared event loop). A kept-alive connection the listener
        closed meanwhile is replaced once.
        """
        connection = self._take_idle(target.netloc)
        reused = connection is not None
        while True:
            if connection is None:
                connection = await self._connect(target.host, target.port)
            kept = False
            try:
                # One write: a small event leaves in one segment, as a speaker's.
                connection.writer.write(head + body)
                await connection.writer.drain()
                if on_written is not None:
                    on_written()
                status, kept = await _read_response(connection.reader)
            except (ConnectionError, asyncio.IncompleteReadError) as err:
                if not reused:
                    raise OSError(f"NOTIFY to {target.netloc} failed: {err!r}") from err
                reused = False  # closed by the listener while idle: a new one
            else:
                return status
            finally:
                if kept:
                    self._keep_idle(target.netloc, connection)
                else:
                    connection.writer.close()
            connection = None

    async def close(self) -> None:
        """Drop every subscription and close the kept-alive connections."""
        await self.forget()
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.writer.close()

    async def _deliver_loop(self, subscription: Subscription) -> None:
        """Send queued NOTIFYs in order until the subscription expires."""
        try:
            while True:
                remaining = subscription.expires_at - self._now()
                if remaining <= 0:
                    break
                try:
                    async with asyncio.timeout(remaining):
                        seq, body = await subscription.queue.get()
                except TimeoutError:
                    continue  # re-check: a renewal may have moved the expiry
                await self._deliver(subscription, seq, body)
                # An UNSUBSCRIBE or reset cancels this task; should the
                # cancellation be lost inside a NOTIFY (counted as failed),
                # end here all the same.
                if self.subscriptions.get(subscription.sid) is not subscription:
                    break
        finally:
            if self.subscriptions.get(subscription.sid) is subscription:
                del self.subscriptions[subscription.sid]

    async def _deliver(self, subscription: Subscription, seq: int, body: bytes) -> None:
        if self._player.faults.drop_events:
            await self._count("dropped")
            return
        body = event_body(self._player.faults, body)
        # Every header after HOST, the same for each callback.
        rest = (
            'CONTENT-TYPE: text/xml; charset="utf-8"\r\n'
            f"CONTENT-LENGTH: {len(body)}\r\n"
            "NT: upnp:event\r\n"
            "NTS: upnp:propchange\r\n"
            f"SID: {subscription.sid}\r\n"
            f"SEQ: {seq}\r\n\r\n"
        )
        for url in subscription.callbacks:
            if (target := _callback_target(url)) is None:
                continue  # never send anything beyond loopback
            head = (
                f"NOTIFY {target.request_target} HTTP/1.1\r\n"
                f"HOST: {target.netloc}\r\n{rest}"
            ).encode("latin-1")
            on_written = None
            if (tap := self._player.household.notify_tap) is not None:
                await tap.wait_open(target.netloc)
                on_written = _noting(tap, target.netloc, subscription.service.name, seq)
            try:
                async with asyncio.timeout(self._player.household.notify_timeout):
                    status = await self._post(target, head, body, on_written)
            except TimeoutError, OSError, ValueError, asyncio.LimitOverrunError:
                continue
            if status >= 300:
                continue
            subscription.delivered.append(seq)
            await self._count("sent")
            return
        await self._count("failed")


def _noting(
    tap: NotifyTap, callback: str, service: str, seq: int
) -> Callable[[], None]:
    def note() -> None:
        tap.sent.append(SentNotify(time.perf_counter(), callback, service, seq))

    return note


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read an HTTP/1.1 answer; return its status and whether to keep the line."""
    status_line = await reader.readuntil(b"\r\n")
    version, _, rest = status_line.decode("latin-1").partition(" ")
    status = int(rest.split(" ", 1)[0])
    headers: dict[str, str] = {}
    while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    keep = version == "HTTP/1.1" and "close" not in headers.get("connection", "")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        while await reader.readuntil(b"\r\n") != b"\r\n":
            pass
    elif (length := headers.get("content-length")) is not None:
        await reader.readexactly(int(length))
    elif status >= 200 and status not in {204, 304}:
        keep = False  # the body runs to the end of the connection
    return status, keep
