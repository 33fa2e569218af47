"""The NOTIFY server: checks, sequence tracking and early events, over HTTP."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from custom_components.sonos_upnp.upnp.events import UpnpEvent
from custom_components.sonos_upnp.upnp.exceptions import UpnpConnectionError
from custom_components.sonos_upnp.upnp.http_server import HttpRequest
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


async def test_sid_registered_while_body_is_read(
    listener: EventListener,
    recorder: Recorder,
    notify: Callable[..., Awaitable[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_read = HttpRequest.read_body

    async def read_then_register(request: HttpRequest, max_bytes: int) -> bytes:
        body = await real_read(request, max_bytes)
        listener.register(SID, LOCALHOST, "AlarmClock", recorder.on_event)
        return body

    monkeypatch.setattr(HttpRequest, "read_body", read_then_register)
    with listener.expect_from(LOCALHOST):
        assert await notify(0) == 200
    assert recorder.seqs == [0]


async def test_sid_dropped_while_body_is_read(
    listener: EventListener,
    recorder: Recorder,
    notify: Callable[..., Awaitable[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_read = HttpRequest.read_body

    async def read_then_unregister(request: HttpRequest, max_bytes: int) -> bytes:
        body = await real_read(request, max_bytes)
        listener.unregister(SID)
        return body

    monkeypatch.setattr(HttpRequest, "read_body", read_then_unregister)
    listener.register(SID, LOCALHOST, "AlarmClock", recorder.on_event)
    assert await notify(0) == 412
    assert recorder.events == []


async def test_sid_moved_to_another_host_while_body_is_read(
    listener: EventListener,
    recorder: Recorder,
    notify: Callable[..., Awaitable[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_read = HttpRequest.read_body

    async def read_then_move(request: HttpRequest, max_bytes: int) -> bytes:
        body = await real_read(request, max_bytes)
        listener.register(SID, "127.0.0.2", "AlarmClock", recorder.on_event)
        return body

    monkeypatch.setattr(HttpRequest, "read_body", read_then_move)
    listener.register(SID, LOCALHOST, "AlarmClock", recorder.on_event)
    assert await notify(0) == 403
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
