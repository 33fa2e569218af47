"""Choice of the address a speaker should send its NOTIFYs to."""

from __future__ import annotations

import ipaddress
import socket
from typing import Final
from urllib.parse import quote

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


def _family_of(host: str) -> socket.AddressFamily:
    """Return the address family of an IP literal, or resolve a name."""
    try:
        address = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, _PROBE_PORT, type=socket.SOCK_DGRAM)
        except OSError as err:
            raise UpnpConnectionError(f"cannot resolve {host!r}: {err}") from err
        return infos[0][0]
    return socket.AF_INET6 if address.version == 6 else socket.AF_INET  # noqa: PLR2004


def local_address_for(host: str) -> str:
    """Return the local IP address the system would use to reach host.

    Connects a UDP socket (no packet is sent) and reads its local address;
    works for IPv4 and IPv6. A name is resolved first, which may block.
    """
    family = _family_of(host)
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((host, _PROBE_PORT))
            local: str = probe.getsockname()[0]
    except OSError as err:
        raise UpnpConnectionError(f"no route to {host!r}: {err}") from err
    return local


def callback_url(
    listener_port: int,
    speaker_host: str,
    advertise_host: str | None = None,
    advertise_port: int | None = None,
) -> str:
    """Return the URL a speaker should deliver events to.

    advertise_host/advertise_port override the detected local address and
    the listener's port (for NAT, containers or a reverse proxy).
    """
    host = advertise_host or local_address_for(speaker_host)
    port = advertise_port or listener_port
    return f"{base_url(host, port)}/notify"
