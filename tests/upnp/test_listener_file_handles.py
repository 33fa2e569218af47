"""The listener under a 1,024 file-handle limit while strangers flood it.

Two child processes (tests/upnp/file_handle_processes.py): the listener,
under a soft RLIMIT_NOFILE of 1,024, and an attacker holding 1,100 idle
connections from 127.0.0.2. The test process plays the speaker (127.0.0.1)
and times its NOTIFY during and after the attack.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

from tests.upnp.file_handle_processes import LISTENER_HOST, SID

ROOT = Path(__file__).parents[2]
ATTACKER_HOST = "127.0.0.2"
ATTACK_CONNECTIONS = 1100
ANSWER_WITHIN = 1.0
CHILD_TIMEOUT = 15.0
ALARM_BODY = (
    b'<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0">'
    b"<e:property><AlarmListVersion>RINCON_1:%d</AlarmListVersion></e:property>"
    b"</e:propertyset>"
)


@contextmanager
def child(*arguments: str) -> Iterator[subprocess.Popen[str]]:
    """Run a helper process; close its stdin (its signal to stop) at the end."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.upnp.file_handle_processes", *arguments],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                process.wait(CHILD_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def ready(stream: IO[str] | None) -> int:
    """Wait for the child's READY line; return its number."""
    assert stream is not None
    line = stream.readline()
    assert line.startswith("READY "), line
    return int(line.split()[1])


def timed_notify(port: int, seq: int) -> tuple[int, float]:
    """Send a speaker's NOTIFY from 127.0.0.1; return the status and seconds."""
    body = ALARM_BODY % seq
    request = (
        f"NOTIFY /notify HTTP/1.1\r\nHOST: {LISTENER_HOST}:{port}\r\n"
        f"CONTENT-TYPE: text/xml\r\nCONTENT-LENGTH: {len(body)}\r\n"
        f"NT: upnp:event\r\nNTS: upnp:propchange\r\nSID: {SID}\r\nSEQ: {seq}\r\n"
        "CONNECTION: close\r\n\r\n"
    ).encode() + body
    started = time.monotonic()
    try:
        with socket.create_connection(
            (LISTENER_HOST, port), timeout=3 * ANSWER_WITHIN
        ) as speaker:
            speaker.sendall(request)
            answer = speaker.recv(1024)
    except TimeoutError:
        return 0, time.monotonic() - started
    return int(answer.split()[1]), time.monotonic() - started


@pytest.mark.parametrize(
    "handles_left",
    [None, 8],
    ids=["listener-holds-the-handles", "process-short-of-handles"],
)
def test_notify_is_answered_within_a_second_under_a_1024_handle_limit(
    socket_enabled: None, handles_left: int | None
) -> None:
    listener_args = ["listener"] if handles_left is None else ["listener", "8"]
    with child(*listener_args) as listener:
        port = ready(listener.stdout)
        with child(
            "attacker", str(port), str(ATTACK_CONNECTIONS), ATTACKER_HOST
        ) as attacker:
            connected = ready(attacker.stdout)
            during = timed_notify(port, 0)
        attacker.wait(CHILD_TIMEOUT)
        after = timed_notify(port, 1)
        assert listener.stdin is not None
        listener.stdin.close()
        output, log = listener.communicate(timeout=CHILD_TIMEOUT)
    # Every connection got in: the listener shed them, it did not stall.
    assert connected == ATTACK_CONNECTIONS
    assert during[0] == 200, (during, log[-2000:])
    assert during[1] < ANSWER_WITHIN, during
    assert after[0] == 200, (after, log[-2000:])
    assert after[1] < ANSWER_WITHIN, after
    assert output.split() == ["EVENT", "0", "EVENT", "1"]
    # Short of handles, one warning says so; nothing else about it is logged.
    shortage_lines = [line for line in log.splitlines() if "open files" in line]
    assert len(shortage_lines) == (handles_left is not None), shortage_lines
    assert all("cannot accept connections" in line for line in shortage_lines)
    assert "out of system resource" not in log
