"""Argument validation of the emulator, property-based."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.sonos_upnp.upnp.catalog import INTEGER_RANGES, Argument
from tests.emulator.alarms import Alarm, AlarmError, validate_alarm
from tests.emulator.values import (
    InvalidArgumentError,
    default_value,
    format_value,
    parse_value,
)


@given(st.sampled_from(sorted(INTEGER_RANGES)), st.integers(-(2**40), 2**40))
def test_integers_are_checked_against_their_type(data_type: str, number: int) -> None:
    argument = Argument("X", data_type, "A_ARG_TYPE_X")
    low, high = INTEGER_RANGES[data_type]
    if low <= number <= high:
        assert parse_value(argument, str(number)) == number
    else:
        with pytest.raises(InvalidArgumentError):
            parse_value(argument, str(number))


@given(st.text(max_size=12))
def test_booleans_accept_only_upnp_spellings(text: str) -> None:
    argument = Argument("B", "boolean", "A_ARG_TYPE_B")
    if text.strip().lower() in {"0", "1", "true", "false", "yes", "no"}:
        assert parse_value(argument, text) in {True, False}
    else:
        with pytest.raises(InvalidArgumentError):
            parse_value(argument, text)


@given(st.from_regex(r"ON_[0-9]{0,8}", fullmatch=True) | st.text(max_size=10))
def test_recurrence_accepts_scpd_values_and_on_days(text: str) -> None:
    argument = Argument(
        "Recurrence",
        "string",
        "A_ARG_TYPE_Recurrence",
        ("ONCE", "WEEKDAYS", "WEEKENDS", "DAILY"),
    )
    # The alarm list decides (it takes back a recurrence it already stores).
    assert parse_value(argument, text) == text
    alarm = Alarm(1, "07:00:00", "01:00:00", text, enabled=True, room_uuid="R")
    valid = text in argument.allowed_values or (
        text.startswith("ON_")
        and 1 <= len(text) - 3 <= 7
        and set(text[3:]) <= set("0123456")
    )
    if valid:
        validate_alarm(alarm)
    else:
        with pytest.raises(AlarmError):
            validate_alarm(alarm)
    validate_alarm(alarm, stored=alarm)


def test_defaults_round_trip() -> None:
    for argument in (
        Argument("I", "i4", "V"),
        Argument("B", "boolean", "V"),
        Argument("S", "string", "V", ("A", "B")),
        Argument("T", "string", "V"),
    ):
        value = default_value(argument)
        assert parse_value(argument, format_value(argument.data_type, value)) == value
