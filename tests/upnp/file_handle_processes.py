"""The child processes of tests/upnp/test_listener_file_handles.py.

python -m tests.upnp.file_handle_processes listener [FREE]
    Runs an EventListener on 127.0.0.1 under a soft limit of 1,024 open
    files, with SID registered for 127.0.0.1. With FREE, the process first
    takes all but FREE of its file handles, as a Home Assistant short of
    handles would. Prints "READY <port>", then one "EVENT <seq>" line per
    event; stops when stdin closes. Logs go to stderr.

python -m tests.upnp.file_handle_processes attacker PORT COUNT SOURCE
    Opens COUNT connections from SOURCE (a loopback address) to the port,
    sends one header line on each and keeps them open. Prints
    "READY <connected>"; closes them all when stdin closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import selectors
import socket
import sys
import time
from typing import Final

SOFT_LIMIT: Final = 1024
SID: Final = "uuid:RINCON_000E58A0B1C201400_sub0000000001"
LISTENER_HOST: Final = "127.0.0.1"
CONNECT_WAIT: Final = 5.0


def say(line: str) -> None:
    """Tell the test process something, one line on stdout."""
    sys.stdout.write(f"{line}\n")
    sys.stdout.flush()


def _set_soft_limit(soft: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _take_handles(leave_free: int) -> list[int]:
    """Open /dev/null until the limit is hit, then give leave_free back."""
    taken: list[int] = []
    while True:
        try:
            taken.append(os.open(os.devnull, os.O_RDONLY))
        except OSError:
            break
    for _ in range(leave_free):
        os.close(taken.pop())
    return taken


async def run_listener(leave_free: int | None) -> None:
    from custom_components.sonos_upnp.upnp.listener import (  # noqa: PLC0415
        EventListener,
    )

    _set_soft_limit(SOFT_LIMIT)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    listener = EventListener(host=LISTENER_HOST)
    await listener.start()
    listener.register(
        SID,
        LISTENER_HOST,
        "AlarmClock",
        lambda event: say(f"EVENT {event.seq}"),
    )
    loop = asyncio.get_running_loop()
    # Start the reader thread before the handles are gone.
    stdin_closed = loop.run_in_executor(None, sys.stdin.read)
    taken = _take_handles(leave_free) if leave_free is not None else []
    say(f"READY {listener.port}")
    await stdin_closed
    await listener.stop()
    for handle in taken:
        os.close(handle)


def run_attacker(port: int, count: int, source: str) -> None:
    _set_soft_limit(count + 256)
    selector = selectors.DefaultSelector()
    sockets: list[socket.socket] = []
    for _ in range(count):
        attacker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        attacker.setblocking(False)
        attacker.bind((source, 0))
        attacker.connect_ex((LISTENER_HOST, port))
        sockets.append(attacker)
        selector.register(attacker, selectors.EVENT_WRITE)
    connected = 0
    deadline = time.monotonic() + CONNECT_WAIT
    pending = count
    while pending and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.1):
            attacker = key.fileobj  # type: ignore[assignment]
            selector.unregister(attacker)
            pending -= 1
            if attacker.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected += 1
                # One header line, and never the end of the head (the
                # listener may have closed the connection already).
                with contextlib.suppress(OSError):
                    attacker.send(b"NOTIFY /notify HTTP/1.1\r\nHOST: x\r\n")
    say(f"READY {connected}")
    sys.stdin.read()
    for attacker in sockets:
        attacker.close()


if __name__ == "__main__":
    role, *arguments = sys.argv[1:]
    if role == "listener":
        asyncio.run(run_listener(int(arguments[0]) if arguments else None))
    else:
        run_attacker(int(arguments[0]), int(arguments[1]), arguments[2])
