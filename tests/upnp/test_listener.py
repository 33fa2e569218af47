"""The NOTIFY server: checks, sequence tracking and early events, over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any, NoReturn

import aiohttp
import pytest

from custom_components.sonos_upnp.upnp import http_server
from custom_components.sonos_upnp.upnp.events import UpnpEvent
from custom_components.sonos_upnp.upnp.exceptions import UpnpConnectionError
from custom_components.sonos_upnp.upnp.http_server import ServerLimits
from custom_components.sonos_upnp.upnp.listener import (
    MAX_PENDING_EVENTS,
    STALE_SEQ_WINDOW,
    EventListener,
    is_stale_seq,
    normalize_host,
)

LOCALHOST = "127.0.0.1"
SID = "uuid:RINCON_000E58A0B1C201400_sub0000000001"


def propertyset(**variables: str) -> bytes:
    props = "".join(
        f"<e:property><{name}>{value}</{name}></e:property>"
        for name, value in variables.items()
    )
    return (
        '<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0">'
        f"{props}</e:propertyset>"
    ).encode()


RC_BODY = propertyset(
    LastChange=(
        "&lt;Event xmlns=&quot;urn:schemas-upnp-org:metadata-1-0/RCS/&quot;&gt;"
        "&lt;InstanceID val=&quot;0&quot;&gt;"
        "&lt;Volume channel=&quot;Master&quot; val=&quot;12&quot;/&gt;"
        "&lt;Volume channel=&quot;LF&quot; val=&quot;100&quot;/&gt;"
        "&lt;/InstanceID&gt;&lt;/Event&gt;"
    )
)


class Recorder:
    """Collects events and resyncs."""

    def __init__(self) -> None:
        self.events: list[UpnpEvent] = []
        self.resyncs: list[str] = []

    def on_event(self, event: UpnpEvent) -> None:
        self.events.append(event)

    def on_resync(self, sid: str) -> None:
        self.resyncs.append(sid)

    @property
    def seqs(self) -> list[int]:
        return [event.seq for event in self.events]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def notify(
    session: aiohttp.ClientSession, listener: EventListener
) -> Callable[..., Awaitable[int]]:
    async def send(
        seq: int | str = 0,
        body: Any = RC_BODY,
        *,
        sid: str | None = SID,
        nt: str | None = "upnp:event",
        nts: str | None = "upnp:propchange",
        method: str = "NOTIFY",
        path: str = "/notify",
    ) -> int:
        headers = {"SEQ": str(seq), "CONTENT-TYPE": 'text/xml; charset="utf-8"'}
        if sid is not None:
            headers["SID"] = sid
        if nt is not None:
            headers["NT"] = nt
        if nts is not None:
            headers["NTS"] = nts
        url = f"http://{LOCALHOST}:{listener.port}{path}"
        async with session.request(method, url, headers=headers, data=body) as resp:
            return resp.status

    return send


async def test_start_binds_a_port_and_stop_releases_it(socket_enabled: None) -> None:
    event_listener = EventListener(host=LOCALHOST)
    states = [event_listener.started]
    assert repr(event_listener) == "<EventListener (stopped)>"
    with pytest.raises(UpnpConnectionError):
        _ = event_listener.port
    await event_listener.start()
    port = event_listener.port
    assert port > 0
    states.append(event_listener.started)
    assert repr(event_listener) == f"<EventListener 127.0.0.1:{port}>"
    await event_listener.start()  # idempotent
    assert event_listener.port == port
    await event_listener.stop()
    states.append(event_listener.started)
    await event_listener.stop()  # idempotent
    assert states == [False, True, False]


@pytest.mark.parametrize("host", ["sonos.local", "127.0.0.300"])
async def test_listen_address_must_be_an_ip(socket_enabled: None, host: str) -> None:
    # Resolving a name here would block the event loop.
    with pytest.raises(UpnpConnectionError, match="cannot listen"):
        await EventListener(host=host).start()


async def test_port_in_use_is_a_connection_error(listener: EventListener) -> None:
    second = EventListener(host=LOCALHOST, port=listener.port)
    with pytest.raises(UpnpConnectionError, match="cannot listen"):
        await second.start()
    assert not second.started


async def test_event_is_delivered_with_parsed_last_change(
    listener: EventListener, recorder: Recorder, notify: Callable[..., Awaitable[int]]
) -> None:
    listener.register(SID, LOCALHOST, "RenderingControl", recorder.on_event)
    assert listener.is_registered(SID)
    assert await notify(0, path="/any/path/at/all") == 200
    [event] = recorder.events
    assert event == UpnpEvent(
        sid=SID,
        seq=0,
        service="RenderingControl",
        variables={"LastChange": event.variables["LastChange"]},
        last_change={"Volume": "12", "Volume_LF": "100"},
        host=LOCALHOST,
    )
    assert event.variables["LastChange"].startswith("<Event ")


@pytest.mark.parametrize(
    ("nt", "nts"),
    [
        (None, "upnp:propchange"),
        ("upnp:event", None),
        ("ssdp:all", "upnp:propchange"),
        ("upnp:event", "ssdp:alive"),
    ],
)
async def test_wrong_nt_or_nts_is_400(
    listener: EventListener,
    recorder: Recorder,
    notify: Callable[..., Awaitable[int]],
    nt: str | None,
    nts: str | None,
) -> None:
    listener.register(SID, LOCALHOST, "RenderingControl", recorder.on_event)
    assert await notify(0, nt=nt, nts=nts) == 400
    assert recorder.events == []


async def test_other_methods_are_405(
    listener: EventListener, notify: Callable[..., Awaitable[int]]
) -> None:
    assert await notify(0, method="GET", body=None) == 405
    assert await notify(0, method="POST") == 405


async def test_unknown_or_missing_sid_is_412(
    listener: EventListener, recorder: Recorder, notify: Callable[..., Awaitable[int]]
) -> None:
    listener.register(SID, LOCALHOST, "RenderingControl", recorder.on_event)
    assert await notify(0, sid="uuid:someone-else") == 412
    assert await notify(0, sid=None) == 412
    listener.unregister(SID)
    listener.unregister(SID)  # unknown SIDs are ignored
    assert not listener.is_registered(SID)
    assert await notify(0) == 412
    assert recorder.events == []


async def test_stranger_host_is_403(
    listener: EventListener, recorder: Recorder, notify: Callable[..., Awaitable[int]]
) -> None:
    # Loopback cannot fake a source address: register the SID for another host.
    listener.register(SID, "127.0.0.2", "RenderingControl", recorder.on_event)
    assert await notify(0) == 403
    assert recorder.events == []


async def test_ipv4_mapped_sender_matches_its_ipv4_registration(
    listener: EventListener, recorder: Recorder, notify: Callable[..., Awaitable[int]]
) -> None:
    listener.register(SID, "::ffff:127.0.0.1", "AlarmClock", recorder.on_event)
    assert await notify(0) == 200
    assert recorder.seqs == [0]


async def test_oversized_body_is_413(
    socket_enabled: None, session: aiohttp.ClientSession, recorder: Recorder
) -> None:
    small = EventListener(host=LOCALHOST, max_body_bytes=1024)
    await small.start()
    try:
        small.register(SID, LOCALHOST, "AlarmClock", recorder.on_event)
        url = f"http://{LOCALHOST}:{small.port}/notify"
        headers = {"NT": "upnp:event", "NTS": "upnp:propchange", "SID": SID}
        big = propertyset(ZoneName="x" * 2000)

        async def chunked() -> AsyncIterator[bytes]:
            yield big[:1000]
            yield big[1000:]

        # Declared Content-Length, then chunked without a declared length.
        for body in (big, chunked()):
            async with session.request(
                "NOTIFY", url, headers={**headers, "SEQ": "0"}, data=body
            ) as resp:
                assert resp.status == 413
        async with session.request(
            "NOTIFY", url, headers={**headers, "SEQ": "0"}, data=propertyset(A="1")
        ) as resp:
            assert resp.status == 200
        assert recorder.seqs == [0]
    finally:
        await small.stop()


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b"<foo/>",
        b"",
        (
            b'<!DOCTYPE x [<!ENTITY a "b">]><e:propertyset '
            b'xmlns:e="urn:schemas-upnp-org:event-1-0"/>'
        ),
        propertyset(LastChange="&lt;Event&gt;&lt;Nope/&gt;&lt;/Event&gt;"),
    ],
)
async def test_malformed_body_is_400(
    listener: EventListener,
    recorder: Recorder,
    notify: Callable[..., Awaitable[int]],
    body: bytes,
) -> None:
    listener.register(SID, LOCALHOST, "AVTransport", recorder.on_event)
    assert await notify(0, body) == 400
    assert recorder.events == []


@pytest.mark.parametrize("seq", ["", "one", "-1", str(2**32), "1.5"])
async def test_bad_seq_is_400(
    listener: EventListener,
    recorder: Recorder,
    notify: Callable[..., Awaitable[int]],
    seq: str,
) -> None:
    listener.register(SID, LOCALHOST, "AVTransport", recorder.on_event)
    assert await notify(seq) == 400
    assert recorder.events == []


@pytest.mark.parametrize(
    ("seqs", "delivered", "resync_before"),
    [
        ([0, 1, 2, 3], [0, 1, 2, 3], []),
        ([0, 2, 3], [0, 2, 3], [2]),  # gap
        ([0, 1, 2, 1, 2], [0, 1, 2], []),  # repeats are dropped
        ([0, 1, 2, 2], [0, 1, 2], []),  # a duplicate is dropped
        ([0, 3, 2, 4], [0, 3, 4], [3]),  # a late event is dropped after the gap
        ([0, 1, 5, 0, 1], [0, 1, 5], [5]),  # the initial event again: dropped
        ([4, 5], [4, 5], [4]),  # the initial event was missed
        ([0, 5000, 0, 1], [0, 5000, 0, 1], [5000]),  # counting afresh
        ([0, 5000, 3, 4], [0, 5000, 3, 4], [5000, 3]),  # far back: afresh too
        (
            [0, 2**32 - 2, 2**32 - 1, 1, 2**32 - 1, 1, 2],
            [0, 2**32 - 2, 2**32 - 1, 1, 2],
            [2**32 - 2],
        ),  # the wrap to 1 is newer; the SEQs before it are older
    ],
)
async def test_seq_tracking(
    listener: EventListener,
    recorder: Recorder,
    notify: Callable[..., Awaitable[int]],
    seqs: list[int],
    delivered: list[int],
    resync_before: list[int],
) -> None:
    resynced_at: list[int] = []

    def on_resync(sid: str) -> None:
        assert sid == SID
        resynced_at.append(len(recorder.events))

    listener.register(SID, LOCALHOST, "AVTransport", recorder.on_event, on_resync)
    for seq in seqs:
        # Dropped events are answered 200 too: the speaker did nothing wrong.
        assert await notify(seq) == 200
    # Repeats and late events are dropped, so the state never goes back; a
    # resync precedes the event that revealed a gap.
    assert recorder.seqs == delivered
    assert [delivered[index] for index in resynced_at] == resync_before


@pytest.mark.parametrize(
    ("last", "seq", "stale"),
    [
        (0, 0, True),
        (0, 1, False),
        (5, 5, True),
        (5, 4, True),
        (5, 6, False),
        (5, 0, True),
        (STALE_SEQ_WINDOW, 0, False),
        (2**32 - 1, 1, False),
        (1, 2**32 - 1, True),
        (2**32 - 2, 2**32 - 1, False),
        (2000, 2000 - STALE_SEQ_WINDOW, False),
        (2000, 2001 - STALE_SEQ_WINDOW, True),
    ],
)
def test_is_stale_seq(last: int, seq: int, stale: bool) -> None:
    assert is_stale_seq(last, seq) is stale


async def test_seq_wraps_to_one(
    listener: EventListener, recorder: Recorder, notify: Callable[..., Awaitable[int]]
) -> None:
    listener.register(
        SID, LOCALHOST, "AVTransport", recorder.on_event, recorder.on_resync
    )
    for seq in (0, 2**32 - 2):
        await notify(seq)
    assert recorder.resyncs == [SID]
    for seq in (2**32 - 1, 1, 2):
        assert await notify(seq) == 200
    assert recorder.resyncs == [SID]
    assert recorder.seqs == [0, 2**32 - 2, 2**32 - 1, 1, 2]


async def test_gap_without_resync_callback_still_delivers(
    listener: EventListener, recorder: Recorder, notify: Callable[..., Awaitable[int]]
) -> None:
    listener.register(SID, LOCALHOST, "AVTransport", recorder.on_event)
    for seq in (0, 7, 8):
        assert await notify(seq) == 200
    assert recorder.seqs == [0, 7, 8]


async def test_reregistering_restarts_the_sequence(
    listener: EventListener, recorder: Recorder, notify: Callable[..., Awaitable[int]]
) -> None:
    listener.register(
        SID, LOCALHOST, "AVTransport", recorder.on_event, recorder.on_resync
    )
    await notify(0)
    await notify(1)
    listener.register(
        SID, LOCALHOST, "AVTransport", recorder.on_event, recorder.on_resync
    )
    await notify(0)
    assert recorder.resyncs == []


async def test_callback_errors_are_logged_and_the_server_survives(
    listener: EventListener,
    recorder: Recorder,
    notify: Callable[..., Awaitable[int]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    def broken(event: UpnpEvent) -> None:
        calls.append(event.seq)
        raise RuntimeError("owner bug")

    def broken_resync(sid: str) -> None:
        raise ValueError("resync bug")

    listener.register(SID, LOCALHOST, "AVTransport", broken, broken_resync)
    with caplog.at_level(logging.ERROR):
        assert await notify(0) == 200
        assert await notify(3) == 200
    assert calls == [0, 3]
    assert "Event callback for" in caplog.text
    assert "owner bug" in caplog.text
    assert "Resync callback for" in caplog.text
    # Still serving.
    listener.register("uuid:other", LOCALHOST, "AVTransport", recorder.on_event)
    assert await notify(0, sid="uuid:other") == 200
    assert recorder.seqs == [0]


async def test_early_notify_is_kept_and_delivered_on_register(
    listener: EventListener, recorder: Recorder, notify: Callable[..., Awaitable[int]]
) -> None:
    with listener.expect_from(LOCALHOST):
        # The initial events overtake the SUBSCRIBE response, even out of order.
        assert await notify(1) == 200
        assert await notify(0) == 200
        assert recorder.events == []
        listener.register(
            SID, LOCALHOST, "RenderingControl", recorder.on_event, recorder.on_resync
        )
    assert recorder.seqs == [0, 1]
    assert {event.service for event in recorder.events} == {"RenderingControl"}
    assert recorder.resyncs == []
    assert await notify(2) == 200
    assert recorder.seqs == [0, 1, 2]


async def test_early_notify_without_subscribe_in_flight_is_412(
    listener: EventListener, recorder: Recorder, notify: Callable[..., Awaitable[int]]
) -> None:
    with listener.expect_from("127.0.0.2"):
        assert await notify(0) == 412
    listener.register(SID, LOCALHOST, "AlarmClock", recorder.on_event)
    assert recorder.events == []


async def test_early_notify_from_another_host_is_not_delivered(
    listener: EventListener, recorder: Recorder, notify: Callable[..., Awaitable[int]]
) -> None:
    with listener.expect_from(LOCALHOST), listener.expect_from(LOCALHOST):
        assert await notify(0) == 200
    # The SUBSCRIBE went to another speaker: the early event was not its own.
    listener.register(SID, "127.0.0.2", "AlarmClock", recorder.on_event)
    assert recorder.events == []


async def test_early_notify_expires(
    socket_enabled: None, session: aiohttp.ClientSession, recorder: Recorder
) -> None:
    expiring = EventListener(host=LOCALHOST, pending_ttl=-1.0)
    await expiring.start()
    try:
        url = f"http://{LOCALHOST}:{expiring.port}/"
        headers = {"NT": "upnp:event", "NTS": "upnp:propchange", "SID": SID, "SEQ": "0"}
        with expiring.expect_from(LOCALHOST):
            async with session.request(
                "NOTIFY", url, headers=headers, data=RC_BODY
            ) as resp:
                assert resp.status == 200
            expiring.register(SID, LOCALHOST, "RenderingControl", recorder.on_event)
        assert recorder.events == []
    finally:
        await expiring.stop()


async def test_early_notify_buffer_is_bounded(
    listener: EventListener, recorder: Recorder, notify: Callable[..., Awaitable[int]]
) -> None:
    with listener.expect_from(LOCALHOST):
        for index in range(MAX_PENDING_EVENTS):
            assert await notify(0, sid=f"uuid:flood-{index}") == 200
        assert await notify(0, sid="uuid:one-too-many") == 412
        listener.unregister("uuid:flood-0")  # drops its early event
        listener.register("uuid:flood-0", LOCALHOST, "AlarmClock", recorder.on_event)
        listener.register("uuid:flood-1", LOCALHOST, "AlarmClock", recorder.on_event)
    assert [event.sid for event in recorder.events] == ["uuid:flood-1"]


async def body_sent_after(
    listener: EventListener,
    hostile: Callable[..., Awaitable[Connection]],
    change: Callable[[], None],
) -> int:
    """Send a NOTIFY's head, change() while its body is read, then the rest."""
    connection = await hostile(listener.port)
    request = raw_notify(0)
    split = request.index(b"\r\n\r\n") + 14
    connection[1].write(request[:split])
    await reached(listener, "BODY")
    change()
    return await answer(connection, request[split:])


