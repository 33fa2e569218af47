"""The HTTP server that receives GENA NOTIFYs from speakers.

One `EventListener` serves every subscription of the integration. Each
subscription registers its SID with the speaker's host and a callback; the
listener checks every NOTIFY (headers, sender, size, body), tracks the event
sequence per SID and calls the callback synchronously in the event loop.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Final

from aiohttp import web

from .error_text import describe_os_error
from .events import UpnpEvent, build_event, parse_property_set
from .exceptions import UpnpConnectionError, UpnpResponseError
from .safe_xml import read_capped

_LOGGER = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES: Final = 256 * 1024
DEFAULT_PENDING_TTL: Final = 5.0
# Bounds the memory a stranger can make us hold with early NOTIFYs.
MAX_PENDING_EVENTS: Final = 64
# GENA: SEQ is a 32-bit counter that wraps to 1, never back to 0.
_SEQ_MAX: Final = 2**32 - 1

type EventCallback = Callable[[UpnpEvent], None]
type ResyncCallback = Callable[[str], None]


@dataclass(slots=True)
class _Registration:
    """A SID the listener delivers events for."""

    host: str
    service: str
    callback: EventCallback
    on_resync: ResyncCallback | None
    next_seq: int | None = None


@dataclass(slots=True)
class _PendingEvent:
    """A NOTIFY that arrived before its SUBSCRIBE response was processed."""

    event: UpnpEvent
    received_at: float


@dataclass(slots=True)
class _Pending:
    """Early NOTIFYs, kept while a SUBSCRIBE to their sender is in flight."""

    expected_hosts: dict[str, int] = field(default_factory=dict)
    events: dict[str, list[_PendingEvent]] = field(default_factory=dict)


class _RefusedError(Exception):
    """A NOTIFY the listener answers with an error status."""

    def __init__(self, status: HTTPStatus) -> None:
        """Keep the status to answer with."""
        super().__init__(status)
        self.status = status


def normalize_host(host: str) -> str:
    """Return an IP in canonical form (IPv4-mapped IPv6 as IPv4); names as is."""
    try:
        address = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return host.lower()
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)


def _next_seq(seq: int) -> int:
    """Return the SEQ that follows seq."""
    return 1 if seq >= _SEQ_MAX else seq + 1


class EventListener:
    """An aiohttp server answering NOTIFY on any path.

    Speaker hosts must be IP addresses: the sender of a NOTIFY is checked
    against the host its SID was registered for.
    """

    def __init__(
        self,
        *,
        host: str = "0.0.0.0",  # noqa: S104 - speakers must reach us
        port: int = 0,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        pending_ttl: float = DEFAULT_PENDING_TTL,
    ) -> None:
        """Configure the server; nothing is bound before `start`."""
        self._host = host
        self._requested_port = port
        self._max_body_bytes = max_body_bytes
        self._pending_ttl = pending_ttl
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._registrations: dict[str, _Registration] = {}
        self._pending = _Pending()

    @property
    def port(self) -> int:
        """Return the port the server is bound to."""
        if self._port is None:
            raise UpnpConnectionError("event listener is not started")
        return self._port

    @property
    def started(self) -> bool:
        """Return whether the server is running."""
        return self._runner is not None

    async def start(self) -> None:
        """Bind the server; raise UpnpConnectionError if the port is unavailable."""
        if self._runner is not None:
            return
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._requested_port)
        try:
            await site.start()
        except OSError as err:
            await runner.cleanup()
            raise UpnpConnectionError(
                f"cannot listen on {self._host}:{self._requested_port}: "
                f"{describe_os_error(err)}"
            ) from err
        self._runner = runner
        self._port = runner.addresses[0][1]
        _LOGGER.debug("Event listener on %s:%s", self._host, self._port)

    async def stop(self) -> None:
        """Close the server and forget every registration."""
        runner, self._runner = self._runner, None
        self._port = None
        self._registrations.clear()
        self._pending = _Pending()
        if runner is not None:
            await runner.cleanup()

    def register(
        self,
        sid: str,
        host: str,
        service: str,
        callback: EventCallback,
        on_resync: ResyncCallback | None = None,
    ) -> None:
        """Deliver NOTIFYs for sid from host to callback.

        on_resync(sid) is called when the event sequence shows that events
        were lost, so the owner can re-read the state. Early NOTIFYs kept for
        sid are delivered now, in SEQ order.
        """
        registration = _Registration(normalize_host(host), service, callback, on_resync)
        self._registrations[sid] = registration
        self._expire_pending()
        early = self._pending.events.pop(sid, [])
        for pending in sorted(early, key=lambda item: item.event.seq):
            if normalize_host(pending.event.host) == registration.host:
                event = replace(pending.event, service=service)
                self._deliver(sid, registration, event)

    def unregister(self, sid: str) -> None:
        """Stop delivering events for sid (unknown SIDs are ignored)."""
        self._registrations.pop(sid, None)
        self._pending.events.pop(sid, None)

    def is_registered(self, sid: str) -> bool:
        """Return whether events for sid are delivered."""
        return sid in self._registrations

    @contextmanager
    def expect_from(self, host: str) -> Iterator[None]:
        """Keep early NOTIFYs from host while a SUBSCRIBE to it is in flight.

        The initial event (SEQ 0) may overtake the SUBSCRIBE response; inside
        this context NOTIFYs from host for unknown SIDs are answered 200 and
        kept for `pending_ttl` seconds until their SID is registered.
        """
        key = normalize_host(host)
        expected = self._pending.expected_hosts
        expected[key] = expected.get(key, 0) + 1
        try:
            yield
        finally:
            expected[key] -= 1
            if not expected[key]:
                del expected[key]

    def _expire_pending(self) -> None:
        """Drop early NOTIFYs older than the TTL."""
        deadline = time.monotonic() - self._pending_ttl
        for sid in list(self._pending.events):
            kept = [
                item
                for item in self._pending.events[sid]
                if item.received_at >= deadline
            ]
            if kept:
                self._pending.events[sid] = kept
            else:
                del self._pending.events[sid]

    def _keep_early(self, event: UpnpEvent) -> bool:
        """Keep an early NOTIFY; return False when the buffer is full."""
        self._expire_pending()
        if sum(len(items) for items in self._pending.events.values()) >= (
            MAX_PENDING_EVENTS
        ):
            return False
        self._pending.events.setdefault(event.sid, []).append(
            _PendingEvent(event, time.monotonic())
        )
        return True

    def _deliver(self, sid: str, registration: _Registration, event: UpnpEvent) -> None:
        """Check the sequence, then hand the event to the owner."""
        expected = 0 if registration.next_seq is None else registration.next_seq
        # A fresh SEQ 0 restarts the sequence with a full state: no resync.
        if event.seq not in (expected, 0):
            _LOGGER.debug(
                "SID %s: SEQ %s where %s was expected; resyncing",
                sid,
                event.seq,
                expected,
            )
            if registration.on_resync is not None:
                try:
                    registration.on_resync(sid)
                except Exception:
                    _LOGGER.exception("Resync callback for %s failed", sid)
        registration.next_seq = _next_seq(event.seq)
        try:
            registration.callback(event)
        except Exception:
            _LOGGER.exception("Event callback for %s failed", sid)

    async def _handle(self, request: web.Request) -> web.Response:
        """Answer one request; only well-formed NOTIFYs from known SIDs pass."""
        try:
            event = await self._read_notify(request)
        except _RefusedError as refused:
            return web.Response(status=refused.status)
        # The SID may have been registered or dropped while the body was read.
        registration = self._registrations.get(event.sid)
        if registration is None:
            if event.host in self._pending.expected_hosts and self._keep_early(event):
                return web.Response()
            return web.Response(status=HTTPStatus.PRECONDITION_FAILED)
        if registration.host != event.host:
            return web.Response(status=HTTPStatus.FORBIDDEN)
        self._deliver(
            event.sid, registration, replace(event, service=registration.service)
        )
        return web.Response()

    async def _read_notify(self, request: web.Request) -> UpnpEvent:
        """Check a request's headers, sender and body; return its event."""
        if request.method != "NOTIFY":
            raise _RefusedError(HTTPStatus.METHOD_NOT_ALLOWED)
        if (
            request.headers.get("NT") != "upnp:event"
            or request.headers.get("NTS") != "upnp:propchange"
        ):
            raise _RefusedError(HTTPStatus.BAD_REQUEST)
        sid = request.headers.get("SID", "")
        remote = normalize_host(request.remote or "")
        registration = self._registrations.get(sid)
        if registration is None and remote not in self._pending.expected_hosts:
            raise _RefusedError(HTTPStatus.PRECONDITION_FAILED)
        if registration is not None and registration.host != remote:
            _LOGGER.warning("NOTIFY for %s from stranger %s refused", sid, remote)
            raise _RefusedError(HTTPStatus.FORBIDDEN)
        try:
            seq = int(request.headers.get("SEQ", ""))
        except ValueError:
            raise _RefusedError(HTTPStatus.BAD_REQUEST) from None
        if not 0 <= seq <= _SEQ_MAX:
            raise _RefusedError(HTTPStatus.BAD_REQUEST)
        try:
            body = await read_capped(request, self._max_body_bytes)
        except UpnpResponseError:
            raise _RefusedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE) from None
        try:
            variables = parse_property_set(body, max_bytes=self._max_body_bytes)
            return build_event(
                sid=sid, seq=seq, service="", host=remote, variables=variables
            )
        except UpnpResponseError as err:
            _LOGGER.debug("Malformed NOTIFY for %s from %s: %s", sid, remote, err)
            raise _RefusedError(HTTPStatus.BAD_REQUEST) from None

    def __repr__(self) -> str:
        """Describe the listener for logs."""
        with suppress(UpnpConnectionError):
            return f"<EventListener {self._host}:{self.port}>"
        return "<EventListener (stopped)>"
