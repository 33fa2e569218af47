"""GENA subscriptions against a small fake speaker, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.sonos_upnp.upnp.client import SonosUpnpClient
from custom_components.sonos_upnp.upnp.events import UpnpEvent
from custom_components.sonos_upnp.upnp.exceptions import (
    SubscriptionError,
    UpnpArgumentError,
    UpnpConnectionError,
    UpnpResponseError,
)
from custom_components.sonos_upnp.upnp.listener import EventListener
from custom_components.sonos_upnp.upnp.subscriptions import (
    MAX_TIMEOUT_SECONDS,
    MIN_TIMEOUT_SECONDS,
    Subscription,
    SubscriptionHealth,
    SubscriptionManager,
    parse_timeout,
)
from tests.emulator.household import Household
from tests.emulator.player import Player

LOCALHOST = "127.0.0.1"
ALARM_BODY = (
    b'<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0">'
    b"<e:property><AlarmListVersion>RINCON_1:%d</AlarmListVersion></e:property>"
    b"</e:propertyset>"
)


@dataclass
class Received:
    """One GENA request the fake speaker received."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class GenaSpeaker:
    """A fake speaker's GENA side: grants, refuses, forgets and notifies."""

    session: aiohttp.ClientSession
    grant: str = "Second-1800"
    subscribe_status: int = 200
    send_sid: bool = True
    renew_status: int = 200
    initial_event: bool = True
    hang: bool = False
    # A hostile speaker: answers every request with a 307 to this URL, or
    # hands out this SID.
    redirect_to: str | None = None
    sid_header: str | None = None
    port: int = 0
    requests: list[Received] = field(default_factory=list)
    callbacks: dict[str, str] = field(default_factory=dict)
    seqs: dict[str, int] = field(default_factory=dict)
    renewed: asyncio.Event = field(default_factory=asyncio.Event)
    unsubscribed: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    received: asyncio.Event = field(default_factory=asyncio.Event)
    renew_times: list[float] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _counter: int = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self.handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, LOCALHOST, self.port).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Go away like a rebooting speaker: connections are refused."""
        self.release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def reboot(self) -> None:
        """Come back on the same port having forgotten every subscription."""
        self.callbacks.clear()
        self.seqs.clear()
        await self.resume()

    async def resume(self) -> None:
        """Come back on the same port, subscriptions intact (a network outage)."""
        self.release = asyncio.Event()
        await self.start()

    def of(self, method: str) -> list[Received]:
        return [request for request in self.requests if request.method == method]

    async def notify(self, sid: str, body: bytes | None = None) -> int:
        """Send the next NOTIFY of sid to its callback; return the HTTP status."""
        seq = self.seqs.get(sid, 0)
        self.seqs[sid] = seq + 1
        return await self.notify_seq(sid, seq, body)

    async def notify_seq(self, sid: str, seq: int, body: bytes | None = None) -> int:
        headers = {"NT": "upnp:event", "NTS": "upnp:propchange", "SID": sid}
        headers["SEQ"] = str(seq)
        async with self.session.request(
            "NOTIFY",
            self.callbacks[sid],
            headers=headers,
            data=body if body is not None else ALARM_BODY % seq,
        ) as response:
            return response.status

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(
            Received(request.method, request.path, dict(request.headers))
        )
        self.received.set()
        if self.hang:
            await self.release.wait()
        if self.redirect_to is not None:
            return web.Response(status=307, headers={"Location": self.redirect_to})
        if request.method == "UNSUBSCRIBE":
            sid = request.headers.get("SID", "")
            self.unsubscribed.set()
            return web.Response(status=200 if self.callbacks.pop(sid, None) else 412)
        if request.method != "SUBSCRIBE":
            return web.Response(status=405)
        if "SID" in request.headers:
            return self._renew(request)
        if self.subscribe_status != 200:
            return web.Response(status=self.subscribe_status)
        self._counter += 1
        sid = f"uuid:RINCON_FAKE_sub{self._counter:010d}"
        self.callbacks[sid] = request.headers["CALLBACK"].strip("<>")
        if self.initial_event:
            # A real speaker's SEQ 0 may overtake its SUBSCRIBE response.
            assert await self.notify(sid) == 200
        headers = {"TIMEOUT": self.grant}
        if self.send_sid:
            headers["SID"] = self.sid_header or sid
        return web.Response(headers=headers)

    def _renew(self, request: web.Request) -> web.Response:
        sid = request.headers["SID"]
        self.renew_times.append(time.monotonic())
        self.renewed.set()
        if self.renew_status != 200 or sid not in self.callbacks:
            return web.Response(status=self.renew_status)
        return web.Response(headers={"SID": sid, "TIMEOUT": self.grant})


class Owner:
    """What an entity would do with its subscription's callbacks."""

    def __init__(self) -> None:
        self.events: list[UpnpEvent] = []
        self.resyncs = 0
        self.failures: list[Exception] = []
        self.event_arrived = asyncio.Event()
        self.resynced = asyncio.Event()
        self.failed = asyncio.Event()
        self.failure_times: list[float] = []

    def on_event(self, event: UpnpEvent) -> None:
        self.events.append(event)
        self.event_arrived.set()

    def on_resync(self) -> None:
        self.resyncs += 1
        self.resynced.set()

    def on_failure(self, err: Exception) -> None:
        self.failures.append(err)
        self.failure_times.append(time.monotonic())
        self.failed.set()

    async def wait(self, event: asyncio.Event, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            await event.wait()
        event.clear()

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 10.0
    ) -> None:
        """Wait until predicate holds, woken by every callback."""
        async with asyncio.timeout(timeout):
            while not predicate():
                waiters = [
                    asyncio.ensure_future(flag.wait())
                    for flag in (self.event_arrived, self.resynced, self.failed)
                ]
                try:
                    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiter in waiters:
                        waiter.cancel()
                    await asyncio.wait(waiters)
                for flag in (self.event_arrived, self.resynced, self.failed):
                    flag.clear()


