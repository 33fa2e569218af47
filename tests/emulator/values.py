"""UPnP value types: validating request arguments and formatting outputs."""

from __future__ import annotations

import re
from typing import Final

from custom_components.sonos_upnp.upnp.catalog import INTEGER_RANGES, Argument

_INTEGER: Final = re.compile(r"^\s*[+-]?\d+\s*$")
_TRUE: Final = frozenset({"1", "true", "yes"})
_FALSE: Final = frozenset({"0", "false", "no"})
_CHECKED_BY_ALARM_LIST: Final = frozenset(
    {"A_ARG_TYPE_Recurrence", "A_ARG_TYPE_AlarmPlayMode"}
)


class InvalidArgumentError(ValueError):
    """An argument a speaker would refuse with UPnP error 402."""


type Value = int | bool | str


def parse_value(argument: Argument, text: str) -> Value:
    """Return the typed value of a request argument or raise InvalidArgumentError."""
    data_type = argument.data_type
    if data_type in INTEGER_RANGES:
        if not _INTEGER.match(text):
            raise InvalidArgumentError(f"{argument.name}: not an integer: {text!r}")
        number = int(text)
        low, high = INTEGER_RANGES[data_type]
        if not low <= number <= high:
            raise InvalidArgumentError(f"{argument.name}: out of range: {number}")
        return number
    if data_type == "boolean":
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise InvalidArgumentError(f"{argument.name}: not a boolean: {text!r}")
    # Real players take recurrences and alarm play modes beyond the SCPD's
    # lists; the alarm list checks those itself (alarms.validate_alarm).
    if (
        argument.allowed_values
        and text not in argument.allowed_values
        and argument.state_variable not in _CHECKED_BY_ALARM_LIST
    ):
        raise InvalidArgumentError(f"{argument.name}: not allowed: {text!r}")
    return text


def format_value(data_type: str, value: Value) -> str:
    """Return the wire form of a value (booleans as 1/0)."""
    if data_type == "boolean" or isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def default_value(argument: Argument) -> Value:
    """Return a generic valid value of an argument's type."""
    if argument.data_type in INTEGER_RANGES:
        return 0
    if argument.data_type == "boolean":
        return False
    if argument.allowed_values:
        return argument.allowed_values[0]
    return ""
