"""A Sonos household emulator over real HTTP, for tests, benchmarks and demos.

It answers SOAP control, GENA subscriptions and description requests like a
household of real players, including their failures. It is deliberately
independent of the integration's parsing code: both test each other.
"""

from __future__ import annotations

from .alarms import Alarm
from .faults import Faults
from .household import Household
from .player import Player
from .scenarios import SCENARIOS, PlayerSpec, build_household

__all__ = [
    "SCENARIOS",
    "Alarm",
    "Faults",
    "Household",
    "Player",
    "PlayerSpec",
    "build_household",
]
