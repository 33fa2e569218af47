"""The callback address: route probes, name resolution off the loop, free ports."""

from __future__ import annotations

import asyncio
import errno
import socket
import threading
from typing import Any, ClassVar, Self

import pytest

from custom_components.sonos_upnp.upnp.exceptions import UpnpConnectionError
from custom_components.sonos_upnp.upnp.netutil import (
    async_callback_url,
    async_local_address_for,
    check_port_bindable,
)

LOCALHOST = "127.0.0.1"


async def test_local_address_for_loopback(socket_enabled: None) -> None:
    assert await async_local_address_for(LOCALHOST) == LOCALHOST


class FakeUdpSocket:
    """Stands in for a UDP socket: records the route asked for."""

    local = "fe80::1234%eth0"
    fail = False
    connected: ClassVar[list[tuple[Any, ...]]] = []

    def __init__(self, family: int, kind: int) -> None:
        self.family = family
        assert kind == socket.SOCK_DGRAM

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def connect(self, address: tuple[Any, ...]) -> None:
        if self.fail:
            raise OSError(errno.ENETUNREACH, "Network is unreachable")
        FakeUdpSocket.connected.append((self.family, *address))

    def getsockname(self) -> tuple[Any, ...]:
        return (self.local, 0, 0, 0)


@pytest.fixture
def fake_udp(monkeypatch: pytest.MonkeyPatch) -> type[FakeUdpSocket]:
    FakeUdpSocket.connected = []
    FakeUdpSocket.fail = False
    monkeypatch.setattr(socket, "socket", FakeUdpSocket)
    return FakeUdpSocket


async def test_local_address_for_ipv6(fake_udp: type[FakeUdpSocket]) -> None:
    assert await async_local_address_for("fe80::aa%eth0") == "fe80::1234%eth0"
    assert fake_udp.connected == [(socket.AF_INET6, "fe80::aa%eth0", 1400)]


async def test_a_name_is_resolved_off_the_event_loop(
    fake_udp: type[FakeUdpSocket], monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups: list[tuple[str, int]] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        lookups.append((host, threading.get_ident()))
        return [(socket.AF_INET6, socket.SOCK_DGRAM, 0, "", ("2001:db8::5", port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    fake_udp.local = "2001:db8::1"
    loop_thread = threading.get_ident()
    assert await async_local_address_for("sonos-kitchen.local") == "2001:db8::1"
    assert [host for host, _ in lookups] == ["sonos-kitchen.local"]
    assert all(thread != loop_thread for _, thread in lookups)
    # The probe connects to the resolved address: no second lookup.
    assert fake_udp.connected == [(socket.AF_INET6, "2001:db8::5", 1400)]


async def test_an_unresolvable_name_reads_as_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def getaddrinfo(*args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(UpnpConnectionError) as err:
        await async_local_address_for("nowhere.invalid")
    assert str(err.value) == "cannot resolve nowhere.invalid: name or service not known"


async def test_a_name_without_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    def getaddrinfo(host: str, *_: object, **__: object) -> list[Any]:
        assert host == "empty.test"
        return []

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(UpnpConnectionError, match=r"^cannot resolve empty\.test"):
        await async_local_address_for("empty.test")


async def test_no_route(fake_udp: type[FakeUdpSocket]) -> None:
    fake_udp.fail = True
    with pytest.raises(UpnpConnectionError) as err:
        await async_local_address_for("192.0.2.1")
    assert str(err.value) == "no route to 192.0.2.1: network is unreachable"


async def test_callback_url(fake_udp: type[FakeUdpSocket]) -> None:
    fake_udp.local = "192.168.1.10"
    assert await async_callback_url(34567, "192.168.1.20") == (
        "http://192.168.1.10:34567/notify"
    )
    assert await async_callback_url(34567, "192.168.1.20", "10.0.0.5", 8080) == (
        "http://10.0.0.5:8080/notify"
    )
    assert await async_callback_url(34567, "192.168.1.20", advertise_port=8080) == (
        "http://192.168.1.10:8080/notify"
    )
    fake_udp.local = "fe80::1234%eth0"
    assert await async_callback_url(40000, "fe80::aa%eth0") == (
        "http://[fe80::1234%25eth0]:40000/notify"
    )
    assert fake_udp.connected == [
        (socket.AF_INET, "192.168.1.20", 1400),
        (socket.AF_INET, "192.168.1.20", 1400),
        (socket.AF_INET6, "fe80::aa%eth0", 1400),
    ]


async def test_check_port_bindable(socket_enabled: None) -> None:
    with socket.socket() as holder:
        holder.bind((LOCALHOST, 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(OSError, match="in use") as err:
            await asyncio.to_thread(check_port_bindable, LOCALHOST, port)
        assert err.value.errno == errno.EADDRINUSE
    # Free again once the holder closed; binding leaves nothing behind.
    await asyncio.to_thread(check_port_bindable, LOCALHOST, port)
    await asyncio.to_thread(check_port_bindable, LOCALHOST, port)


async def test_check_port_bindable_ipv6(monkeypatch: pytest.MonkeyPatch) -> None:
    bound: list[tuple[int, tuple[Any, ...]]] = []

    class FakeTcpSocket:
        def __init__(self, family: int, kind: int) -> None:
            self.family = family
            assert kind == socket.SOCK_STREAM

        def __enter__(self) -> Self:
            return self

        def __exit__(self, *args: object) -> None:
            return None

        def setsockopt(self, level: int, option: int, value: int) -> None:
            assert (level, option, value) == (socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

        def bind(self, address: tuple[Any, ...]) -> None:
            bound.append((self.family, address))

    monkeypatch.setattr(socket, "socket", FakeTcpSocket)
    check_port_bindable("fe80::1234%eth0", 8080)
    assert bound == [(socket.AF_INET6, ("fe80::1234%eth0", 8080))]
