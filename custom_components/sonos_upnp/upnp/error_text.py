"""Words for the network errors that end up in the client's messages.

The exceptions of the OS and of aiohttp print as Python reprs (connection
keys, address tuples); a user reads "connection refused" instead.
"""

from __future__ import annotations

import os
from typing import Final

import aiohttp


def _sentence_case(text: str) -> str:
    return text[:1].lower() + text[1:]


def describe_os_error(err: OSError) -> str:
    """Return what went wrong, as the OS names it ("connection refused").

    The errno's own text comes first: asyncio puts address tuples into the
    strerror of the errors it re-raises. Resolver errors (negative errno)
    only have their strerror.
    """
    if isinstance(err.errno, int) and err.errno > 0:
        return _sentence_case(os.strerror(err.errno))
    if isinstance(err.strerror, str) and err.strerror:
        return _sentence_case(err.strerror)
    return "network error"


# Checked in order: a subclass comes before its base.
_CLIENT_ERROR_TEXTS: Final[tuple[tuple[type[aiohttp.ClientError], str], ...]] = (
    (aiohttp.ClientConnectorDNSError, "the host name cannot be resolved"),
    (aiohttp.ServerDisconnectedError, "the connection closed before an answer"),
    (aiohttp.ClientPayloadError, "the answer broke off before it was complete"),
    (aiohttp.ClientResponseError, "the answer is not valid HTTP"),
)


def describe_client_error(err: aiohttp.ClientError) -> str:
    """Return what went wrong with an HTTP request, without reprs."""
    for kind, text in _CLIENT_ERROR_TEXTS:
        if isinstance(err, kind):
            return text
    if isinstance(err, aiohttp.ClientConnectorError):
        return describe_os_error(err.os_error)
    if isinstance(err, OSError):
        return describe_os_error(err)
    return "the HTTP request failed"