async def test_sid_registered_while_body_is_read(
    listener: EventListener,
    recorder: Recorder,
    hostile: Callable[..., Awaitable[Connection]],
) -> None:
    def register() -> None:
        listener.register(SID, LOCALHOST, "AlarmClock", recorder.on_event)

    with listener.expect_from(LOCALHOST):
        assert await body_sent_after(listener, hostile, register) == 200
    assert recorder.seqs == [0]


async def test_sid_dropped_while_body_is_read(
    listener: EventListener,
    recorder: Recorder,
    hostile: Callable[..., Awaitable[Connection]],
) -> None:
    listener.register(SID, LOCALHOST, "AlarmClock", recorder.on_event)
    assert (
        await body_sent_after(listener, hostile, lambda: listener.unregister(SID))
        == 412
    )
    assert recorder.events == []


async def test_sid_moved_to_another_host_while_body_is_read(
    listener: EventListener,
    recorder: Recorder,
    hostile: Callable[..., Awaitable[Connection]],
) -> None:
    def move() -> None:
        listener.register(SID, "127.0.0.2", "AlarmClock", recorder.on_event)

    listener.register(SID, LOCALHOST, "AlarmClock", recorder.on_event)
    assert await body_sent_after(listener, hostile, move) == 403
    assert recorder.events == []


