"""Conversion of argument values between Python and the UPnP wire format.

Going out (`to_wire`) is strict: a value the catalog does not allow is refused
with `UpnpArgumentError` before anything is sent. Coming in (`from_wire`) a
malformed value from a speaker becomes `UpnpResponseError`.
"""

from __future__ import annotations

import re
from typing import Final, NoReturn

from .catalog import INTEGER_RANGES
from .catalog_types import Argument
from .exceptions import UpnpArgumentError, UpnpResponseError

__all__ = ["RECURRENCE_PATTERN", "Verbatim", "from_wire", "to_wire"]

# Real speakers use "ON_" plus distinct weekdays (0 = Sunday) beyond the SCPD's
# list, e.g. ON_1245. Use with fullmatch.
RECURRENCE_PATTERN: Final = re.compile(r"ON_(?![0-6]*([0-6])[0-6]*\1)[0-6]{1,7}")
RECURRENCE_VARIABLE: Final = "A_ARG_TYPE_Recurrence"

# Bounded: int() refuses digit strings longer than sys.get_int_max_str_digits().
_INTEGER_TEXT: Final = re.compile(r"[+-]?[0-9]{1,20}")
_TRUE_OUT: Final = frozenset({"1", "true"})
_FALSE_OUT: Final = frozenset({"0", "false"})
_TRUE_IN: Final = frozenset({"1", "true", "yes"})
_FALSE_IN: Final = frozenset({"0", "false", "no"})
_MAX_REPR: Final = 80
# Characters XML 1.0 cannot carry at all, not even as character references.
_NOT_XML_CHAR: Final = re.compile(
    "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


class Verbatim(str):
    """Text a speaker sent that goes back to it unchanged.

    `to_wire` passes it through as it is, without the catalog's type and
    allowed-value checks: a value another client wrote and the speaker stored
    is re-sent byte for byte, even where the SCPD would not list it. Only for
    values read from a speaker, never for user input.
    """

    __slots__ = ()


def _where(argument: Argument, service: str, action: str) -> str:
    """Name the argument, with its service and action when known."""
    owner = f"{service}.{action}" if service and action else service or action
    return f"{owner} argument {argument.name}" if owner else argument.name


def _choices(argument: Argument) -> str:
    """Describe what the argument accepts, for error messages."""
    if argument.data_type in INTEGER_RANGES:
        low, high = INTEGER_RANGES[argument.data_type]
        return f"an integer from {low} to {high}"
    if argument.data_type == "boolean":
        return "True, False, 1, 0, '1', '0', 'true' or 'false'"
    if argument.allowed_values:
        text = ", ".join(argument.allowed_values)
        if argument.state_variable == RECURRENCE_VARIABLE:
            text += ", or ON_ followed by distinct weekday digits 0-6 (0 = Sunday)"
        return text
    return "a string without control characters"


def _shorten(value: object) -> str:
    """Return repr(value), cut short so a huge argument cannot flood a log."""
    text = repr(value)
    return text if len(text) <= _MAX_REPR else f"{text[: _MAX_REPR - 3]}..."


def _refuse(argument: Argument, value: object, service: str, action: str) -> NoReturn:
    raise UpnpArgumentError(
        f"{_where(argument, service, action)}: invalid value {_shorten(value)} "
        f"({argument.data_type}); valid choices: {_choices(argument)}"
    )


def _integer_out(argument: Argument, value: object, service: str, action: str) -> str:
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        number = int(value.strip())
    low, high = INTEGER_RANGES[argument.data_type]
    if number is None or not low <= number <= high:
        _refuse(argument, value, service, action)
    text = str(number)
    if argument.allowed_values and text not in argument.allowed_values:
        _refuse(argument, value, service, action)
    return text


def _boolean_out(argument: Argument, value: object, service: str, action: str) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int) and value in {0, 1}:
        return str(value)
    if isinstance(value, str):
        folded = value.strip().lower()
        if folded in _TRUE_OUT:
            return "1"
        if folded in _FALSE_OUT:
            return "0"
    _refuse(argument, value, service, action)


def _string_out(argument: Argument, value: object, service: str, action: str) -> str:
    if not isinstance(value, str) or _NOT_XML_CHAR.search(value):
        _refuse(argument, value, service, action)
    if argument.allowed_values and value not in argument.allowed_values:
        recurrence = argument.state_variable == RECURRENCE_VARIABLE
        if not (recurrence and RECURRENCE_PATTERN.fullmatch(value)):
            _refuse(argument, value, service, action)
    return value


def to_wire(
    argument: Argument, value: object, *, service: str = "", action: str = ""
) -> str:
    """Return the wire text of value for argument, or raise UpnpArgumentError.

    service and action only make the error message more precise.
    """
    if isinstance(value, Verbatim):
        # XML cannot carry these at all, so even a verbatim value is refused.
        if _NOT_XML_CHAR.search(value):
            _refuse(argument, value, service, action)
        return str(value)
    if argument.data_type in INTEGER_RANGES:
        return _integer_out(argument, value, service, action)
    if argument.data_type == "boolean":
        return _boolean_out(argument, value, service, action)
    return _string_out(argument, value, service, action)


def from_wire(
    argument: Argument, text: str, *, service: str = "", action: str = ""
) -> int | bool | str:
    """Return the typed value of a speaker's text, or raise UpnpResponseError."""
    if argument.data_type in INTEGER_RANGES:
        stripped = text.strip()
        if _INTEGER_TEXT.fullmatch(stripped):
            number = int(stripped)
            low, high = INTEGER_RANGES[argument.data_type]
            if low <= number <= high:
                return number
    elif argument.data_type == "boolean":
        folded = text.strip().lower()
        if folded in _TRUE_IN:
            return True
        if folded in _FALSE_IN:
            return False
    else:
        return text
    raise UpnpResponseError(
        f"{_where(argument, service, action)}: speaker sent {text[:80]!r}, "
        f"not a valid {argument.data_type}"
    )