@pytest.fixture
async def speaker(session: aiohttp.ClientSession) -> AsyncIterator[GenaSpeaker]:
    fake = GenaSpeaker(session)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
def owner() -> Owner:
    return Owner()


def fast_subscription(
    session: aiohttp.ClientSession,
    listener: EventListener,
    owner: Owner,
    host: str,
    port: int,
    service: str,
    **kwargs: Any,
) -> Subscription:
    """Return a subscription reporting to owner, with delays short enough to test."""
    options: dict[str, Any] = {
        "on_resync": owner.on_resync,
        "on_failure": owner.on_failure,
        "min_renew_delay": 0.05,
        "granted_range": (1, MAX_TIMEOUT_SECONDS),
        "backoff_initial": 0.05,
        "backoff_max": 0.2,
        "timeout": 5.0,
    }
    return Subscription(
        session, listener, host, port, service, owner.on_event, **(options | kwargs)
    )


@pytest.fixture
async def make_subscription(
    session: aiohttp.ClientSession,
    listener: EventListener,
    speaker: GenaSpeaker,
    owner: Owner,
) -> AsyncIterator[Callable[..., Subscription]]:
    made: list[Subscription] = []

    def make(service: str = "AlarmClock", **kwargs: Any) -> Subscription:
        subscription = fast_subscription(
            session,
            listener,
            owner,
            LOCALHOST,
            speaker.port,
            service,
            **{"unsubscribe_timeout": 1.0, **kwargs},
        )
        made.append(subscription)
        return subscription

    yield make
    for subscription in made:
        await subscription.stop()


async def test_subscribe_delivers_the_initial_event(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    listener: EventListener,
    owner: Owner,
) -> None:
    subscription = make_subscription("AlarmClock")
    assert subscription.service == "AlarmClock"
    before = datetime.now(UTC)
    await subscription.start()
    [request] = speaker.of("SUBSCRIBE")
    assert request.path == "/AlarmClock/Event"
    assert request.headers["CALLBACK"] == f"<http://127.0.0.1:{listener.port}/notify>"
    assert request.headers["NT"] == "upnp:event"
    assert request.headers["TIMEOUT"] == "Second-1800"
    # SEQ 0 was sent before the SUBSCRIBE response and still reached us.
    [event] = owner.events
    assert (event.sid, event.seq, event.service, event.host) == (
        subscription.sid,
        0,
        "AlarmClock",
        LOCALHOST,
    )
    assert event.variables == {"AlarmListVersion": "RINCON_1:0"}
    assert owner.resyncs == 0
    health = subscription.health
    assert isinstance(health, SubscriptionHealth)
    assert health.service == "AlarmClock"
    assert (health.host, health.port) == (LOCALHOST, speaker.port)
    assert health.sid == subscription.sid
    assert health.sid is not None
    assert health.sid.startswith("uuid:RINCON_FAKE_sub")
    assert health.callback_url == f"http://127.0.0.1:{listener.port}/notify"
    assert health.granted_timeout == 1800
    assert health.renew_at is not None
    assert 890 < health.renew_at - time.monotonic() <= 900
    assert health.last_event_at is not None
    assert health.last_event_at >= before
    assert health.events_received == 1
    assert (health.failures, health.last_error, health.active) == (0, None, True)


