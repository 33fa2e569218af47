"""CPU cost of one NOTIFY through the event listener, over loopback.

The client is a bare keep-alive socket that sends a prepared request and
reads the answer, so the time measured is almost all the listener's:
reading the request, checking it, parsing the body and delivering the event.

    script/run python -m pytest tests/benchmarks --benchmark-enable --no-cov

Goal (on the 2-core reference machine): under 1 ms of CPU per NOTIFY.

The latency benchmark times a topology-sized NOTIFY (5.3 kB) from the end of
its write on a kept-alive connection to the event's delivery, against the
floor of a bare `asyncio.Protocol` that finds the head's end and the body in
`data_received` and parses the same body: the difference is what the
listener's HTTP handling costs. Requests alternate between the two servers,
so that both see the same moments of a shared machine.

Measured on the shared 2-core machine, 300 samples a run (p50, ours / floor):
with the StreamReader server (a task per connection, a coroutine per line)
1.78-1.82x, 43-70 us over the floor; with the protocol state machine that
parses in `data_received` 1.32-1.38x, 19-34 us over it (four runs each).
CPU per NOTIFY (client included) went from 0.19-0.27 ms to 0.12-0.20 ms.
"""

import asyncio
import socket
import statistics
import time
from collections.abc import Callable

from pytest_benchmark.fixture import BenchmarkFixture

from custom_components.sonos_upnp.upnp.events import UpnpEvent, parse_property_set
from custom_components.sonos_upnp.upnp.listener import EventListener

LOCALHOST = "127.0.0.1"
SID = "uuid:RINCON_000E58A0B1C201400_sub0000000001"
# A RenderingControl LastChange as a speaker sends it when the volume moves.
BODY = (
    b'<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0"><e:property>'
    b"<LastChange>&lt;Event xmlns=&quot;urn:schemas-upnp-org:metadata-1-0/RCS/"
    b"&quot;&gt;&lt;InstanceID val=&quot;0&quot;&gt;&lt;Volume channel=&quot;"
    b"Master&quot; val=&quot;12&quot;/&gt;&lt;Volume channel=&quot;LF&quot; "
    b"val=&quot;100&quot;/&gt;&lt;Volume channel=&quot;RF&quot; val=&quot;100"
    b"&quot;/&gt;&lt;Mute channel=&quot;Master&quot; val=&quot;0&quot;/&gt;"
    b"&lt;/InstanceID&gt;&lt;/Event&gt;</LastChange></e:property></e:propertyset>"
)
BATCH = 200


def notify_request(port: int, seq: int, body: bytes = BODY) -> bytes:
    """Return a NOTIFY the way a speaker writes one."""
    return (
        f"NOTIFY /notify HTTP/1.1\r\nHOST: {LOCALHOST}:{port}\r\n"
        'CONTENT-TYPE: text/xml; charset="utf-8"\r\n'
        f"CONTENT-LENGTH: {len(body)}\r\nNT: upnp:event\r\nNTS: upnp:propchange\r\n"
        f"SID: {SID}\r\nSEQ: {seq}\r\n\r\n"
    ).encode() + body


