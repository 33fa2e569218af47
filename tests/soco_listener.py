"""SoCo in tests: a fresh event listener on loopback, SoCo's settings restored.

SoCo keeps its settings and its asyncio event listener in module globals. A
listener left running (or waiting out its grace period) by one test belongs
to that test's event loop, which is closed afterwards; the next test that
subscribes would reuse it. Each test therefore gets a listener of its own,
bound to 127.0.0.1 on a free port, and everything is put back at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Final

from soco import config as soco_config
from soco import events_asyncio, zonegroupstate
from soco.core import SoCo, soco_reset

# SoCo's settings that the tests or Home Assistant's sonos change.
SOCO_SETTINGS: Final = (
    "EVENT_LISTENER_IP",
    "EVENT_LISTENER_PORT",
    "EVENT_ADVERTISE_IP",
    "EVENTS_MODULE",
    "CACHE_ENABLED",
    "REQUEST_TIMEOUT",
    "ZGT_EVENT_FALLBACK",
)


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def stop_listener(listener: events_asyncio.EventListener) -> None:
    """Stop a listener now, its pending grace-period stop included.

    SoCo's synchronous calls made in a thread (e.g. its topology fallback)
    run the listener on a loop of their own, closed since: what belongs to
    such a loop is dropped, not awaited.
    """
    grace, listener._stop_grace_task = listener._stop_grace_task, None
    if grace is not None and grace.get_loop() is asyncio.get_running_loop():
        grace.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await grace
    await listener.async_stop()


@contextlib.asynccontextmanager
async def soco_on_loopback() -> AsyncIterator[events_asyncio.EventListener]:
    """Give SoCo a fresh asyncio event listener on 127.0.0.1; restore after."""
    saved = {name: getattr(soco_config, name) for name in SOCO_SETTINGS}
    saved_listener = events_asyncio.event_listener
    # Home Assistant's sonos sets zonegroupstate.EVENT_CACHE_TIMEOUT, which
    # some SoCo versions do not have.
    saved_zgs = dict(vars(zonegroupstate))
    soco_config.EVENT_LISTENER_IP = "127.0.0.1"
    soco_config.EVENT_LISTENER_PORT = free_port()
    soco_config.EVENT_ADVERTISE_IP = None
    soco_config.EVENTS_MODULE = events_asyncio
    listener = events_asyncio.EventListener()  # reads EVENT_LISTENER_PORT
    events_asyncio.event_listener = listener
    soco_reset()
    try:
        yield listener
    finally:
        await stop_listener(listener)
        events_asyncio.event_listener = saved_listener
        for name, value in saved.items():
            setattr(soco_config, name, value)
        for name in set(vars(zonegroupstate)) - set(saved_zgs):
            delattr(zonegroupstate, name)
        for name, value in saved_zgs.items():
            if name.isupper():
                setattr(zonegroupstate, name, value)
        soco_reset()
        SoCo.zone_group_states.clear()
