"""GENA subscriptions: SUBSCRIBE, renewal, resubscription and UNSUBSCRIBE.

A `Subscription` keeps one service of one speaker subscribed: it renews at a
fraction of the granted timeout and, when a renewal fails (the speaker
rebooted and answers 412, or is unreachable), subscribes afresh with an
exponential backoff until it works or `stop` is called. Every fresh
subscription calls `on_resync`, since events may have been missed.
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
from .events import UpnpEvent
from .exceptions import SubscriptionError, UpnpClientError, UpnpConnectionError
from .listener import EventListener
from .netutil import async_callback_url, base_url

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS: Final = 1800
_TIMEOUT_HEADER: Final = re.compile(r"^\s*second-(\d+|infinite)\s*$", re.IGNORECASE)


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


def parse_timeout(header: str | None, requested: int) -> int:
    """Return the seconds of a `TIMEOUT: Second-N` header.

    "infinite", a missing or a malformed header mean the requested timeout.
    """
    match = _TIMEOUT_HEADER.match(header or "")
    if match is None or match.group(1).lower() == "infinite":
        return requested
    return int(match.group(1))


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
        renewal or a resubscription attempt fails. The delays are arguments so
        that tests can shorten them.
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
        if sid is None:
            return
        self._listener.unregister(sid)
        try:
            async with asyncio.timeout(self._unsubscribe_timeout):
                async with self._session.request(
                    "UNSUBSCRIBE", self._url, headers={"SID": sid}
                ) as response:
                    _LOGGER.debug("UNSUBSCRIBE %s: %s", sid, response.status)
        except (TimeoutError, aiohttp.ClientError) as err:
            _LOGGER.debug("UNSUBSCRIBE %s failed: %s", sid, err)

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
        """Send a SUBSCRIBE; return the SID and the granted timeout."""
        what = f"SUBSCRIBE {self._service.name} on {self._host}"
        try:
            async with asyncio.timeout(self._timeout):
                async with self._session.request(
                    "SUBSCRIBE", self._url, headers=headers
                ) as response:
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
            raise UpnpConnectionError(f"{what} failed: {err}") from err
        return sid, parse_timeout(timeout_header, self._requested_timeout)

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
            if not sid:
                raise SubscriptionError("SUBSCRIBE answer without SID", HTTPStatus.OK)
            self._sid = sid
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
        return self._schedule_renewal(granted)

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
