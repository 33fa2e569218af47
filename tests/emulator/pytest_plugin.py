"""Pytest fixtures that run emulated Sonos households on loopback.

Activated from tests/conftest.py with
`pytest_plugins = ["tests.emulator.pytest_plugin"]`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from .household import Household
from .player import Player
from .scenarios import build_household

type HouseholdFactory = Callable[..., Awaitable[Household]]


@pytest_asyncio.fixture
async def emulator_household_factory(
    socket_enabled: None,
) -> AsyncGenerator[HouseholdFactory]:
    """Start households on demand; all are stopped at teardown.

    `await emulator_household_factory("groups")`,
    `await emulator_household_factory("singles", players=5, seed=1)`.
    """
    started: list[Household] = []

    async def factory(scenario: str = "singles", **kwargs: Any) -> Household:
        household = build_household(scenario, **kwargs)
        await household.start()
        started.append(household)
        return household

    try:
        yield factory
    finally:
        for household in started:
            await household.stop()


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