async def test_initial_event_after_the_response_and_later_events(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    owner: Owner,
) -> None:
    speaker.initial_event = False
    subscription = make_subscription("DeviceProperties")
    await subscription.start()
    assert owner.events == []
    sid = subscription.sid
    assert sid is not None
    for _ in range(3):
        assert await speaker.notify(sid) == 200
    assert [event.seq for event in owner.events] == [0, 1, 2]
    assert owner.resyncs == 0
    assert subscription.health.events_received == 3


async def test_seq_gap_calls_on_resync(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    owner: Owner,
) -> None:
    subscription = make_subscription()
    await subscription.start()
    sid = subscription.sid
    assert sid is not None
    assert await speaker.notify_seq(sid, 1) == 200
    assert owner.resyncs == 0
    assert await speaker.notify_seq(sid, 3) == 200  # SEQ 2 was lost
    assert owner.resyncs == 1
    assert await speaker.notify_seq(sid, 4) == 200
    assert owner.resyncs == 1
    assert [event.seq for event in owner.events] == [0, 1, 3, 4]


async def test_renewal_at_half_the_granted_timeout(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    owner: Owner,
) -> None:
    speaker.grant = "Second-2"
    subscription = make_subscription(requested_timeout=300)
    started = time.monotonic()
    await subscription.start()
    sid = subscription.sid
    assert subscription.health.granted_timeout == 2
    await owner.wait(speaker.renewed)
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 5
    renewal = speaker.of("SUBSCRIBE")[1]
    assert renewal.headers["SID"] == sid
    assert renewal.headers["TIMEOUT"] == "Second-300"
    assert "CALLBACK" not in renewal.headers
    assert "NT" not in renewal.headers
    # And again, one second after the first renewal.
    await owner.wait(speaker.renewed)
    assert 0.9 <= speaker.renew_times[1] - speaker.renew_times[0] < 5
    assert subscription.sid == sid
    assert len(speaker.of("SUBSCRIBE")) == 3
    assert owner.resyncs == 0
    assert subscription.health.failures == 0


async def test_412_on_renewal_resubscribes_with_a_new_sid(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    listener: EventListener,
    owner: Owner,
) -> None:
    speaker.grant = "Second-1"
    subscription = make_subscription(renew_fraction=0.2)
    await subscription.start()
    old_sid = subscription.sid
    assert old_sid is not None
    # The speaker rebooted and forgot us.
    speaker.callbacks.clear()
    speaker.renew_status = 412
    await owner.wait(owner.resynced)
    new_sid = subscription.sid
    assert new_sid is not None
    assert new_sid != old_sid
    assert listener.is_registered(new_sid)
    assert not listener.is_registered(old_sid)
    assert owner.resyncs == 1
    [failure] = owner.failures
    assert isinstance(failure, SubscriptionError)
    assert failure.status == 412
    fresh = speaker.of("SUBSCRIBE")[-1]
    assert "CALLBACK" in fresh.headers
    assert "SID" not in fresh.headers
    # The fresh subscription's SEQ 0 arrived; the old SID is refused now.
    assert [(event.sid, event.seq) for event in owner.events] == [
        (old_sid, 0),
        (new_sid, 0),
    ]
    speaker.callbacks[old_sid] = speaker.callbacks[new_sid]
    assert await speaker.notify_seq(old_sid, 1) == 412
    health = subscription.health
    assert (health.failures, health.active) == (1, True)
    assert health.last_error is not None
    assert "412" in health.last_error


async def test_connection_refused_backs_off_then_recovers(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    owner: Owner,
) -> None:
    speaker.grant = "Second-1"
    subscription = make_subscription(
        renew_fraction=0.1, backoff_initial=0.05, backoff_max=0.2
    )
    await subscription.start()
    old_sid = subscription.sid
    await speaker.stop()
    # The renewal fails, then every resubscription: 0.05, 0.1, 0.2, 0.2 ...
    await owner.wait_for(lambda: len(owner.failures) >= 5)
    assert all(isinstance(err, UpnpConnectionError) for err in owner.failures)
    gaps = [
        later - earlier
        for earlier, later in zip(
            owner.failure_times[1:], owner.failure_times[2:], strict=False
        )
    ]
    assert gaps[0] >= 0.045
    assert gaps[1] >= 0.09
    assert gaps[2] >= 0.18
    assert owner.resyncs == 0
    health = subscription.health
    assert health.sid is None
    assert not health.active
    assert health.failures >= 5
    await speaker.reboot()
    await owner.wait_for(lambda: owner.resyncs >= 1)
    assert subscription.sid is not None
    assert subscription.sid != old_sid
    assert subscription.health.active
    # The new subscription's initial event arrived.
    assert owner.events[-1].sid == subscription.sid
    assert owner.events[-1].seq == 0


