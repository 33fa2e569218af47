"""Choice of the address a speaker should send its NOTIFYs to."""

from __future__ import annotations

import ipaddress
import socket
from typing import Final

from .exceptions import UpnpConnectionError

# Any port works: connecting a UDP socket only picks a route, nothing is sent.
_PROBE_PORT: Final = 1400


def format_host(host: str) -> str:
    """Return host as it goes into a URL: IPv6 in brackets, zone as %25."""
    if ":" in host and not host.startswith("["):
        return "[" + host.replace("%", "%25") + "]"
    return host


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
    return f"http://{format_host(host)}:{port}/notify"
