"""The HTTP server that receives GENA NOTIFYs from speakers.

One `EventListener` serves every subscription of the integration. Each
subscription registers its SID with the speaker's host and a callback; the
listener checks every NOTIFY (headers, sender, size, body), tracks the event
sequence per SID and calls the callback synchronously in the event loop.
Connections, reads and waits are bounded by `http_server.ServerLimits`; the
hosts of registered SIDs (and of SUBSCRIBEs in flight) are speakers there,
every other host a stranger.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Final

from .events import UpnpEvent, build_event, parse_property_set
from .exceptions import UpnpConnectionError, UpnpResponseError
from .http_server import GuardedHttpServer, HttpError, HttpRequest, ServerLimits

_LOGGER = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES: Final = 256 * 1024
DEFAULT_PENDING_TTL: Final = 5.0
# Bounds the memory a stranger can make us hold with early NOTIFYs.
MAX_PENDING_EVENTS: Final = 64
# GENA: SEQ is a 32-bit counter that wraps to 1, never back to 0.
_SEQ_MAX: Final = 2**32 - 1
# An event at most this far behind the last one delivered for its SID is a
# repeat or a late arrival, and dropped; one further back means the speaker
# started counting again, and is delivered (with a resync).
STALE_SEQ_WINDOW: Final = 1024

type EventCallback = Callable[[UpnpEvent], None]
type ResyncCallback = Callable[[str], None]


@dataclass(slots=True)
class _Registration:
    """A SID the listener delivers events for."""

    host: str
    service: str
    callback: EventCallback
    on_resync: ResyncCallback | None
    last_seq: int | None = None


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


def is_stale_seq(last: int, seq: int) -> bool:
    """Return whether seq repeats or precedes last, the SEQ last delivered.

    SEQ counts 0 (the initial event), 1 ... 2**32-1, then 1 again.
    """
    if seq == 0:
        # The initial event again: a repeat, unless the count went so far
        # that the speaker must have started afresh.
        return last < STALE_SEQ_WINDOW
    if last == 0:
        return False
    # Distance back from last to seq on the ring 1 .. 2**32-1.
    return (last - seq) % _SEQ_MAX < STALE_SEQ_WINDOW


class EventListener:
    """A server answering NOTIFY on any path.

    The host must be an IP address (the default listens on every IPv4
    interface). Speaker hosts must be IP addresses too: the sender of a NOTIFY
    is checked against the host its SID was registered for.
    """

    def __init__(
        self,
        *,
        host: str = "0.0.0.0",  # noqa: S104 - speakers must reach us
        port: int = 0,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        pending_ttl: float = DEFAULT_PENDING_TTL,
        limits: ServerLimits | None = None,
    ) -> None:
        """Configure the server; nothing is bound before `start`."""
        self._host = host
        self._requested_port = port
        self._max_body_bytes = max_body_bytes
        self._pending_ttl = pending_ttl
        self._server = GuardedHttpServer(
            self._check_head, self._handle, self._is_speaker, normalize_host, limits
        )
        self._started = False
        self._registrations: dict[str, _Registration] = {}
        self._registered_hosts: Counter[str] = Counter()
        self._pending = _Pending()

    @property
    def port(self) -> int:
        """Return the port the server is bound to."""
        port = self._server.port
        if port is None:
            raise UpnpConnectionError("event listener is not started")
        return port

    @property
    def started(self) -> bool:
        """Return whether the server is running."""
        return self._started

    @property
    def connection_count(self) -> int:
        """Return how many connections are open (for diagnostics and tests)."""
        return self._server.connection_count

    async def start(self) -> None:
        """Bind the server; raise UpnpConnectionError if the port is unavailable."""
        if self._started:
            return
        await self._server.start(self._host, self._requested_port)
        self._started = True
        _LOGGER.debug("Event listener on %s:%s", self._host, self.port)

    async def stop(self) -> None:
        """Close the server and forget every registration."""
        self._registrations.clear()
        self._registered_hosts.clear()
        self._pending = _Pending()
        if self._started:
            self._started = False
            await self._server.stop()

    def _is_speaker(self, host: str) -> bool:
        """Return whether host is a speaker we subscribed to (or are subscribing)."""
        return host in self._registered_hosts or host in self._pending.expected_hosts

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
        self._forget_host_of(sid)
        self._registrations[sid] = registration
        self._registered_hosts[registration.host] += 1
        self._expire_pending()
        early = self._pending.events.pop(sid, [])
        for pending in sorted(early, key=lambda item: item.event.seq):
            if normalize_host(pending.event.host) == registration.host:
                event = replace(pending.event, service=service)
                self._deliver(sid, registration, event)

    def unregister(self, sid: str) -> None:
        """Stop delivering events for sid (unknown SIDs are ignored)."""
        self._forget_host_of(sid)
        self._registrations.pop(sid, None)
        self._pending.events.pop(sid, None)

    def _forget_host_of(self, sid: str) -> None:
        if (registration := self._registrations.get(sid)) is not None:
            self._registered_hosts[registration.host] -= 1
            if not self._registered_hosts[registration.host]:
                del self._registered_hosts[registration.host]

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
        last = registration.last_seq
        if last is not None and is_stale_seq(last, event.seq):
            # A repeat or a late arrival: delivering it would set older state.
            _LOGGER.debug("SID %s: SEQ %s after %s dropped", sid, event.seq, last)
            return
        expected = 0 if last is None else _next_seq(last)
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
        registration.last_seq = event.seq
        try:
            registration.callback(event)
        except Exception:
            _LOGGER.exception("Event callback for %s failed", sid)

    def _handle(self, request: HttpRequest, body: bytes) -> HTTPStatus:
        """Answer a NOTIFY whose head passed `_check_head`, with its body."""
        sid = request.headers.get("sid", "")
        seq = int(request.headers["seq"])
        remote = request.remote
        try:
            variables = parse_property_set(body, max_bytes=self._max_body_bytes)
        except UpnpResponseError as err:
            _LOGGER.debug("Malformed NOTIFY for %s from %s: %s", sid, remote, err)
            raise HttpError(HTTPStatus.BAD_REQUEST) from None
        # The SID may have been registered or dropped while the body was read.
        registration = self._registrations.get(sid)
        if registration is None:
            if remote in self._pending.expected_hosts and self._keep_early(
                self._event(sid, seq, "", remote, variables)
            ):
                return HTTPStatus.OK
            return HTTPStatus.PRECONDITION_FAILED
        if registration.host != remote:
            return HTTPStatus.FORBIDDEN
        event = self._event(sid, seq, registration.service, remote, variables)
        self._deliver(sid, registration, event)
        return HTTPStatus.OK

    @staticmethod
    def _event(
        sid: str, seq: int, service: str, remote: str, variables: dict[str, str]
    ) -> UpnpEvent:
        """Build an event; HttpError(400) when its LastChange is malformed."""
        try:
            return build_event(
                sid=sid, seq=seq, service=service, host=remote, variables=variables
            )
        except UpnpResponseError as err:
            _LOGGER.debug("Malformed NOTIFY for %s from %s: %s", sid, remote, err)
            raise HttpError(HTTPStatus.BAD_REQUEST) from None

    def _check_head(self, request: HttpRequest) -> int:
        """Refuse, before its body is read, a request that is no NOTIFY we take.

        Return the most body bytes the request may bring.
        """
        if request.method != "NOTIFY":
            raise HttpError(HTTPStatus.METHOD_NOT_ALLOWED)
        headers = request.headers
        if headers.get("nt") != "upnp:event" or headers.get("nts") != (
            "upnp:propchange"
        ):
            raise HttpError(HTTPStatus.BAD_REQUEST)
        sid = headers.get("sid", "")
        remote = request.remote
        registration = self._registrations.get(sid)
        if registration is None and remote not in self._pending.expected_hosts:
            raise HttpError(HTTPStatus.PRECONDITION_FAILED)
        if registration is not None and registration.host != remote:
            _LOGGER.debug("NOTIFY for %s from stranger %s refused", sid, remote)
            raise HttpError(HTTPStatus.FORBIDDEN)
        seq_text = headers.get("seq", "")
        if not (seq_text.isascii() and seq_text.isdigit()) or len(seq_text) > 10:  # noqa: PLR2004
            raise HttpError(HTTPStatus.BAD_REQUEST)
        if int(seq_text) > _SEQ_MAX:
            raise HttpError(HTTPStatus.BAD_REQUEST)
        return self._max_body_bytes

    def __repr__(self) -> str:
        """Describe the listener for logs."""
        with suppress(UpnpConnectionError):
            return f"<EventListener {self._host}:{self.port}>"
        return "<EventListener (stopped)>"