async def test_stop_unsubscribes_and_unregisters(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    listener: EventListener,
    owner: Owner,
) -> None:
    subscription = make_subscription()
    await subscription.start()
    sid = subscription.sid
    assert sid is not None
    await subscription.stop()
    [request] = speaker.of("UNSUBSCRIBE")
    assert request.headers["SID"] == sid
    assert request.path == "/AlarmClock/Event"
    assert sid not in speaker.callbacks
    assert not listener.is_registered(sid)
    health = subscription.health
    assert (health.sid, health.active, health.renew_at) == (None, False, None)
    # A late NOTIFY for the old SID is refused.
    speaker.callbacks[sid] = f"http://127.0.0.1:{listener.port}/notify"
    assert await speaker.notify_seq(sid, 1) == 412
    await subscription.stop()  # idempotent
    assert len(speaker.of("UNSUBSCRIBE")) == 1


async def test_stop_is_best_effort_when_the_speaker_is_gone(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
) -> None:
    subscription = make_subscription()
    await subscription.start()
    await speaker.stop()
    await subscription.stop()
    assert not subscription.health.active


async def test_stop_is_best_effort_when_the_speaker_hangs(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
) -> None:
    subscription = make_subscription(unsubscribe_timeout=0.1)
    await subscription.start()
    speaker.hang = True
    await subscription.stop()
    assert speaker.of("UNSUBSCRIBE")
    assert not subscription.health.active


async def test_stop_while_subscribe_is_in_flight(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    listener: EventListener,
    owner: Owner,
) -> None:
    speaker.hang = True
    subscription = make_subscription()
    starting = asyncio.get_running_loop().create_task(subscription.start())
    await owner.wait(speaker.received)
    await subscription.stop()  # nothing to unsubscribe yet
    speaker.release.set()
    await starting
    # The late SUBSCRIBE answer was undone, no renewal task is left.
    [unsubscribe] = speaker.of("UNSUBSCRIBE")
    [subscribe] = speaker.of("SUBSCRIBE")
    assert unsubscribe.headers["SID"] not in speaker.callbacks
    assert subscribe.headers["NT"] == "upnp:event"
    assert not listener.is_registered(unsubscribe.headers["SID"])
    assert not subscription.health.active
    assert subscription._task is None


async def test_renewal_keeps_our_sid(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
) -> None:
    speaker.grant = "Second-1"
    subscription = make_subscription(renew_fraction=0.1)
    await subscription.start()
    sid = subscription.sid
    assert sid is not None
    speaker.callbacks["uuid:echo"] = speaker.callbacks[sid]
    real_renew = speaker._renew

    def renew_echoing_another_sid(request: web.Request) -> web.Response:
        response = real_renew(request)
        response.headers["SID"] = "uuid:echo"
        return response

    speaker._renew = renew_echoing_another_sid  # type: ignore[method-assign]
    await asyncio.wait_for(speaker.renewed.wait(), 10)
    speaker.renewed.clear()
    await asyncio.wait_for(speaker.renewed.wait(), 10)
    assert subscription.sid == sid
    assert speaker.of("SUBSCRIBE")[-1].headers["SID"] == sid


async def test_stop_before_start(
    make_subscription: Callable[..., Subscription],
) -> None:
    subscription = make_subscription()
    await subscription.stop()
    assert subscription.health.sid is None


async def test_start_twice_subscribes_once(
    make_subscription: Callable[..., Subscription], speaker: GenaSpeaker
) -> None:
    subscription = make_subscription()
    await asyncio.gather(subscription.start(), subscription.start())
    await subscription.start()
    assert len(speaker.of("SUBSCRIBE")) == 1


async def test_refused_subscribe_raises(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    owner: Owner,
) -> None:
    speaker.subscribe_status = 503
    subscription = make_subscription()
    with pytest.raises(SubscriptionError) as caught:
        await subscription.start()
    assert caught.value.status == 503
    health = subscription.health
    assert (health.failures, health.active, health.sid) == (1, False, None)
    assert owner.failures == [caught.value]


async def test_answer_without_sid_raises(
    make_subscription: Callable[..., Subscription], speaker: GenaSpeaker
) -> None:
    speaker.send_sid = False
    speaker.initial_event = False
    with pytest.raises(SubscriptionError, match="without SID"):
        await make_subscription().start()


async def test_unreachable_speaker_raises(
    make_subscription: Callable[..., Subscription], speaker: GenaSpeaker
) -> None:
    await speaker.stop()
    with pytest.raises(
        UpnpConnectionError, match=r"failed: connection refused$"
    ) as raised:
        await make_subscription().start()
    # Words, not aiohttp's reprs (this text reaches diagnostics and logs).
    assert "Error" not in str(raised.value)
    assert "ConnectionKey" not in str(raised.value)