async def test_stop_forgets_registrations(socket_enabled: None) -> None:
    event_listener = EventListener(host=LOCALHOST)
    await event_listener.start()
    event_listener.register(SID, LOCALHOST, "AlarmClock", Recorder().on_event)
    await event_listener.stop()
    assert not event_listener.is_registered(SID)


@pytest.mark.parametrize(
    ("host", "normalized"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("::ffff:192.168.1.20", "192.168.1.20"),
        ("FE80::1%eth0", "fe80::1"),
        ("2001:DB8::0001", "2001:db8::1"),
        ("Sonos-Kitchen.local", "sonos-kitchen.local"),
    ],
)
def test_normalize_host(host: str, normalized: str) -> None:
    assert normalize_host(host) == normalized


async def test_huge_body_is_refused_and_the_server_survives(
    listener: EventListener, recorder: Recorder, notify: Callable[..., Awaitable[int]]
) -> None:
    listener.register(SID, LOCALHOST, "AlarmClock", recorder.on_event)
    huge = propertyset(ZoneName="x" * (4 * 1024 * 1024))
    assert await notify(0, huge) == 413
    assert await notify(0) == 200
    assert recorder.seqs == [0]


# --- a hostile network: raw connections from loopback strangers ---------------

STRANGERS = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
FAST = ServerLimits(
    head_timeout=0.3, body_timeout=0.3, keepalive_timeout=0.3, linger_timeout=0.3
)
PARTIAL_HEAD = b"NOTIFY /notify HTTP/1.1\r\nHOST: x\r\n"

type Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def raw_notify(seq: int, *, body: bytes = RC_BODY, extra: str = "") -> bytes:
    return (
        f"NOTIFY /notify HTTP/1.1\r\nHOST: {LOCALHOST}\r\n"
        f"CONTENT-LENGTH: {len(body)}\r\nNT: upnp:event\r\nNTS: upnp:propchange\r\n"
        f"SID: {SID}\r\nSEQ: {seq}\r\n{extra}\r\n"
    ).encode() + body


@pytest.fixture
async def hostile() -> AsyncIterator[Callable[..., Awaitable[Connection]]]:
    """Open raw connections to a listener from any loopback address."""
    opened: list[asyncio.StreamWriter] = []

    async def connect(port: int, source: str = LOCALHOST) -> Connection:
        reader, writer = await asyncio.open_connection(
            LOCALHOST, port, local_addr=(source, 0)
        )
        opened.append(writer)
        return reader, writer

    yield connect
    for writer in opened:
        writer.close()


@pytest.fixture
async def start_listener(
    socket_enabled: None,
) -> AsyncIterator[Callable[..., Awaitable[EventListener]]]:
    """Start listeners with short timeouts, and other limits as asked."""
    started: list[EventListener] = []

    async def start(**limits: Any) -> EventListener:
        event_listener = EventListener(host=LOCALHOST, limits=replace(FAST, **limits))
        await event_listener.start()
        started.append(event_listener)
        return event_listener

    yield start
    for event_listener in started:
        await event_listener.stop()


@pytest.fixture
async def guarded(
    start_listener: Callable[..., Awaitable[EventListener]],
) -> EventListener:
    """A listener with short timeouts."""
    return await start_listener()


async def settled(
    listener: EventListener, *, connections: int, busy: int, within: float = 2.0
) -> None:
    """Wait until the listener holds `connections`, `busy` of them mid-request.

    A connection is busy once its request line was read; the caps shed idle
    connections before busy ones, so tests wait for that reading to be done.
    """
    held = listener._server._connections
    async with asyncio.timeout(within):
        while True:
            if len(held) == connections and (
                sum(not connection.idle for connection in held) == busy
            ):
                return
            await asyncio.sleep(0.005)


async def reached(listener: EventListener, state: str, within: float = 2.0) -> None:
    """Wait until one of the listener's connections is in `state` (a _State name)."""
    held = listener._server._connections
    async with asyncio.timeout(within):
        while True:
            if any(connection._state.name == state for connection in held):
                return
            await asyncio.sleep(0.005)


async def closed_by_listener(reader: asyncio.StreamReader, within: float) -> bool:
    """Return whether the listener closes the connection within the time."""
    try:
        async with asyncio.timeout(within):
            while await reader.read(65536):
                pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


async def answer(connection: Connection, request: bytes, within: float = 1.0) -> int:
    """Send a request on a connection; return the status of the answer."""
    reader, writer = connection
    writer.write(request)
    async with asyncio.timeout(within):
        head = await reader.readuntil(b"\r\n\r\n")
    return int(head.split()[1])


async def test_idle_connection_is_closed_after_the_head_timeout(
    guarded: EventListener, hostile: Callable[..., Awaitable[Connection]]
) -> None:
    reader, writer = await hostile(guarded.port, STRANGERS[0])
    writer.write(PARTIAL_HEAD)
    started = time.monotonic()
    assert await closed_by_listener(reader, 3.0)
    assert 0.2 < time.monotonic() - started < 2.0
    assert guarded.connection_count == 0


async def test_trickled_head_is_cut_at_its_deadline(
    guarded: EventListener, hostile: Callable[..., Awaitable[Connection]]
) -> None:
    reader, writer = await hostile(guarded.port, STRANGERS[0])
    started = time.monotonic()
    closed = False
    for byte in PARTIAL_HEAD * 4:  # one byte every 50 ms: 6 s in all
        try:
            writer.write(bytes([byte]))
            await writer.drain()
        except ConnectionError:
            closed = True
            break
        if await closed_by_listener(reader, 0.05):
            closed = True
            break
    assert closed
    assert time.monotonic() - started < 2.0


async def test_missing_body_is_cut_after_the_body_timeout(
    guarded: EventListener,
    hostile: Callable[..., Awaitable[Connection]],
    recorder: Recorder,
) -> None:
    guarded.register(SID, LOCALHOST, "AlarmClock", recorder.on_event)
    reader, writer = await hostile(guarded.port)
    writer.write(raw_notify(0)[:-10])  # the head and most of the body
    assert await closed_by_listener(reader, 3.0)
    assert recorder.events == []


