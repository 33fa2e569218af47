"""Pytest fixtures that run emulated Sonos households on loopback.

Activated from tests/conftest.py with
`pytest_plugins = ["tests.emulator.pytest_plugin"]`.
"""

from __future__ import annotations

import random
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, Final

import pytest
import pytest_asyncio
import pytest_socket

from .household import SONOS_PORT, Household
from .player import Player
from .scenarios import build_household

type HouseholdFactory = Callable[..., Awaitable[Household]]

DEFAULT_ALLOWED_HOSTS: Final = ("127.0.0.1",)


def place_on_distinct_hosts(household: Household) -> list[str]:
    """Give each player its own loopback address (127.a.b.2, ...) and port 1400.

    Libraries that identify speakers by IP and always use port 1400 (SoCo)
    need this. Linux routes all of 127/8 to the loopback interface; a random
    a.b keeps households (and concurrent test runs) apart.
    """
    rng = random.SystemRandom()
    prefix = f"127.{rng.randrange(100, 250)}.{rng.randrange(1, 250)}"
    hosts = []
    for index, player in enumerate(household.players, start=2):
        player.host = f"{prefix}.{index}"
        player.port = SONOS_PORT
        hosts.append(player.host)
    return hosts


@pytest_asyncio.fixture
async def emulator_household_factory(
    socket_enabled: None,
) -> AsyncGenerator[HouseholdFactory]:
    """Start households on demand; all are stopped at teardown.

    `await emulator_household_factory("groups")`,
    `await emulator_household_factory("singles", players=5, seed=1)`.
    With `distinct_hosts=True` every player gets its own loopback address
    with port 1400, and pytest-socket lets the test reach exactly those
    addresses (restored at teardown).
    """
    started: list[Household] = []
    allowed = list(DEFAULT_ALLOWED_HOSTS)

    async def factory(
        scenario: str = "singles", *, distinct_hosts: bool = False, **kwargs: Any
    ) -> Household:
        household = build_household(scenario, **kwargs)
        if distinct_hosts:
            allowed.extend(place_on_distinct_hosts(household))
            pytest_socket.socket_allow_hosts(allowed, allow_unix_socket=True)
        await household.start()
        started.append(household)
        return household

    try:
        yield factory
    finally:
        for household in started:
            await household.stop()
        if len(allowed) > len(DEFAULT_ALLOWED_HOSTS):
            pytest_socket.socket_allow_hosts(
                list(DEFAULT_ALLOWED_HOSTS), allow_unix_socket=True
            )


@pytest_asyncio.fixture
async def emulator_household(
    emulator_household_factory: HouseholdFactory,
) -> Household:
    """Return a running household of three standalone players."""
    return await emulator_household_factory("singles", players=3)


@pytest.fixture
def emulator_player(emulator_household: Household) -> Player:
    """Return the first player of `emulator_household`."""
    return emulator_household.players[0]