async def test_hanging_speaker_times_out(
    make_subscription: Callable[..., Subscription], speaker: GenaSpeaker
) -> None:
    speaker.hang = True
    with pytest.raises(UpnpConnectionError, match="timed out"):
        await make_subscription(timeout=0.1).start()


async def test_infinite_grant_means_the_requested_timeout(
    make_subscription: Callable[..., Subscription], speaker: GenaSpeaker
) -> None:
    speaker.grant = "infinite"
    subscription = make_subscription(requested_timeout=600)
    await subscription.start()
    assert subscription.health.granted_timeout == 600


async def test_failure_callback_errors_are_logged(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(err: Exception) -> None:
        raise RuntimeError("owner bug")

    speaker.subscribe_status = 500
    subscription = make_subscription(on_failure=broken)
    with caplog.at_level(logging.ERROR), pytest.raises(SubscriptionError):
        await subscription.start()
    assert "Failure callback of AlarmClock failed" in caplog.text


async def test_without_owner_callbacks(
    make_subscription: Callable[..., Subscription], speaker: GenaSpeaker
) -> None:
    speaker.grant = "Second-1"
    subscription = make_subscription(
        on_resync=None, on_failure=None, renew_fraction=0.1
    )
    await subscription.start()
    sid = subscription.sid
    assert sid is not None
    assert await speaker.notify_seq(sid, 5) == 200  # a gap, nobody to tell
    speaker.renew_status = 412
    speaker.callbacks.clear()
    async with asyncio.timeout(10):
        while subscription.sid in (None, sid):
            await asyncio.wait_for(speaker.renewed.wait(), 10)
            speaker.renewed.clear()
            speaker.renew_status = 200
    assert subscription.health.failures >= 1


async def test_resync_callback_errors_do_not_end_the_renewals(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    owner: Owner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> None:
        owner.on_resync()
        raise RuntimeError("owner bug")

    speaker.grant = "Second-1"
    subscription = make_subscription(on_resync=broken, renew_fraction=0.1)
    await subscription.start()
    first_sid = subscription.sid
    speaker.renew_status = 412
    with caplog.at_level(logging.ERROR):
        await owner.wait(owner.resynced)
    assert "Resync callback of AlarmClock failed" in caplog.text
    second_sid = subscription.sid
    assert second_sid not in (None, first_sid)
    # Still alive: the next renewal fails too and leads to a third SID.
    await owner.wait(owner.resynced)
    assert subscription.sid not in (None, first_sid, second_sid)


def test_unknown_service_is_refused(
    session: aiohttp.ClientSession, listener: EventListener
) -> None:
    with pytest.raises(UpnpArgumentError):
        Subscription(session, listener, LOCALHOST, 1400, "Nope", lambda _: None)


def test_repr(
    make_subscription: Callable[..., Subscription], speaker: GenaSpeaker
) -> None:
    assert repr(make_subscription("ZoneGroupTopology")) == (
        f"<Subscription ZoneGroupTopology 127.0.0.1:{speaker.port} None>"
    )


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("Second-300", 300),
        ("second-7", MIN_TIMEOUT_SECONDS),
        ("Second-0", MIN_TIMEOUT_SECONDS),
        ("Second-86400", 86400),
        ("Second-0086400", 86400),
        ("Second-86401", MAX_TIMEOUT_SECONDS),
        ("Second-" + "9" * 20, MAX_TIMEOUT_SECONDS),
        ("Second-" + "9" * 400, MAX_TIMEOUT_SECONDS),
        ("Second-" + "9" * 5000, MAX_TIMEOUT_SECONDS),
        ("Second-\u0661\u0662\u0663", 1800),  # non-ASCII digits: malformed
        (" Second-1800 ", 1800),
        ("Second-infinite", 1800),
        ("infinite", 1800),
        (None, 1800),
        ("Second-", 1800),
        ("Minute-5", 1800),
    ],
)
def test_parse_timeout(header: str | None, seconds: int) -> None:
    assert parse_timeout(header, 1800) == seconds


# --- a hostile or unreliable speaker ------------------------------------------


@pytest.mark.parametrize("digits", [20, 400, 5000])
async def test_absurd_grant_is_clamped_and_renewed_within_a_day(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    owner: Owner,
    digits: int,
) -> None:
    speaker.grant = "Second-" + "9" * digits
    subscription = make_subscription(
        granted_range=(MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS)
    )
    await subscription.start()
    health = subscription.health
    assert health.granted_timeout == MAX_TIMEOUT_SECONDS
    assert health.renew_at is not None
    assert 0 < health.renew_at - time.monotonic() <= MAX_TIMEOUT_SECONDS / 2
    assert (health.active, health.failures) == (True, 0)
    assert [event.seq for event in owner.events] == [0]