async def test_keep_alive_serves_several_notifies_then_idles_out(
    guarded: EventListener,
    hostile: Callable[..., Awaitable[Connection]],
    recorder: Recorder,
) -> None:
    guarded.register(SID, LOCALHOST, "RenderingControl", recorder.on_event)
    connection = await hostile(guarded.port)
    for seq in range(3):
        assert await answer(connection, raw_notify(seq)) == 200
    assert recorder.seqs == [0, 1, 2]
    assert await closed_by_listener(connection[0], 3.0)


async def test_strangers_share_a_few_places_and_a_speaker_still_gets_in(
    start_listener: Callable[..., Awaitable[EventListener]],
    hostile: Callable[..., Awaitable[Connection]],
    recorder: Recorder,
) -> None:
    guarded = await start_listener(
        head_timeout=10.0,
        max_connections=8,
        max_stranger_connections=4,
        max_connections_per_sender=3,
    )
    guarded.register(SID, LOCALHOST, "RenderingControl", recorder.on_event)
    opened = []
    for source in STRANGERS:
        for _ in range(3):
            reader, writer = await hostile(guarded.port, source)
            writer.write(PARTIAL_HEAD)
            opened.append(reader)
    # The oldest strangers made room: four places for all strangers.
    closed = [await closed_by_listener(reader, 0.1) for reader in opened]
    assert closed == [True] * 5 + [False] * 4
    assert guarded.connection_count == 4
    started = time.monotonic()
    assert await answer(await hostile(guarded.port), raw_notify(0)) == 200
    assert time.monotonic() - started < 0.5
    assert recorder.seqs == [0]


async def test_one_sender_holds_few_connections(
    start_listener: Callable[..., Awaitable[EventListener]],
    hostile: Callable[..., Awaitable[Connection]],
) -> None:
    guarded = await start_listener(head_timeout=10.0, max_connections_per_sender=3)
    opened = []
    for _ in range(5):
        reader, writer = await hostile(guarded.port, STRANGERS[0])
        writer.write(PARTIAL_HEAD)
        opened.append(reader)
    closed = [await closed_by_listener(reader, 0.1) for reader in opened]
    assert closed == [True, True, False, False, False]


async def test_speaker_request_in_flight_is_not_cut_for_newcomers(
    start_listener: Callable[..., Awaitable[EventListener]],
    hostile: Callable[..., Awaitable[Connection]],
    recorder: Recorder,
) -> None:
    guarded = await start_listener(head_timeout=10.0, max_connections=3)
    guarded.register(SID, LOCALHOST, "AlarmClock", recorder.on_event)
    in_flight = await hostile(guarded.port)
    request = raw_notify(0, body=propertyset(A="1"))
    in_flight[1].write(request[:40])  # the request line and a little more
    idle_reader, _ = await hostile(guarded.port)
    stranger, writer = await hostile(guarded.port, STRANGERS[0])
    writer.write(PARTIAL_HEAD)
    await settled(guarded, connections=3, busy=2)
    # Full: a speaker's newcomer takes the stranger's place, the next one
    # the oldest idle connection's; the request in flight goes on.
    newcomers = [await hostile(guarded.port) for _ in range(2)]
    assert await closed_by_listener(stranger, 1.0)
    assert await closed_by_listener(idle_reader, 1.0)
    assert await answer(in_flight, request[40:]) == 200
    assert recorder.seqs == [0]
    assert not await closed_by_listener(newcomers[1][0], 0.1)
    assert guarded.connection_count == 3


async def test_kept_alive_connection_gets_the_head_timeout_for_its_next_head(
    start_listener: Callable[..., Awaitable[EventListener]],
    hostile: Callable[..., Awaitable[Connection]],
    recorder: Recorder,
) -> None:
    guarded = await start_listener(keepalive_timeout=10.0)
    guarded.register(SID, LOCALHOST, "RenderingControl", recorder.on_event)
    connection = await hostile(guarded.port)
    assert await answer(connection, raw_notify(0)) == 200
    await asyncio.sleep(0.5)  # idle longer than a head may take: still open
    connection[1].write(PARTIAL_HEAD)
    started = time.monotonic()
    assert await closed_by_listener(connection[0], 3.0)
    assert 0.2 < time.monotonic() - started < 2.0
    assert recorder.seqs == [0]


@pytest.mark.parametrize("cap", ["max_connections", "max_connections_per_sender"])
async def test_newcomer_is_refused_when_speakers_fill_every_place(
    start_listener: Callable[..., Awaitable[EventListener]],
    hostile: Callable[..., Awaitable[Connection]],
    recorder: Recorder,
    cap: str,
) -> None:
    guarded = await start_listener(head_timeout=10.0, body_timeout=10.0, **{cap: 2})
    guarded.register(SID, LOCALHOST, "AlarmClock", recorder.on_event)
    busy = []
    for seq in range(2):
        connection = await hostile(guarded.port)
        request = raw_notify(seq, body=propertyset(A=str(seq)))
        connection[1].write(request[:-5])  # head and body but its end
        busy.append((connection, request[-5:]))
    await settled(guarded, connections=2, busy=2)
    newcomer, _ = await hostile(guarded.port)
    assert await closed_by_listener(newcomer, 1.0)
    for connection, rest in busy:
        assert await answer(connection, rest) == 200
    assert recorder.seqs == [0, 1]


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"NOTIFY /notify\r\n\r\n", 400),
        (b"NOTIFY /notify HTTP/2.0\r\n\r\n", 400),
        (b"NOT IFY /notify HTTP/1.1\r\n\r\n", 400),
        (b"NOTIFY / HTTP/1.1\r\nno colon\r\n\r\n", 400),
        (b"NOTIFY / HTTP/1.1\r\n folded: line\r\n\r\n", 400),
        (b"NOTIFY / HTTP/1.1\r\nSEQ: 1\r\nSEQ: 2\r\n\r\n", 400),
        (b"NOTIFY / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
        (b"NOTIFY / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        (b"NOTIFY / HTTP/1.1\r\nContent-Length: " + b"9" * 30 + b"\r\n\r\n", 400),
        (b"NOTIFY / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        (
            (
                b"NOTIFY / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                b"Content-Length: 5\r\n\r\n"
            ),
            400,
        ),
        (b"NOTIFY / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (b"NOTIFY / HTTP/1.1\r\nX: " + b"y" * 9000 + b"\r\n\r\n", 431),
        (b"NOTIFY / HTTP/1.1\r\n" + b"X: y\r\n" * 40 + b"\r\n", 431),
        (b"NOTIFY / HTTP/1.1\r\n" + (b"X: " + b"y" * 5000 + b"\r\n") * 2, 431),
    ],
)
async def test_malformed_requests_are_refused(
    guarded: EventListener,
    hostile: Callable[..., Awaitable[Connection]],
    request_bytes: bytes,
    status: int,
) -> None:
    connection = await hostile(guarded.port)
    assert await answer(connection, request_bytes) == status
    assert await closed_by_listener(connection[0], 2.0)


def chunked_notify(seq: int, chunks: list[bytes], trailer: bytes = b"") -> bytes:
    head = (
        f"NOTIFY /notify HTTP/1.1\r\nHOST: {LOCALHOST}\r\n"
        "TRANSFER-ENCODING: chunked\r\nNT: upnp:event\r\nNTS: upnp:propchange\r\n"
        f"SID: {SID}\r\nSEQ: {seq}\r\n\r\n"
    ).encode()
    body = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks)
    return head + body + b"0\r\n" + trailer + b"\r\n"


