"""Where the players of a household listen: checked this run, remembered across runs.

A topology Location is a claim made by one speaker about another. An address
is only used for a player (subscriptions, its device's link, call_action) once
it answered with that player's UDN. Host names are never used: resolving one
would block, and Sonos players announce IP addresses.

Remembered addresses (kept in the entry data) are those checked in an
earlier run or found by SSDP; they are where to look for the household when
the configured speaker does not answer, never an identity: reads check the
household ID of whoever answers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Final

from .upnp.exceptions import UpnpClientError

type HostPort = tuple[str, int]

# Keys of a remembered address in the entry data.
_HOST: Final = "host"
_PORT: Final = "port"


class OtherHouseholdError(UpnpClientError):
    """The speaker at a remembered address belongs to another household."""


def is_ip_address(host: str) -> bool:
    """Return whether host is an IP literal (IPv6 may carry a zone)."""
    try:
        ipaddress.ip_address(host.removeprefix("[").removesuffix("]").partition("%")[0])
    except ValueError:
        return False
    return True


def addresses_from_data(data: object) -> dict[str, HostPort]:
    """Read remembered addresses from entry data; skip anything malformed."""
    if not isinstance(data, Mapping):
        return {}
    addresses: dict[str, HostPort] = {}
    for uuid, value in data.items():
        if (
            isinstance(uuid, str)
            and isinstance(value, Mapping)
            and isinstance(host := value.get(_HOST), str)
            and isinstance(port := value.get(_PORT), int)
            and not isinstance(port, bool)
            and is_ip_address(host)
        ):
            addresses[uuid] = (host, port)
    return addresses


def addresses_to_data(
    addresses: Mapping[str, HostPort],
) -> dict[str, dict[str, object]]:
    """Return addresses as JSON-able entry data."""
    return {
        uuid: {_HOST: host, _PORT: port}
        for uuid, (host, port) in sorted(addresses.items())
    }


class AddressBook:
    """Addresses at which players answered with their own UDN this run."""

    def __init__(self) -> None:
        """Start with nothing checked."""
        self._verified: dict[str, HostPort] = {}
        self._refused: dict[str, HostPort | str] = {}

    def address_of(self, uuid: str) -> HostPort | None:
        """Return the player's address, if it answered there with its UDN."""
        return self._verified.get(uuid)

    def uuid_at(self, address: HostPort) -> str | None:
        """Return the player that answered at address, if any."""
        return next(
            (uuid for uuid, known in self._verified.items() if known == address), None
        )

    def needs_check(self, uuid: str, address: HostPort) -> bool:
        """Return whether a claimed address is new: neither checked nor refused."""
        return (
            self._verified.get(uuid) != address
            and self._refused.get(uuid) != address
            and is_ip_address(address[0])
        )

    def refuse_name(self, uuid: str, host: str) -> bool:
        """Refuse a host name for the player; True the first time (to warn once)."""
        if is_ip_address(host) or self._refused.get(uuid) == host:
            return False
        self._refused[uuid] = host
        return True

    def refuse(self, uuid: str, address: HostPort) -> bool:
        """Refuse an address that answered as another device; True the first time."""
        if self._refused.get(uuid) == address:
            return False
        self._refused[uuid] = address
        return True

    def accept(self, uuid: str, address: HostPort) -> None:
        """Use the address for the player from now on."""
        self._verified[uuid] = address
        self._refused.pop(uuid, None)

    def forget(self, uuids: Iterable[str]) -> None:
        """Forget players the household let go."""
        for uuid in uuids:
            self._verified.pop(uuid, None)
            self._refused.pop(uuid, None)