async def read_status(reader: asyncio.StreamReader) -> int:
    """Read one response (head and body); return its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(lines[0].split()[1])


def test_notify_cpu_per_event(
    benchmark: BenchmarkFixture, socket_enabled: None
) -> None:
    events: list[UpnpEvent] = []
    with asyncio.Runner() as runner:
        listener = EventListener(host=LOCALHOST)
        runner.run(listener.start())
        listener.register(SID, LOCALHOST, "RenderingControl", events.append)
        reader, writer = runner.run(asyncio.open_connection(LOCALHOST, listener.port))
        seq = 0

        async def send_batch() -> None:
            nonlocal seq
            for _ in range(BATCH):
                writer.write(notify_request(listener.port, seq))
                seq += 1
                assert await read_status(reader) == 200

        def timed_batch() -> float:
            started = time.process_time()
            runner.run(send_batch())
            return (time.process_time() - started) / BATCH

        try:
            per_event = benchmark.pedantic(timed_batch, rounds=5, iterations=1)
            cpu = [timed_batch() for _ in range(3)]
        finally:
            writer.close()
            runner.run(listener.stop())
    assert [event.seq for event in events[:3]] == [0, 1, 2]
    assert len(events) == seq
    benchmark.extra_info["cpu_ms_per_notify"] = round(min(cpu) * 1000, 3)
    assert per_event < 0.01
    if benchmark.stats is not None:
        # Goal: under 1 ms of CPU per NOTIFY (a batch measures BATCH of them).
        assert min(cpu) < 0.001


# A ZoneGroupState of four players is about this size.
TOPOLOGY_BODY = (
    b'<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0"><e:property>'
    b"<ZoneGroupState>&lt;ZoneGroupState&gt;&lt;ZoneGroups&gt;"
    + b"".join(
        b"&lt;ZoneGroup Coordinator=&quot;RINCON_%012d01400&quot; ID=&quot;"
        b"RINCON_%012d01400:%d&quot;&gt;&lt;ZoneGroupMember UUID=&quot;"
        b"RINCON_%012d01400&quot; Location=&quot;http://127.0.0.%d:1400/xml/"
        b"device_description.xml&quot; ZoneName=&quot;Room %d&quot; "
        b"SoftwareVersion=&quot;85.0-64110&quot; BootSeq=&quot;%d&quot;/&gt;"
        b"&lt;/ZoneGroup&gt;" % (n, n, n, n, n, n, n)
        for n in range(14)
    )
    + b"&lt;/ZoneGroups&gt;&lt;/ZoneGroupState&gt;</ZoneGroupState>"
    b"</e:property></e:propertyset>"
)
LATENCY_SAMPLES = 300
_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"


class FloorProtocol(asyncio.Protocol):
    """The least an HTTP server can do for a NOTIFY: the floor to compare with."""

    def __init__(self, on_body: Callable[[bytes], None]) -> None:
        self._on_body = on_body
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while (end := buffer.find(b"\r\n\r\n")) >= 0:
            start = buffer.index(b"CONTENT-LENGTH: ") + 16
            length = int(buffer[start : buffer.index(b"\r\n", start)])
            if len(buffer) < end + 4 + length:
                return
            body = bytes(buffer[end + 4 : end + 4 + length])
            del buffer[: end + 4 + length]
            self._on_body(body)
            assert self._transport is not None
            self._transport.write(_ANSWER)


def p50_p99(samples: list[float]) -> dict[str, float]:
    """Return the median and the 99th percentile in microseconds."""
    ordered = sorted(samples)
    return {
        "p50_us": round(statistics.median(ordered) * 1e6, 1),
        "p99_us": round(ordered[int(len(ordered) * 0.99)] * 1e6, 1),
    }


async def _connect(port: int) -> socket.socket:
    client = socket.socket()
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.setblocking(False)
    await asyncio.get_running_loop().sock_connect(client, (LOCALHOST, port))
    return client


async def _timed_notify(
    client: socket.socket, request: bytes, arrived: list[float]
) -> float:
    """Write a request; return the time from its write to its delivery."""
    loop = asyncio.get_running_loop()
    arrived.clear()
    client.send(request)  # a 5.3 kB write fits a loopback socket at once
    written = time.perf_counter()
    answer = b""
    while not answer.endswith(b"\r\n\r\n"):
        answer += await loop.sock_recv(client, 4096)
    assert answer.startswith(b"HTTP/1.1 200 ")
    return arrived[0] - written


def test_notify_latency_against_a_bare_protocol(
    benchmark: BenchmarkFixture, socket_enabled: None
) -> None:
    arrived: list[float] = []

    def on_event(event: UpnpEvent) -> None:
        arrived.append(time.perf_counter())

    def on_floor_body(body: bytes) -> None:
        parse_property_set(body)
        arrived.append(time.perf_counter())

    async def measure() -> dict[str, list[float]]:
        loop = asyncio.get_running_loop()
        listener = EventListener(host=LOCALHOST)
        await listener.start()
        listener.register(SID, LOCALHOST, "ZoneGroupTopology", on_event)
        floor = await loop.create_server(
            lambda: FloorProtocol(on_floor_body), LOCALHOST, 0
        )
        floor_port = floor.sockets[0].getsockname()[1]
        ours_client = await _connect(listener.port)
        floor_client = await _connect(floor_port)
        samples: dict[str, list[float]] = {"ours": [], "floor": []}
        try:
            for seq in range(LATENCY_SAMPLES):
                samples["ours"].append(
                    await _timed_notify(
                        ours_client,
                        notify_request(listener.port, seq, TOPOLOGY_BODY),
                        arrived,
                    )
                )
                samples["floor"].append(
                    await _timed_notify(
                        floor_client,
                        notify_request(floor_port, seq, TOPOLOGY_BODY),
                        arrived,
                    )
                )
        finally:
            ours_client.close()
            floor_client.close()
            floor.close()
            await floor.wait_closed()
            await listener.stop()
        return samples

    with asyncio.Runner() as runner:
        samples = benchmark.pedantic(
            lambda: runner.run(measure()), rounds=1, iterations=1
        )
    ours, floor = p50_p99(samples["ours"]), p50_p99(samples["floor"])
    benchmark.extra_info["notify_to_event_us"] = {
        "ours": ours,
        "floor": floor,
        "ours_over_floor_p50": round(ours["p50_us"] / floor["p50_us"], 2),
    }
    figures = benchmark.extra_info["notify_to_event_us"]
    print(f"\nnotify_to_event_us: {figures}")  # noqa: T201
    assert len(samples["ours"]) == len(samples["floor"]) == LATENCY_SAMPLES
    assert ours["p50_us"] > 0
    assert floor["p50_us"] > 0
