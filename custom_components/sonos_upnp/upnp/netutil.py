"""Choice of the address a speaker should send its NOTIFYs to."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any, Final
from urllib.parse import quote

from .error_text import describe_os_error
from .exceptions import UpnpArgumentError, UpnpConnectionError

# Any port works: connecting a UDP socket only picks a route, nothing is sent.
_PROBE_PORT: Final = 1400
MAX_PORT: Final = 65535


def base_url(host: str, port: int) -> str:
    """Return http://host:port, with IPv6 literals in brackets.

    Raises UpnpArgumentError for an empty host, a host with URL syntax in it
    or a port outside 1-65535.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port <= MAX_PORT:
        raise UpnpArgumentError(f"invalid port {port!r}; valid ports: 1-65535")
    bare = host.removeprefix("[").removesuffix("]")
    address, _, zone = bare.partition("%")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if isinstance(ip, ipaddress.IPv6Address):
        scope = f"%25{quote(zone, safe='')}" if zone else ""
        return f"http://[{ip.compressed}{scope}]:{port}"
    if not host or zone or any(char in host for char in "/?#@[]: \t\r\n"):
        raise UpnpArgumentError(f"invalid host {host!r}")
    return f"http://{host}:{port}"


async def _async_route_target(host: str) -> tuple[socket.AddressFamily, Any]:
    """Return the family and socket address of host; a name is resolved.

    IP literals need no lookup; a name is resolved by the event loop's
    getaddrinfo, which runs in the executor, never in the loop.
    """
    try:
        address = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        pass
    else:
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET  # noqa: PLR2004
        return family, (host, _PROBE_PORT)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, _PROBE_PORT, type=socket.SOCK_DGRAM
        )
    except OSError as err:
        raise UpnpConnectionError(
            f"cannot resolve {host}: {describe_os_error(err)}"
        ) from err
    if not infos:
        raise UpnpConnectionError(f"cannot resolve {host}: no address")
    family, _, _, _, sockaddr = infos[0]
    return family, sockaddr


def _route_source(family: socket.AddressFamily, sockaddr: Any) -> str:
    """Return the local address of a route; sockaddr holds no name to look up."""
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        probe.connect(sockaddr)
        local: str = probe.getsockname()[0]
    return local


async def async_local_address_for(host: str) -> str:
    """Return the local IP address the system would use to reach host.

    Connects a UDP socket (no packet is sent) and reads its local address;
    works for IPv4 and IPv6. A name is resolved in the executor first.
    Raises UpnpConnectionError when host cannot be resolved or reached.
    """
    family, sockaddr = await _async_route_target(host)
    try:
        return _route_source(family, sockaddr)
    except OSError as err:
        raise UpnpConnectionError(
            f"no route to {host}: {describe_os_error(err)}"
        ) from err


async def async_callback_url(
    listener_port: int,
    speaker_host: str,
    advertise_host: str | None = None,
    advertise_port: int | None = None,
) -> str:
    """Return the URL a speaker should deliver events to.

    advertise_host/advertise_port override the detected local address and
    the listener's port (for NAT, containers or a reverse proxy).
    """
    host = advertise_host or await async_local_address_for(speaker_host)
    port = advertise_port or listener_port
    return f"{base_url(host, port)}/notify"


def check_port_bindable(host: str, port: int) -> None:
    """Bind a TCP socket to host:port the way the event listener would, then close it.

    Blocking-free but a system call per try: run it in the executor. host must
    be an IP address. Raises OSError when the port cannot be bound.
    """
    family = (
        socket.AF_INET6
        if ipaddress.ip_address(host.partition("%")[0]).version == 6  # noqa: PLR2004
        else socket.AF_INET
    )
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # asyncio's servers set SO_REUSEADDR too: a port in TIME_WAIT is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