async def test_tiny_grant_is_taken_as_a_minute(
    make_subscription: Callable[..., Subscription], speaker: GenaSpeaker
) -> None:
    speaker.grant = "Second-0"
    subscription = make_subscription(
        granted_range=(MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS)
    )
    await subscription.start()
    assert subscription.health.granted_timeout == MIN_TIMEOUT_SECONDS
    renew_at = subscription.health.renew_at
    assert renew_at is not None
    assert renew_at - time.monotonic() > MIN_TIMEOUT_SECONDS / 2 - 5
    assert len(speaker.of("SUBSCRIBE")) == 1


@pytest.mark.parametrize(
    "sid", ["uuid:two words", "uuid:" + "x" * 300, "uuid:tab\tinside", "uuid:é"]
)
async def test_unusable_sid_is_a_response_error(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    listener: EventListener,
    owner: Owner,
    sid: str,
) -> None:
    speaker.initial_event = False
    speaker.sid_header = sid
    subscription = make_subscription()
    with pytest.raises(UpnpResponseError, match="unusable SID"):
        await subscription.start()
    assert not listener.is_registered(sid)
    assert isinstance(owner.failures[0], UpnpResponseError)
    assert subscription.health.failures == 1


async def test_a_sid_handed_out_again_is_not_unsubscribed(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    listener: EventListener,
) -> None:
    # After a reboot the speaker's SID counter starts again: same SID.
    speaker.sid_header = "uuid:RINCON_FAKE_sub0000000001"
    subscription = make_subscription(stale_sids=("uuid:RINCON_FAKE_sub0000000001",))
    await subscription.start()
    assert subscription.sid == "uuid:RINCON_FAKE_sub0000000001"
    assert listener.is_registered(subscription.sid)
    assert speaker.of("UNSUBSCRIBE") == []
    assert subscription.stale_sids == ()


@pytest.fixture
async def elsewhere(session: aiohttp.ClientSession) -> AsyncIterator[GenaSpeaker]:
    """Another server, where a hostile speaker redirects our requests to."""
    other = GenaSpeaker(session)
    await other.start()
    try:
        yield other
    finally:
        await other.stop()


async def test_subscribe_follows_no_redirect(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    elsewhere: GenaSpeaker,
    owner: Owner,
) -> None:
    speaker.redirect_to = f"http://{LOCALHOST}:{elsewhere.port}/AlarmClock/Event"
    subscription = make_subscription()
    with pytest.raises(SubscriptionError) as caught:
        await subscription.start()
    assert caught.value.status == 307
    assert len(speaker.of("SUBSCRIBE")) == 1
    # Our callback URL went nowhere else.
    assert elsewhere.requests == []
    assert owner.failures == [caught.value]


async def test_renewal_and_unsubscribe_follow_no_redirect(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    elsewhere: GenaSpeaker,
    owner: Owner,
) -> None:
    speaker.grant = "Second-1"
    subscription = make_subscription(renew_fraction=0.1)
    await subscription.start()
    speaker.redirect_to = f"http://{LOCALHOST}:{elsewhere.port}/AlarmClock/Event"
    # The renewal fails on the 307, and so do the fresh SUBSCRIBEs after it.
    await owner.wait_for(lambda: len(owner.failures) >= 2)
    assert all(
        isinstance(err, SubscriptionError) and err.status == 307
        for err in owner.failures
    )
    await subscription.stop()
    assert speaker.of("UNSUBSCRIBE")
    assert elsewhere.requests == []


async def test_speaker_back_from_an_outage_is_rid_of_the_old_sid(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    listener: EventListener,
    owner: Owner,
) -> None:
    speaker.grant = "Second-1"
    subscription = make_subscription(renew_fraction=0.1)
    await subscription.start()
    old_sid = subscription.sid
    assert old_sid is not None
    await speaker.stop()
    await owner.wait_for(lambda: len(owner.failures) >= 2)
    assert subscription.stale_sids == (old_sid,)
    # Back without a reboot: the speaker still holds the old subscription.
    await speaker.resume()
    await owner.wait_for(lambda: owner.resyncs >= 1)
    new_sid = subscription.sid
    assert new_sid not in (None, old_sid)
    [unsubscribe] = speaker.of("UNSUBSCRIBE")
    assert unsubscribe.headers["SID"] == old_sid
    assert set(speaker.callbacks) == {new_sid}
    assert subscription.stale_sids == ()
    assert not listener.is_registered(old_sid)
    assert listener.is_registered(new_sid)


