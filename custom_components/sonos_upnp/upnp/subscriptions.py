"""GENA subscriptions: SUBSCRIBE, renewal, resubscription and UNSUBSCRIBE.

A `Subscription` keeps one service of one speaker subscribed: it renews at a
fraction of the granted timeout and, when a renewal fails (the speaker
rebooted and answers 412, is unreachable or answers nonsense), subscribes
afresh with an exponential backoff until it works or `stop` is called. Every
fresh subscription calls `on_resync`, since events may have been missed, and
UNSUBSCRIBEs the SIDs it replaced (best effort), so that a speaker that was
only out of reach stops sending to them. No request follows a redirect.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Final

import aiohttp

from .catalog import get_service
from .error_text import describe_client_error
from .events import UpnpEvent
from .exceptions import (
    SubscriptionError,
    UpnpClientError,
    UpnpConnectionError,
    UpnpResponseError,
)
from .listener import EventListener
from .netutil import async_callback_url, base_url

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS: Final = 1800
# A granted timeout is taken within these bounds: a speaker granting seconds
# would have us renew all the time, one granting years would never be renewed.
MIN_TIMEOUT_SECONDS: Final = 60
MAX_TIMEOUT_SECONDS: Final = 86400
# SIDs we could not UNSUBSCRIBE yet, kept per subscription to retry later.
MAX_STALE_SIDS: Final = 8
MAX_SID_LENGTH: Final = 256
_TIMEOUT_HEADER: Final = re.compile(
    r"^\s*second-([0-9]+|infinite)\s*$", re.IGNORECASE | re.ASCII
)


@dataclass(frozen=True, slots=True)
class SubscriptionHealth:
    """A snapshot of one subscription, for diagnostics."""

    service: str
    host: str
    port: int
    sid: str | None
    callback_url: str | None
    granted_timeout: int | None
    renew_at: float | None  # time.monotonic() of the next renewal or retry
    last_event_at: datetime | None
    events_received: int
    failures: int
    last_error: str | None
    active: bool


def parse_timeout(
    header: str | None,
    requested: int,
    *,
    minimum: int = MIN_TIMEOUT_SECONDS,
    maximum: int = MAX_TIMEOUT_SECONDS,
) -> int:
    """Return the seconds of a `TIMEOUT: Second-N` header, within min..max.

    "infinite", a missing or a malformed header mean the requested timeout.
    """
    match = _TIMEOUT_HEADER.match(header or "")
    if match is None or match.group(1).lower() == "infinite":
        return requested
    digits = match.group(1).lstrip("0")
    # Compare lengths first: int() of thousands of digits raises ValueError.
    if len(digits) > len(str(maximum)):
        return maximum
    return min(max(int(digits or "0"), minimum), maximum)


def check_sid(sid: str) -> str:
    """Return a SID as a speaker sent it; UpnpResponseError if it is unusable.

    We send it back in a header: it must be printable ASCII, without spaces.
    """
    if not sid:
        raise SubscriptionError("SUBSCRIBE answer without SID", HTTPStatus.OK)
    if (
        len(sid) > MAX_SID_LENGTH
        or not (sid.isascii() and sid.isprintable())
        or " " in sid
    ):
        raise UpnpResponseError(f"unusable SID in SUBSCRIBE answer: {sid[:64]!r}")
    return sid


class Subscription:
    """Keeps one service of one speaker subscribed and its events flowing."""

    def __init__(  # noqa: PLR0917 - the owner's five essentials come first
        self,
        session: aiohttp.ClientSession,
        listener: EventListener,
        host: str,
        port: int,
        service: str,
        callback: Callable[[UpnpEvent], None],
        *,
        on_resync: Callable[[], None] | None = None,
        on_failure: Callable[[Exception], None] | None = None,
        requested_timeout: int = DEFAULT_TIMEOUT_SECONDS,
        granted_range: tuple[int, int] = (MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS),
        stale_sids: tuple[str, ...] = (),
        advertise_host: str | None = None,
        advertise_port: int | None = None,
        timeout: float = 10.0,
        unsubscribe_timeout: float = 2.0,
        renew_fraction: float = 0.5,
        min_renew_delay: float = 1.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
    ) -> None:
        """Describe the subscription; nothing is sent before `start`.

        on_resync() is called when events were lost (SEQ gap, resubscription)
        and the owner should re-read the state; on_failure(error) when a
        renewal or a resubscription attempt fails. stale_sids are earlier SIDs
        of this service on this speaker (say, from before it moved), to
        UNSUBSCRIBE once subscribed. The delays and granted_range are
        arguments so that tests can shorten them.
        """
        self._session = session
        self._listener = listener
        self._host = host
        self._port = port
        self._service = get_service(service)
        self._callback = callback
        self._on_resync = on_resync
        self._on_failure = on_failure
        self._requested_timeout = requested_timeout
        self._granted_range = granted_range
        self._stale_sids = list(stale_sids)[-MAX_STALE_SIDS:]
        self._advertise_host = advertise_host
        self._advertise_port = advertise_port
        self._timeout = timeout
        self._unsubscribe_timeout = unsubscribe_timeout
        self._renew_fraction = renew_fraction
        self._min_renew_delay = min_renew_delay
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._url = base_url(host, port) + self._service.event_url
        self._sid: str | None = None
        self._callback_url: str | None = None
        self._granted_timeout: int | None = None
        self._renew_at: float | None = None
        self._last_event_at: datetime | None = None
        self._events_received = 0
        self._failures = 0
        self._last_error: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._start_lock = asyncio.Lock()

    @property
    def service(self) -> str:
        """Return the name of the subscribed service."""
        return self._service.name

    @property
    def sid(self) -> str | None:
        """Return the current SID, if subscribed."""
        return self._sid

    @property
    def stale_sids(self) -> tuple[str, ...]:
        """Return the SIDs replaced or stopped but not yet UNSUBSCRIBEd."""
        return tuple(self._stale_sids)

    @property
    def health(self) -> SubscriptionHealth:
        """Return a snapshot for diagnostics."""
        return SubscriptionHealth(
            service=self._service.name,
            host=self._host,
            port=self._port,
            sid=self._sid,
            callback_url=self._callback_url,
            granted_timeout=self._granted_timeout,
            renew_at=self._renew_at,
            last_event_at=self._last_event_at,
            events_received=self._events_received,
            failures=self._failures,
            last_error=self._last_error,
            active=self._sid is not None and not self._stopping,
        )

    async def start(self) -> None:
        """Subscribe, register with the listener and schedule the renewals.

        Raises SubscriptionError if the speaker refuses and
        UpnpConnectionError if it cannot be reached; nothing is retried then.
        """
        async with self._start_lock:
            if self._task is not None:
                return
            self._stopping = False
            try:
                await self._subscribe()
            except UpnpClientError as err:
                self._record_failure(err)
                raise
            if self._stopping:
                # stop() ran while the SUBSCRIBE was in flight: undo it.
                await self.stop()
                return
            self._task = asyncio.get_running_loop().create_task(
                self._keep_alive(), name=f"sonos_upnp renew {self._service.name}"
            )

    async def stop(self) -> None:
        """Stop renewing, UNSUBSCRIBE (best effort) and unregister."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # wait() neither raises the task's CancelledError nor hides ours.
            await asyncio.wait([task])
        sid, self._sid = self._sid, None
        self._renew_at = None
        if sid is not None:
            self._keep_stale(sid)
        await self._unsubscribe_stale()

    async def _unsubscribe(self, sid: str) -> bool:
        """UNSUBSCRIBE sid, best effort; return whether the speaker is rid of it."""
        try:
            async with asyncio.timeout(self._unsubscribe_timeout):
                async with self._session.request(
                    "UNSUBSCRIBE",
                    self._url,
                    headers={"SID": sid},
                    allow_redirects=False,
                ) as response:
                    _LOGGER.debug("UNSUBSCRIBE %s: %s", sid, response.status)
                    # 412: the speaker does not know the SID (any more).
                    return response.status in {
                        HTTPStatus.OK,
                        HTTPStatus.PRECONDITION_FAILED,
                    }
        except (TimeoutError, aiohttp.ClientError) as err:
            _LOGGER.debug(
                "UNSUBSCRIBE %s failed: %s",
                sid,
                "timed out"
                if isinstance(err, TimeoutError)
                else describe_client_error(err),
            )
            return False

    def _keep_stale(self, sid: str) -> None:
        """Remember a SID to UNSUBSCRIBE once the speaker answers again."""
        if sid not in self._stale_sids:
            self._stale_sids = [*self._stale_sids, sid][-MAX_STALE_SIDS:]

    async def _unsubscribe_stale(self) -> None:
        """UNSUBSCRIBE the SIDs this subscription replaced, at once (best effort).

        The ones the speaker does not confirm are kept for the next time.
        """
        # A speaker may hand out an old SID again (its counter restarts when
        # it reboots): never UNSUBSCRIBE the current one.
        self._stale_sids = [sid for sid in self._stale_sids if sid != self._sid]
        if not self._stale_sids:
            return
        sids = tuple(self._stale_sids)
        for sid in sids:
            self._listener.unregister(sid)
        done = await asyncio.gather(*(self._unsubscribe(sid) for sid in sids))
        confirmed = {sid for sid, ok in zip(sids, done, strict=True) if ok}
        self._stale_sids = [sid for sid in self._stale_sids if sid not in confirmed]

    def _on_event(self, event: UpnpEvent) -> None:
        """Count an event and hand it to the owner."""
        self._events_received += 1
        self._last_event_at = datetime.now(UTC)
        self._callback(event)

    def _on_listener_resync(self, sid: str) -> None:
        """Forward a SEQ gap reported by the listener."""
        _LOGGER.debug("Events lost for %s (%s)", self._service.name, sid)
        self._resync()

    def _resync(self) -> None:
        """Tell the owner to re-read the state."""
        if self._on_resync is None:
            return
        # An owner's bug must not end the renewals.
        try:
            self._on_resync()
        except Exception:
            _LOGGER.exception("Resync callback of %s failed", self._service.name)

    def _record_failure(self, err: Exception) -> None:
        """Count a failure and tell the owner."""
        self._failures += 1
        self._last_error = str(err) or type(err).__name__
        if self._on_failure is not None:
            try:
                self._on_failure(err)
            except Exception:
                _LOGGER.exception("Failure callback of %s failed", self._service.name)

    def _schedule_renewal(self, granted: int) -> float:
        """Record the granted timeout; return the delay before renewing."""
        self._granted_timeout = granted
        delay = max(granted * self._renew_fraction, self._min_renew_delay)
        self._renew_at = time.monotonic() + delay
        return delay

    async def _request(self, headers: dict[str, str]) -> tuple[str, int]:
        """Send a SUBSCRIBE; return the SID header and the granted timeout."""
        what = f"SUBSCRIBE {self._service.name} on {self._host}"
        try:
            async with asyncio.timeout(self._timeout):
                async with self._session.request(
                    "SUBSCRIBE", self._url, headers=headers, allow_redirects=False
                ) as response:
                    # A redirect is refused like any other answer but 200.
                    if response.status != HTTPStatus.OK:
                        raise SubscriptionError(
                            f"{what} answered HTTP {response.status}",
                            response.status,
                        )
                    sid = response.headers.get("SID", "")
                    timeout_header = response.headers.get("TIMEOUT")
        except TimeoutError as err:
            raise UpnpConnectionError(f"{what} timed out") from err
        except aiohttp.ClientError as err:
            raise UpnpConnectionError(
                f"{what} failed: {describe_client_error(err)}"
            ) from err
        minimum, maximum = self._granted_range
        granted = parse_timeout(
            timeout_header, self._requested_timeout, minimum=minimum, maximum=maximum
        )
        return sid, granted

    async def _subscribe(self) -> float:
        """SUBSCRIBE afresh and register; return the delay before renewing."""
        url = await async_callback_url(
            self._listener.port,
            self._host,
            self._advertise_host,
            self._advertise_port,
        )
        self._callback_url = url
        headers = {
            "CALLBACK": f"<{url}>",
            "NT": "upnp:event",
            "TIMEOUT": f"Second-{self._requested_timeout}",
        }
        # The initial NOTIFY may overtake the response: keep it until we know
        # our SID.
        with self._listener.expect_from(self._host):
            sid, granted = await self._request(headers)
            self._sid = check_sid(sid)
            self._listener.register(
                sid,
                self._host,
                self._service.name,
                self._on_event,
                self._on_listener_resync,
            )
        _LOGGER.debug(
            "Subscribed to %s on %s: %s for %ss",
            self._service.name,
            self._host,
            self._sid,
            granted,
        )
        delay = self._schedule_renewal(granted)
        await self._unsubscribe_stale()
        return delay

    async def _renew(self) -> float:
        """Renew the current SID; return the delay before the next renewal."""
        assert self._sid is not None
        headers = {"SID": self._sid, "TIMEOUT": f"Second-{self._requested_timeout}"}
        # The SID stays ours even if a speaker echoes another one.
        _, granted = await self._request(headers)
        return self._schedule_renewal(granted)

    async def _resubscribe(self) -> float:
        """Subscribe from scratch, backing off, until it works."""
        backoff = self._backoff_initial
        while True:
            try:
                delay = await self._subscribe()
            except UpnpClientError as err:
                self._record_failure(err)
                _LOGGER.debug(
                    "Resubscribing to %s on %s failed (%s); retry in %ss",
                    self._service.name,
                    self._host,
                    err,
                    backoff,
                )
                self._renew_at = time.monotonic() + backoff
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._backoff_max)
            else:
                self._resync()
                return delay

    async def _keep_alive(self) -> None:
        """Renew until stopped; resubscribe when a renewal fails."""
        delay = (self._renew_at or time.monotonic()) - time.monotonic()
        while True:
            await asyncio.sleep(max(delay, 0))
            try:
                delay = await self._renew()
            except UpnpClientError as err:
                _LOGGER.debug(
                    "Renewing %s on %s failed: %s", self._service.name, self._host, err
                )
                self._record_failure(err)
                if self._sid is not None:
                    self._listener.unregister(self._sid)
                    # The speaker may still hold it (it was only out of reach).
                    self._keep_stale(self._sid)
                self._sid = None
                delay = await self._resubscribe()

    def __repr__(self) -> str:
        """Describe the subscription for logs."""
        return (
            f"<Subscription {self._service.name} {self._host}:{self._port} {self._sid}>"
        )


class SubscriptionManager:
    """Starts and stops a group of subscriptions together."""

    def __init__(self) -> None:
        """Start empty."""
        self._subscriptions: list[Subscription] = []

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        """Return the managed subscriptions."""
        return tuple(self._subscriptions)

    def add(self, subscription: Subscription) -> Subscription:
        """Manage subscription (not started here); return it."""
        self._subscriptions.append(subscription)
        return subscription

    async def start_all(self) -> list[UpnpClientError]:
        """Start every subscription concurrently; return the failures."""
        results = await asyncio.gather(
            *(subscription.start() for subscription in self._subscriptions),
            return_exceptions=True,
        )
        errors: list[UpnpClientError] = []
        for result in results:
            if isinstance(result, UpnpClientError):
                errors.append(result)
            elif isinstance(result, BaseException):
                raise result
        return errors

    async def stop_all(self) -> None:
        """Stop every subscription and forget them."""
        subscriptions, self._subscriptions = self._subscriptions, []
        await asyncio.gather(*(subscription.stop() for subscription in subscriptions))

    @property
    def health(self) -> tuple[SubscriptionHealth, ...]:
        """Return a snapshot of every subscription."""
        return tuple(subscription.health for subscription in self._subscriptions)