async def test_chunked_body_with_extensions_and_trailers(
    guarded: EventListener,
    hostile: Callable[..., Awaitable[Connection]],
    recorder: Recorder,
) -> None:
    guarded.register(SID, LOCALHOST, "RenderingControl", recorder.on_event)
    connection = await hostile(guarded.port)
    request = chunked_notify(0, [RC_BODY[:100], RC_BODY[100:]], b"X-Trailer: 1\r\n")
    assert await answer(connection, request) == 200
    assert await answer(connection, chunked_notify(1, [RC_BODY])) == 200
    assert recorder.seqs == [0, 1]
    assert recorder.events[0].last_change == {"Volume": "12", "Volume_LF": "100"}


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\nabc\r\n0\r\n\r\n",  # not hex
        b"123456789\r\n",  # a chunk size of nine digits
        b"\r\n",  # no size at all
        b"3\r\nabcXY0\r\n\r\n",  # no CRLF after the chunk
        b"0\r\n" + b"X: y\r\n" * 40 + b"\r\n",  # endless trailers
        b"0x3\r\nabc\r\n0\r\n\r\n",  # what int(x, 16) would take
        b"+3\r\nabc\r\n0\r\n\r\n",
        b"1_0\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n",
        b"3;" + b"x" * 9000 + b"\r\nabc\r\n0\r\n\r\n",  # an endless size line
    ],
)
async def test_broken_chunks_are_refused(
    guarded: EventListener,
    hostile: Callable[..., Awaitable[Connection]],
    recorder: Recorder,
    body: bytes,
) -> None:
    guarded.register(SID, LOCALHOST, "RenderingControl", recorder.on_event)
    connection = await hostile(guarded.port)
    request = chunked_notify(0, [])
    head = request[: request.index(b"\r\n\r\n") + 4]
    assert await answer(connection, head + body) in {400, 431}
    assert recorder.events == []


async def test_http_1_0_expect_continue_and_a_stray_blank_line(
    guarded: EventListener,
    hostile: Callable[..., Awaitable[Connection]],
    recorder: Recorder,
) -> None:
    guarded.register(SID, LOCALHOST, "RenderingControl", recorder.on_event)
    reader, writer = await hostile(guarded.port)
    request = raw_notify(0, extra="Expect: 100-continue\r\n")
    head, _, body = request.partition(b"\r\n\r\n")
    writer.write(b"\r\n" + head + b"\r\n\r\n")
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 1.0)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert await answer((reader, writer), body) == 200
    # HTTP/1.0 closes after the answer unless asked to keep the connection.
    request = raw_notify(1).replace(b"HTTP/1.1", b"HTTP/1.0", 1)
    assert await answer((reader, writer), request) == 200
    assert await closed_by_listener(reader, 1.0)
    kept = await hostile(guarded.port)
    request = raw_notify(2, extra="Connection: keep-alive\r\n")
    assert await answer(kept, request.replace(b"HTTP/1.1", b"HTTP/1.0", 1)) == 200
    assert await answer(kept, raw_notify(3, extra="Connection: close\r\n")) == 200
    assert await closed_by_listener(kept[0], 1.0)
    assert recorder.seqs == [0, 1, 2, 3]


@pytest.mark.parametrize("step", ["check_head", "handler"])
async def test_a_bug_in_the_handler_is_logged_and_the_server_survives(
    guarded: EventListener,
    hostile: Callable[..., Awaitable[Connection]],
    recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    step: str,
) -> None:
    guarded.register(SID, LOCALHOST, "RenderingControl", recorder.on_event)
    server = guarded._server

    def buggy(*args: object) -> NoReturn:
        raise RuntimeError("bug")

    with monkeypatch.context() as patch:
        patch.setattr(server, step, buggy)
        reader, writer = await hostile(guarded.port)
        writer.write(raw_notify(0))
        assert await closed_by_listener(reader, 1.0)
    assert "Event listener failed on a request from 127.0.0.1" in caplog.text
    assert "RuntimeError: bug" in caplog.text
    assert await answer(await hostile(guarded.port), raw_notify(0)) == 200
    assert guarded.connection_count == 1