async def test_sid_a_stop_could_not_unsubscribe_goes_at_the_next_start(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
) -> None:
    subscription = make_subscription()
    await subscription.start()
    old_sid = subscription.sid
    assert old_sid is not None
    await speaker.stop()
    await subscription.stop()  # the UNSUBSCRIBE cannot reach the speaker
    assert subscription.stale_sids == (old_sid,)
    await speaker.resume()
    await subscription.start()
    assert [r.headers["SID"] for r in speaker.of("UNSUBSCRIBE")] == [old_sid]
    assert set(speaker.callbacks) == {subscription.sid}
    assert subscription.stale_sids == ()


async def test_stale_sids_given_are_unsubscribed_and_kept_on_failure(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
) -> None:
    subscription = make_subscription(stale_sids=("uuid:moved-1", "uuid:moved-2"))
    speaker.callbacks["uuid:moved-1"] = "http://127.0.0.1:9/notify"
    real_handle = speaker.handle

    async def refuse_second(request: web.Request) -> web.Response:
        if request.headers.get("SID") == "uuid:moved-2":
            return web.Response(status=500)
        return await real_handle(request)

    speaker.handle = refuse_second  # type: ignore[method-assign]
    await speaker.stop()
    await speaker.resume()
    await subscription.start()
    assert "uuid:moved-1" not in speaker.callbacks
    # Refused with a 500: kept for the next subscription.
    assert subscription.stale_sids == ("uuid:moved-2",)


# --- SubscriptionManager ------------------------------------------------------


async def test_manager_starts_and_stops_all(
    make_subscription: Callable[..., Subscription],
    speaker: GenaSpeaker,
    owner: Owner,
) -> None:
    manager = SubscriptionManager()
    for service in ("AlarmClock", "ZoneGroupTopology", "AVTransport"):
        manager.add(make_subscription(service))
    assert await manager.start_all() == []
    assert len(manager.subscriptions) == 3
    assert {health.service for health in manager.health} == {
        "AlarmClock",
        "ZoneGroupTopology",
        "AVTransport",
    }
    assert all(health.active for health in manager.health)
    assert {event.service for event in owner.events} == {
        "AlarmClock",
        "ZoneGroupTopology",
        "AVTransport",
    }
    await manager.stop_all()
    assert len(speaker.of("UNSUBSCRIBE")) == 3
    assert not manager.subscriptions


async def test_manager_reports_failures(
    make_subscription: Callable[..., Subscription], speaker: GenaSpeaker
) -> None:
    manager = SubscriptionManager()
    manager.add(make_subscription())
    speaker.subscribe_status = 500
    [error] = await manager.start_all()
    assert isinstance(error, SubscriptionError)
    await manager.stop_all()


async def test_manager_does_not_hide_bugs(
    make_subscription: Callable[..., Subscription], monkeypatch: pytest.MonkeyPatch
) -> None:
    subscription = make_subscription()

    async def buggy() -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(subscription, "start", buggy)
    manager = SubscriptionManager()
    manager.add(subscription)
    with pytest.raises(RuntimeError, match="bug"):
        await manager.start_all()


# --- against the emulated household (tests/emulator) -------------------------


def _alarm(room_uuid: str, start: str) -> dict[str, object]:
    return {
        "StartLocalTime": start,
        "Duration": "00:30:00",
        "Recurrence": "WEEKDAYS",
        "Enabled": True,
        "RoomUUID": room_uuid,
        "ProgramURI": "x-rincon-buzzer:0",
        "ProgramMetaData": "",
        "PlayMode": "NORMAL",
        "Volume": 20,
        "IncludeLinkedZones": False,
    }


@pytest.fixture
async def emulated(
    session: aiohttp.ClientSession,
    listener: EventListener,
    emulator_player: Player,
    owner: Owner,
) -> AsyncIterator[Callable[..., Subscription]]:
    made: list[Subscription] = []

    def make(
        service: str, player: Player = emulator_player, **kwargs: Any
    ) -> Subscription:
        subscription = fast_subscription(
            session, listener, owner, player.host, player.port, service, **kwargs
        )
        made.append(subscription)
        return subscription

    yield make
    for subscription in made:
        await subscription.stop()


def _events_of(owner: Owner, subscription: Subscription) -> list[UpnpEvent]:
    return [event for event in owner.events if event.sid == subscription.sid]


