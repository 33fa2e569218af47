"""Network errors in words: what ends up in messages has no Python reprs."""

import errno
import socket

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey

from custom_components.sonos_upnp.upnp.error_text import (
    describe_client_error,
    describe_os_error,
)

KEY = ConnectionKey("10.0.0.5", 1400, False, True, None, None, None)


@pytest.mark.parametrize(
    ("err", "text"),
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"), None),
        # asyncio puts the address tuple into strerror; the errno's text wins.
        (
            OSError(
                errno.EADDRINUSE,
                "error while attempting to bind on address ('127.0.0.1', 80): "
                "address already in use",
            ),
            "address already in use",
        ),
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), None),
        (OSError("something odd"), "network error"),
    ],
)
def test_os_errors(err: OSError, text: str | None) -> None:
    expected = (
        text
        or {
            errno.ECONNREFUSED: "connection refused",
            socket.EAI_NONAME: "name or service not known",
        }[err.errno]
    )
    assert describe_os_error(err) == expected


@pytest.mark.parametrize(
    ("err", "text"),
    [
        (
            aiohttp.ClientConnectorError(
                KEY, OSError(errno.EHOSTUNREACH, "Connect call failed ('10.0.0.5')")
            ),
            "no route to host",
        ),
        (
            aiohttp.ClientConnectorDNSError(KEY, socket.gaierror(-2, "Not known")),
            "the host name cannot be resolved",
        ),
        (
            aiohttp.ServerDisconnectedError(),
            "the connection closed before an answer",
        ),
        (
            aiohttp.ClientPayloadError("Response payload is not completed"),
            "the answer broke off before it was complete",
        ),
        (
            aiohttp.ClientResponseError(None, (), status=400, message="Bad status"),
            "the answer is not valid HTTP",
        ),
        (
            aiohttp.ClientConnectionResetError(errno.ECONNRESET, "reset"),
            "connection reset by peer",
        ),
        (aiohttp.InvalidURL("http://[x"), "the HTTP request failed"),
    ],
)
def test_client_errors(err: aiohttp.ClientError, text: str) -> None:
    assert describe_client_error(err) == text