async def test_accept_failures_are_logged_once_and_shed_strangers(
    guarded: EventListener,
    hostile: Callable[..., Awaitable[Connection]],
    recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    guarded.register(SID, LOCALHOST, "AlarmClock", recorder.on_event)
    stranger, writer = await hostile(guarded.port, STRANGERS[0])
    writer.write(PARTIAL_HEAD)
    await settled(guarded, connections=1, busy=1)
    loop = asyncio.get_running_loop()
    real_accept = loop.sock_accept
    failures = [
        OSError(errno.EMFILE, "Too many open files"),
        ConnectionAbortedError(),
        OSError(errno.EMFILE, "Too many open files"),
        OSError(errno.EPROTO, "Protocol error"),
    ]

    async def failing_accept(sock: socket.socket) -> tuple[socket.socket, Any]:
        if failures:
            raise failures.pop(0)
        return await real_accept(sock)

    monkeypatch.setattr(loop, "sock_accept", failing_accept)
    monkeypatch.setattr(http_server, "SHORTAGE_HOLD", 0.3)
    with caplog.at_level(logging.DEBUG, logger=http_server.__name__):
        # The failures are spent on the pending accept, before this arrives.
        assert await answer(await hostile(guarded.port), raw_notify(0)) == 200
        assert await closed_by_listener(stranger, 1.0)  # shed for its handle
        # Short of handles, strangers are turned away at once ...
        turned_away, _ = await hostile(guarded.port, STRANGERS[1])
        assert await closed_by_listener(turned_away, 1.0)
        # ... until accept() has worked for a while.
        await asyncio.sleep(0.35)
        welcome, writer = await hostile(guarded.port, STRANGERS[1])
        writer.write(PARTIAL_HEAD)
        assert not await closed_by_listener(welcome, 0.1)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "cannot accept connections" in warnings[0].getMessage()
    assert "accepts connections again" in caplog.text
    assert recorder.seqs == [0]


# --- the connection's state machine: pipelining, splits, pauses, bounds -------


async def read_answers(reader: asyncio.StreamReader, count: int) -> list[int]:
    """Read count answers (heads only: they have no body); return their statuses."""
    statuses = []
    async with asyncio.timeout(5.0):
        for _ in range(count):
            head = await reader.readuntil(b"\r\n\r\n")
            statuses.append(int(head.split()[1]))
    return statuses


def only_connection(listener: EventListener) -> Any:
    [connection] = listener._server._connections
    return connection


async def test_pipelined_notifies_in_one_write_are_answered_in_order(
    guarded: EventListener,
    hostile: Callable[..., Awaitable[Connection]],
    recorder: Recorder,
) -> None:
    guarded.register(SID, LOCALHOST, "RenderingControl", recorder.on_event)
    reader, writer = await hostile(guarded.port)
    # Two NOTIFYs, a refused one and a third, all in one write.
    writer.write(
        raw_notify(0) + raw_notify(1) + b"GET / HTTP/1.1\r\n\r\n" + raw_notify(2)
    )
    assert await read_answers(reader, 4) == [200, 200, 405, 200]
    assert recorder.seqs == [0, 1, 2]
    assert not await closed_by_listener(reader, 0.05)


async def test_a_request_split_byte_by_byte_is_read_whole(
    start_listener: Callable[..., Awaitable[EventListener]],
    hostile: Callable[..., Awaitable[Connection]],
    recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    guarded = await start_listener(head_timeout=20.0, body_timeout=20.0)
    guarded.register(SID, LOCALHOST, "RenderingControl", recorder.on_event)
    received: list[int] = []
    real_data_received = http_server._Connection.data_received

    def counting(connection: Any, data: bytes) -> None:
        received.append(len(data))
        real_data_received(connection, data)

    monkeypatch.setattr(http_server._Connection, "data_received", counting)
    reader, writer = await hostile(guarded.port)
    request = b"\r\n" + chunked_notify(
        0, [RC_BODY[:7], RC_BODY[7:]], b"X-Trailer: 1\r\n"
    )
    for index in range(len(request)):
        writer.write(request[index : index + 1])
        # Each byte reaches the server alone before the next one is sent.
        await until(lambda index=index: sum(received) > index, 2.0, 0)
    assert received == [1] * len(request)
    assert await read_answers(reader, 1) == [200]
    assert recorder.seqs == [0]
    assert recorder.events[0].last_change == {"Volume": "12", "Volume_LF": "100"}


async def until(
    condition: Callable[[], bool], within: float = 5.0, step: float = 0.002
) -> None:
    """Let the loop run until condition() holds."""
    async with asyncio.timeout(within):
        while True:
            if condition():
                return
            await asyncio.sleep(step)


async def stalled_peer(listener: EventListener) -> tuple[socket.socket, Any]:
    """Connect a peer that reads nothing, to a server connection whose answers
    stay in its transport as soon as the socket buffers are full."""
    loop = asyncio.get_running_loop()
    peer = socket.socket()
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    peer.setblocking(False)
    await loop.sock_connect(peer, (LOCALHOST, listener.port))
    await until(lambda: bool(listener._server._connections))
    connection = only_connection(listener)
    transport = connection._transport
    transport.get_extra_info("socket").setsockopt(
        socket.SOL_SOCKET, socket.SO_SNDBUF, 1024
    )
    transport.set_write_buffer_limits(high=0)
    return peer, connection


async def pipeline_to_a_stalled_peer(
    guarded: EventListener, recorder: Recorder, count: int
) -> tuple[socket.socket, Any, asyncio.Task[None]]:
    """Send count pipelined NOTIFYs from a peer that reads none of the answers.

    Return the peer, the server's connection (by then its writing is paused)
    and the task still sending.
    """
    guarded.register(SID, LOCALHOST, "RenderingControl", recorder.on_event)
    loop = asyncio.get_running_loop()
    peer, connection = await stalled_peer(guarded)
    sending = loop.create_task(
        loop.sock_sendall(peer, b"".join(raw_notify(seq) for seq in range(count)))
    )
    await until(lambda: connection._write_paused)
    return peer, connection, sending


async def read_raw_answers(peer: socket.socket, count: int) -> list[int]:
    """Read count answers (heads only) from a raw socket."""
    loop = asyncio.get_running_loop()
    data = b""
    async with asyncio.timeout(10.0):
        while data.count(b"\r\n\r\n") < count:
            chunk = await loop.sock_recv(peer, 65536)
            assert chunk, "closed"
            data += chunk
    return [int(head.split()[1]) for head in data.split(b"\r\n\r\n")[:count]]


async def test_requests_wait_while_the_peer_does_not_take_our_answers(
    start_listener: Callable[..., Awaitable[EventListener]],
    recorder: Recorder,
) -> None:
    guarded = await start_listener(write_timeout=5.0, keepalive_timeout=5.0)
    count = 1000
    # Pipelined NOTIFYs whose answers the peer does not read: the answers
    # fill the socket buffers, and the server stops reading and parsing.
    peer, connection, sending = await pipeline_to_a_stalled_peer(
        guarded, recorder, count
    )
    try:
        delivered = len(recorder.events)
        assert 0 < delivered < count
        # Requests and bodies still arriving wait too: reading is paused, so
        # the server holds at most what its last read brought.
        held = len(connection._buffer)
        for _ in range(20):
            await asyncio.sleep(0)
        assert len(recorder.events) == delivered
        assert connection._write_paused
        assert not connection._transport.is_reading()
        assert len(connection._buffer) == held <= 256 * 1024
        # Taking the answers lets the server go on where it stopped.
        assert await read_raw_answers(peer, count) == [200] * count
        await sending
        assert recorder.seqs == list(range(count))
        assert guarded.connection_count == 1
    finally:
        peer.close()


async def test_an_answer_the_peer_does_not_take_is_cut_at_the_write_timeout(
    start_listener: Callable[..., Awaitable[EventListener]],
    recorder: Recorder,
) -> None:
    guarded = await start_listener(write_timeout=0.3, keepalive_timeout=10.0)
    peer, _, sending = await pipeline_to_a_stalled_peer(guarded, recorder, 400)
    try:
        paused_at = time.monotonic()
        await until(lambda: not guarded.connection_count, within=3.0)
        assert 0.2 < time.monotonic() - paused_at < 2.0
        # Dropped at once, its answers unsent: the peer sees a reset.
        with pytest.raises(ConnectionResetError):
            await read_raw_answers(peer, 400)
        await sending
    finally:
        peer.close()


HUGE = 10 * 1024 * 1024
SMALL_BODY_CAP = 4096


@pytest.mark.parametrize(
    ("prefix", "bound"),
    [
        # No CRLF at all: the request line.
        (b"", FAST.max_head_bytes),
        # A header line without an end.
        (b"NOTIFY / HTTP/1.1\r\nX: ", FAST.max_head_bytes + 2),
        # A chunk-size line without an end.
        (
            b"NOTIFY / HTTP/1.1\r\nNT: upnp:event\r\nNTS: upnp:propchange\r\n"
            b"SID: " + SID.encode() + b"\r\nSEQ: 0\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n4;",
            FAST.max_head_bytes,
        ),
        # A trailer without an end, after a body at the cap.
        (
            b"NOTIFY / HTTP/1.1\r\nNT: upnp:event\r\nNTS: upnp:propchange\r\n"
            b"SID: " + SID.encode() + b"\r\nSEQ: 0\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
            b"%x\r\n" % SMALL_BODY_CAP + b"a" * SMALL_BODY_CAP + b"\r\n0\r\nX: ",
            SMALL_BODY_CAP + FAST.max_head_bytes,
        ),
        # A body at the cap, then a request line without an end.
        (
            b"NOTIFY / HTTP/1.1\r\nNT: upnp:event\r\nNTS: upnp:propchange\r\n"
            b"SID: " + SID.encode() + b"\r\nSEQ: 0\r\n"
            b"Content-Length: %d\r\n\r\n" % SMALL_BODY_CAP + b"a" * SMALL_BODY_CAP,
            SMALL_BODY_CAP + FAST.max_head_bytes,
        ),
    ],
    ids=["request-line", "header", "chunk-size", "trailer", "after-a-body"],
)
async def test_ten_megabytes_without_a_crlf_are_refused_and_never_held(
    socket_enabled: None,
    hostile: Callable[..., Awaitable[Connection]],
    recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
    prefix: bytes,
    bound: int,
) -> None:
    held: list[int] = []
    real_data_received = http_server._Connection.data_received

    def measuring(connection: Any, data: bytes) -> None:
        real_data_received(connection, data)
        held.append(len(connection._buffer) + sum(map(len, connection._chunks)))

    monkeypatch.setattr(http_server._Connection, "data_received", measuring)
    small = EventListener(
        host=LOCALHOST,
        max_body_bytes=SMALL_BODY_CAP,
        limits=replace(FAST, linger_timeout=5.0),
    )
    await small.start()
    try:
        small.register(SID, LOCALHOST, "AlarmClock", recorder.on_event)
        reader, writer = await hostile(small.port)
        writer.write(prefix)
        block = b"x" * 65536
        for _ in range(HUGE // len(block)):
            writer.write(block)
            await writer.drain()
        statuses = await read_answers(reader, 1 + prefix.endswith(b"a"))
        assert statuses[-1] == 431
    finally:
        await small.stop()
    # The flood was read (and dropped), never kept.
    assert len(held) > 10
    assert max(held) <= bound


async def test_the_deadline_moves_from_head_to_body_to_keep_alive(
    start_listener: Callable[..., Awaitable[EventListener]],
    hostile: Callable[..., Awaitable[Connection]],
    recorder: Recorder,
) -> None:
    guarded = await start_listener(
        head_timeout=0.2, body_timeout=0.8, keepalive_timeout=1.6
    )
    guarded.register(SID, LOCALHOST, "RenderingControl", recorder.on_event)
    connection = await hostile(guarded.port)
    request = raw_notify(0)
    split = request.index(b"\r\n\r\n") + 4
    connection[1].write(request[:split])
    await reached(guarded, "BODY")
    # Past the head's deadline, within the body's: still open.
    assert not await closed_by_listener(connection[0], 0.4)
    assert await answer(connection, request[split:]) == 200
    # Past the body's deadline, within the keep-alive wait: still open.
    assert not await closed_by_listener(connection[0], 1.0)
    assert await answer(connection, raw_notify(1)) == 200
    answered = time.monotonic()
    # Then the keep-alive wait ends it.
    assert await closed_by_listener(connection[0], 3.0)
    assert time.monotonic() - answered > 1.4
    assert recorder.seqs == [0, 1]


async def test_linger_after_an_error_ends_after_linger_bytes(
    start_listener: Callable[..., Awaitable[EventListener]],
    hostile: Callable[..., Awaitable[Connection]],
) -> None:
    guarded = await start_listener(linger_timeout=30.0)
    reader, writer = await hostile(guarded.port)
    writer.write(b"x" * (FAST.max_head_bytes + 1))
    assert await read_answers(reader, 1) == [431]
    started = time.monotonic()
    block = b"x" * 65536
    with contextlib.suppress(ConnectionError):
        for _ in range(http_server.LINGER_BYTES // len(block) + 1):
            writer.write(block)
            await writer.drain()
    # Dropped once LINGER_BYTES were read, long before the linger timeout.
    assert await closed_by_listener(reader, 5.0)
    assert time.monotonic() - started < 10.0
    await until(lambda: not guarded.connection_count)