async def test_emulator_initial_events_then_an_alarm_change(
    emulated: Callable[..., Subscription],
    emulator_player: Player,
    emulator_household: Household,
    session: aiohttp.ClientSession,
    owner: Owner,
) -> None:
    topology = emulated("ZoneGroupTopology")
    alarm_clock = emulated("AlarmClock")
    await topology.start()
    await alarm_clock.start()
    await owner.wait_for(
        lambda: bool(_events_of(owner, topology) and _events_of(owner, alarm_clock))
    )
    [zgt0] = _events_of(owner, topology)
    [alarm0] = _events_of(owner, alarm_clock)
    assert (zgt0.seq, zgt0.service, zgt0.host) == (0, "ZoneGroupTopology", LOCALHOST)
    assert emulator_player.uuid in zgt0.variables["ZoneGroupState"]
    assert alarm0.seq == 0
    version0 = alarm0.variables["AlarmListVersion"]
    assert version0 == emulator_household.alarms.version

    client = SonosUpnpClient(session, timeout=5.0)
    await client.call(
        emulator_player.host,
        emulator_player.port,
        "AlarmClock",
        "CreateAlarm",
        _alarm(emulator_player.uuid, "07:15:00"),
    )
    await owner.wait_for(lambda: len(_events_of(owner, alarm_clock)) == 2)
    alarm1 = _events_of(owner, alarm_clock)[1]
    assert alarm1.seq == 1
    assert alarm1.variables["AlarmListVersion"] == emulator_household.alarms.version
    assert alarm1.variables["AlarmListVersion"] != version0
    assert owner.resyncs == 0
    assert alarm_clock.health.events_received == 2

    await alarm_clock.stop()
    await topology.stop()
    assert emulator_player.gena.subscriptions == {}


async def test_emulator_dropped_event_triggers_resync(
    emulated: Callable[..., Subscription],
    emulator_player: Player,
    session: aiohttp.ClientSession,
    owner: Owner,
) -> None:
    alarm_clock = emulated("AlarmClock")
    await alarm_clock.start()
    await owner.wait_for(lambda: len(owner.events) == 1)
    client = SonosUpnpClient(session, timeout=5.0)
    host, port = emulator_player.host, emulator_player.port
    emulator_player.faults.drop_events = True
    await client.call(
        host,
        port,
        "AlarmClock",
        "CreateAlarm",
        _alarm(emulator_player.uuid, "06:00:00"),
    )
    await emulator_player.gena.wait_for_counters(lambda counters: counters.dropped == 1)
    emulator_player.faults.drop_events = False
    await client.call(
        host,
        port,
        "AlarmClock",
        "CreateAlarm",
        _alarm(emulator_player.uuid, "06:30:00"),
    )
    await owner.wait_for(lambda: owner.resyncs == 1 and len(owner.events) == 2)
    assert [event.seq for event in owner.events] == [0, 2]


async def test_emulator_reboot_412_then_resubscribe(
    emulated: Callable[..., Subscription],
    emulator_player: Player,
    owner: Owner,
) -> None:
    # Granted 1 s: the renewal comes 0.5 s after subscribing, after the reboot.
    topology = emulated("ZoneGroupTopology", requested_timeout=1)
    await topology.start()
    assert topology.health.granted_timeout == 1
    old_sid = topology.sid
    await owner.wait_for(lambda: len(owner.events) == 1)
    boot_seq = emulator_player.boot_seq
    await emulator_player.reboot(outage=0.01)
    assert emulator_player.boot_seq == boot_seq + 1
    await owner.wait_for(lambda: owner.resyncs == 1)
    [failure] = owner.failures
    assert isinstance(failure, SubscriptionError)
    assert failure.status == 412
    assert topology.sid is not None
    assert topology.sid != old_sid
    assert topology.sid in emulator_player.gena.subscriptions
    await owner.wait_for(lambda: any(e.sid == topology.sid for e in owner.events))
    fresh = next(e for e in owner.events if e.sid == topology.sid)
    assert fresh.seq == 0
    health = topology.health
    assert (health.active, health.failures) == (True, 1)


async def test_emulator_offline_player_is_resubscribed_when_back(
    emulated: Callable[..., Subscription],
    emulator_player: Player,
    owner: Owner,
) -> None:
    alarm_clock = emulated("AlarmClock", requested_timeout=1)
    await alarm_clock.start()
    await emulator_player.go_offline()
    await owner.wait_for(lambda: len(owner.failures) >= 3)
    assert all(isinstance(err, UpnpConnectionError) for err in owner.failures)
    offline_health = alarm_clock.health
    await emulator_player.go_online()
    await owner.wait_for(lambda: owner.resyncs == 1)
    assert (offline_health.active, alarm_clock.health.active) == (False, True)
    assert alarm_clock.sid in emulator_player.gena.subscriptions
