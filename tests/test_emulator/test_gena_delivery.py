"""How the emulator delivers NOTIFYs: turns between subscribers, kept-alive lines."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import aiohttp
import pytest

from custom_components.sonos_upnp.upnp.catalog import get_service
from tests.emulator.gena import NotifyTap, Subscription
from tests.emulator.player import Player

from .notify_sink import NotifySink
from .test_gena import subscribe

pytestmark = pytest.mark.usefixtures("socket_enabled")


async def test_subscribers_take_turns_at_hearing_first(
    emulator_player: Player,
    notify_sink: NotifySink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two clients of one player: neither always hears of a change first."""
    player = emulator_player
    url = player.base_url + get_service("RenderingControl").event_url
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            await subscribe(session, url, notify_sink.url)
    for _ in range(2):  # the initial events
        await notify_sink.next()
    queued: list[str] = []
    original = player.gena.notify_subscription

    def recording(subscription: Subscription, values: dict[str, str]) -> None:
        queued.append(subscription.sid)
        original(subscription, values)

    monkeypatch.setattr(player.gena, "notify_subscription", recording)
    firsts = set()
    for _ in range(2):
        queued.clear()
        player.household.rendering_changed(player)
        assert len(queued) == 2
        firsts.add(queued[0])
    assert len(firsts) == 2
    for _ in range(4):
        assert (await notify_sink.next()).headers["NT"] == "upnp:event"


async def test_a_kept_alive_connection_the_listener_closed_is_replaced(
    emulator_player: Player, notify_sink: NotifySink
) -> None:
    player = emulator_player
    url = player.base_url + get_service("RenderingControl").event_url
    async with aiohttp.ClientSession() as session:
        await subscribe(session, url, notify_sink.url)
    assert (await notify_sink.next()).seq == 0
    await player.gena.wait_for_counters(lambda counters: counters.sent == 1)
    # The listener drops its idle connections (as ours does after a while).
    assert notify_sink.close_connections() >= 1
    player.household.rendering_changed(player)
    assert (await notify_sink.next()).seq == 1
    counters = await player.gena.wait_for_counters(lambda counters: counters.sent == 2)
    assert counters.failed == 0


async def test_a_tap_holds_one_listener_back_and_notes_every_send(
    emulator_player: Player, notify_sink: NotifySink
) -> None:
    """The benchmarks' opt-in: one listener first, the other after; none lost."""
    player = emulator_player
    url = player.base_url + get_service("RenderingControl").event_url
    held_sink = NotifySink()
    await held_sink.start()
    try:
        async with aiohttp.ClientSession() as session:
            await subscribe(session, url, notify_sink.url)
            await subscribe(session, url, held_sink.url)
        for sink in (notify_sink, held_sink):
            assert (await sink.next()).seq == 0
        await player.gena.wait_for_counters(lambda counters: counters.sent == 2)
        tap = player.household.notify_tap = NotifyTap()
        held = urlsplit(held_sink.url).netloc
        tap.hold(held)
        for _ in range(3):
            player.household.rendering_changed(player)
        assert [(await notify_sink.next()).seq for _ in range(3)] == [1, 2, 3]
        await player.gena.wait_for_counters(lambda counters: counters.sent == 5)
        assert held_sink.received.empty()
        assert len(tap.parked[held]) == 3
        free = urlsplit(notify_sink.url).netloc
        assert [(s.callback, s.seq) for s in tap.sent] == [
            (free, 1),
            (free, 2),
            (free, 3),
        ]
        released_at = time.perf_counter()
        tap.release(held)
        assert [(await held_sink.next()).seq for _ in range(3)] == [1, 2, 3]
        await player.gena.wait_for_counters(lambda counters: counters.sent == 8)
        assert [(s.callback, s.service) for s in tap.sent[3:]] == [
            (held, "RenderingControl")
        ] * 3
        assert all(s.at >= released_at for s in tap.sent[3:])
        assert not tap.parked
    finally:
        player.household.notify_tap = None
        await held_sink.stop()
