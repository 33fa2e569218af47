"""Ready-made households: singles, stereo pair, home theater, groups, large."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from .alarms import Alarm
from .household import Household

ROOMS: Final = (
    "Living Room", "Kitchen", "Bedroom", "Office", "Bathroom", "Dining Room",
    "Garage", "Patio", "Hallway", "Guest Room", "Nursery", "Study", "Den",
    "Basement", "Attic", "Library", "Gym", "Laundry", "Porch", "Loft",
)  # fmt: skip
SPEAKER_MODELS: Final = ("S13", "S18", "S21", "S39", "S6", "S3", "S1", "S38")


@dataclass(frozen=True, slots=True)
class PlayerSpec:
    """A player to add: room and model code."""

    room_name: str
    model: str = "S13"


def room_names(count: int) -> list[str]:
    """Return count distinct room names ("Kitchen", ..., "Kitchen 2", ...)."""
    names: list[str] = []
    round_number = 1
    while len(names) < count:
        for room in ROOMS:
            names.append(room if round_number == 1 else f"{room} {round_number}")
            if len(names) == count:
                break
        round_number += 1
    return names


def singles(count: int, **kwargs: Any) -> Household:
    """Return count standalone players."""
    household = Household(**kwargs)
    for index, room in enumerate(room_names(count)):
        household.add_player(room, SPEAKER_MODELS[index % len(SPEAKER_MODELS)])
    return household


def stereo_pair(**kwargs: Any) -> Household:
    """Return a stereo pair (Living Room, two One) and a Kitchen player."""
    household = Household(**kwargs)
    left = household.add_player("Living Room", "S13")
    right = household.add_player("Living Room", "S13")
    household.add_player("Kitchen", "S18")
    household.bond_stereo_pair(left, right)
    return household


def home_theater(**kwargs: Any) -> Household:
    """Return a Beam with a Sub and two surrounds, plus a Kitchen player."""
    household = Household(**kwargs)
    soundbar = household.add_player("Living Room", "S14")
    sub = household.add_player("Living Room", "Sub")
    left = household.add_player("Living Room", "S38")
    right = household.add_player("Living Room", "S38")
    household.add_player("Kitchen", "S13")
    household.bond_home_theater(soundbar, sub=sub, surrounds=(left, right))
    return household


def groups(**kwargs: Any) -> Household:
    """Return six players: two groups of two and two standalone players."""
    household = singles(6, **kwargs)
    living, kitchen, bedroom, office = household.players[:4]
    household.group(living, kitchen)
    household.group(bedroom, office)
    return household


def large(count: int, **kwargs: Any) -> Household:
    """Return a large household: mostly singles, a few groups of three."""
    household = singles(count, **kwargs)
    players = household.players
    for start in range(0, min(count, 12) - 2, 3):
        household.group(players[start], players[start + 1], players[start + 2])
    return household


def add_real_world_alarms(household: Household) -> None:
    """Give the household alarms as other clients and firmware leave them.

    1: no duration (SoCo writes an empty Duration); 2 and 3: play modes the
    SCPD does not list (SoCo accepts REPEAT_ONE and SHUFFLE_REPEAT_ONE);
    4: a recurrence with a repeated day, 5: a recurrence keyword nobody knows;
    then a second alarm with ID 2, one without an ID and one without a
    StartTime.
    """
    rooms = [player.uuid for player in household.visible_players]
    room = rooms[0]
    alarms = household.alarms
    alarms.restore(Alarm(1, "06:00:00", "", "DAILY", enabled=True, room_uuid=room))
    alarms.restore(
        Alarm(2, "06:30:00", "00:20:00", "WEEKDAYS", True, room, play_mode="REPEAT_ONE")
    )
    alarms.restore(
        Alarm(
            3,
            "07:00:00",
            "01:00:00",
            "WEEKENDS",
            enabled=False,
            room_uuid=rooms[-1],
            play_mode="SHUFFLE_REPEAT_ONE",
            volume=35,
        )
    )
    alarms.restore(Alarm(4, "07:30:00", "00:30:00", "ON_1135", True, rooms[-1]))
    alarms.restore(Alarm(5, "08:00:00", "00:45:00", "EVERY_OTHER_DAY", True, room))
    common = {
        "Duration": "01:00:00",
        "Recurrence": "DAILY",
        "Enabled": "1",
        "RoomUUID": room,
        "ProgramURI": "x-rincon-buzzer:0",
        "ProgramMetaData": "",
        "PlayMode": "NORMAL",
        "Volume": "20",
        "IncludeLinkedZones": "0",
    }
    alarms.add_foreign({"ID": "2", "StartTime": "09:00:00", **common})
    alarms.add_foreign({"StartTime": "10:00:00", **common})
    alarms.add_foreign({"ID": "8", **common})


def real_world_alarms(**kwargs: Any) -> Household:
    """Return three standalone players with alarms other clients wrote."""
    household = singles(3, **kwargs)
    add_real_world_alarms(household)
    return household


SCENARIOS: Final[dict[str, Callable[..., Household]]] = {
    "single": lambda **kw: singles(1, **kw),
    "singles": lambda **kw: singles(kw.pop("players", 3), **kw),
    "stereo_pair": stereo_pair,
    "home_theater": home_theater,
    "groups": groups,
    "large32": lambda **kw: large(32, **kw),
    "large64": lambda **kw: large(64, **kw),
    "real_world_alarms": real_world_alarms,
}


def build_household(scenario: str = "singles", **kwargs: Any) -> Household:
    """Return the household of a named scenario (not started yet).

    kwargs go to Household (host, base_port, seed, household_id,
    notify_timeout); "singles" also takes players=N.
    """
    try:
        factory = SCENARIOS[scenario]
    except KeyError:
        raise ValueError(
            f"unknown scenario {scenario!r}: {sorted(SCENARIOS)}"
        ) from None
    return factory(**kwargs)
