"""Argument values to and from the wire: types, ranges, allowed values."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.sonos_upnp.upnp.catalog import INTEGER_RANGES, get_service
from custom_components.sonos_upnp.upnp.catalog_types import Argument
from custom_components.sonos_upnp.upnp.exceptions import (
    UpnpArgumentError,
    UpnpResponseError,
)
from custom_components.sonos_upnp.upnp.values import (
    RECURRENCE_PATTERN,
    Verbatim,
    from_wire,
    to_wire,
)

VOLUME = get_service("RenderingControl").action("SetVolume").input("DesiredVolume")
CHANNEL = get_service("RenderingControl").action("SetVolume").input("Channel")
MUTE = get_service("RenderingControl").action("SetMute").input("DesiredMute")
RECURRENCE = get_service("AlarmClock").action("CreateAlarm").input("Recurrence")
URI = get_service("AVTransport").action("SetAVTransportURI").input("CurrentURI")
INT_TYPES = sorted(INTEGER_RANGES)


def test_catalog_arguments_used_here_exist() -> None:
    assert VOLUME is not None
    assert VOLUME.data_type == "ui2"
    assert CHANNEL is not None
    assert CHANNEL.allowed_values
    assert MUTE is not None
    assert MUTE.data_type == "boolean"
    assert RECURRENCE is not None
    assert RECURRENCE.state_variable == "A_ARG_TYPE_Recurrence"
    assert URI is not None


@pytest.mark.parametrize("data_type", INT_TYPES)
def test_integer_range_edges(data_type: str) -> None:
    low, high = INTEGER_RANGES[data_type]
    argument = Argument("Value", data_type, "V")
    assert to_wire(argument, low) == str(low)
    assert to_wire(argument, high) == str(high)
    assert from_wire(argument, str(low)) == low
    assert from_wire(argument, f" {high}\n") == high
    for outside in (low - 1, high + 1):
        with pytest.raises(UpnpArgumentError, match=f"from {low} to {high}"):
            to_wire(argument, outside)
        with pytest.raises(UpnpResponseError):
            from_wire(argument, str(outside))


def test_integer_accepts_integral_floats_and_digit_strings() -> None:
    assert VOLUME is not None
    assert to_wire(VOLUME, 30.0) == "30"
    assert to_wire(VOLUME, " 30 ") == "30"
    assert to_wire(VOLUME, "+7") == "7"


@pytest.mark.parametrize(
    "value", [True, False, 2.5, "2.5", "abc", "", None, [1], "\u0661", "1" * 5000]
)
def test_integer_refuses_bools_fractions_and_junk(value: object) -> None:
    assert VOLUME is not None
    with pytest.raises(UpnpArgumentError) as err:
        to_wire(VOLUME, value, service="RenderingControl", action="SetVolume")
    message = str(err.value)
    assert "RenderingControl.SetVolume argument DesiredVolume" in message
    assert "valid choices: an integer from 0 to 65535" in message


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (True, "1"),
        (False, "0"),
        (1, "1"),
        (0, "0"),
        ("1", "1"),
        ("0", "0"),
        ("TRUE", "1"),
        ("false", "0"),
        (" True ", "1"),
    ],
)
def test_boolean_out(value: object, wire: str) -> None:
    assert MUTE is not None
    assert to_wire(MUTE, value) == wire


@pytest.mark.parametrize("value", [2, -1, "yes", "on", None, 1.0, ""])
def test_boolean_out_refuses(value: object) -> None:
    assert MUTE is not None
    with pytest.raises(UpnpArgumentError, match="valid choices: True, False"):
        to_wire(MUTE, value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", True),
        ("0", False),
        ("true", True),
        ("False", False),
        ("YES", True),
        ("no", False),
        (" 1\n", True),
    ],
)
def test_boolean_in(text: str, value: bool) -> None:
    assert MUTE is not None
    assert from_wire(MUTE, text) is value


@pytest.mark.parametrize("text", ["", "2", "on", "abc"])
def test_boolean_in_refuses(text: str) -> None:
    assert MUTE is not None
    with pytest.raises(UpnpResponseError, match="not a valid boolean"):
        from_wire(MUTE, text, service="RenderingControl", action="GetMute")


@pytest.mark.parametrize(
    "text", ["abc", "", "1.5", "0x10", "1_000", "\u0661\u0662", "1" * 5000]
)
def test_malformed_integer_from_speaker(text: str) -> None:
    argument = Argument("Track", "ui4", "A_ARG_TYPE_Track")
    with pytest.raises(UpnpResponseError, match=r"AVTransport.GetPositionInfo.*ui4"):
        from_wire(argument, text, service="AVTransport", action="GetPositionInfo")


def test_strings_pass_unchanged() -> None:
    assert URI is not None
    text = "x-rincon:RINCON_1 & <b> \"q\" 'a' é\t\n\r"
    assert to_wire(URI, text) == text
    assert from_wire(URI, text) == text
    # Output strings are not checked against allowed values: speakers add some.
    assert CHANNEL is not None
    assert from_wire(CHANNEL, "SomethingNew") == "SomethingNew"


@pytest.mark.parametrize("value", [1, None, b"bytes", "a\x00b", "\x1b[0m", "\ud800"])
def test_string_refuses_non_strings_and_unencodable_text(value: object) -> None:
    assert URI is not None
    with pytest.raises(UpnpArgumentError, match="CurrentURI"):
        to_wire(URI, value)


def test_allowed_values_are_enforced_and_listed() -> None:
    assert CHANNEL is not None
    assert to_wire(CHANNEL, "Master") == "Master"
    with pytest.raises(UpnpArgumentError) as err:
        to_wire(CHANNEL, "master", service="RenderingControl", action="SetVolume")
    message = str(err.value)
    assert "RenderingControl.SetVolume argument Channel" in message
    assert "'master'" in message
    for choice in CHANNEL.allowed_values:
        assert choice in message


def test_integer_allowed_values() -> None:
    argument = Argument("Speed", "ui4", "S", ("1", "2"))
    assert to_wire(argument, 2) == "2"
    with pytest.raises(UpnpArgumentError, match="from 0 to 4294967295"):
        to_wire(argument, 3)


@pytest.mark.parametrize(
    "value", ["ONCE", "WEEKDAYS", "WEEKENDS", "DAILY", "ON_1245", "ON_0", "ON_6543210"]
)
def test_recurrence_accepts_catalog_values_and_weekday_lists(value: str) -> None:
    assert RECURRENCE is not None
    assert to_wire(RECURRENCE, value) == value


@pytest.mark.parametrize(
    "value", ["ON_", "ON_7", "ON_112", "ON_12345670", "on_12", "ON_1 ", "daily", "X"]
)
def test_recurrence_refuses_the_rest(value: str) -> None:
    assert RECURRENCE is not None
    with pytest.raises(UpnpArgumentError, match="ON_ followed by distinct weekday"):
        to_wire(RECURRENCE, value)


@pytest.mark.parametrize(
    ("argument", "text"),
    [
        (RECURRENCE, "ON_113"),
        (RECURRENCE, "FORTNIGHTLY"),
        (
            get_service("AlarmClock").action("UpdateAlarm").input("PlayMode"),
            "REPEAT_ONE",
        ),
        (VOLUME, "020"),
        (VOLUME, "loud"),
        (MUTE, "yes"),
    ],
)
def test_verbatim_text_passes_unchecked(argument: Argument | None, text: str) -> None:
    assert argument is not None
    # As plain text it is refused or rewritten ("020" -> "20").
    try:
        plain: str | None = to_wire(argument, text)
    except UpnpArgumentError:
        plain = None
    assert plain != text
    sent = to_wire(argument, Verbatim(text))
    assert sent == text
    assert type(sent) is str


def test_verbatim_text_cannot_carry_what_xml_cannot() -> None:
    assert URI is not None
    with pytest.raises(UpnpArgumentError, match="CurrentURI"):
        to_wire(URI, Verbatim("a\x00b"))


def test_recurrence_pattern_is_only_for_recurrence() -> None:
    assert CHANNEL is not None
    with pytest.raises(UpnpArgumentError):
        to_wire(CHANNEL, "ON_12")


@given(
    st.sets(st.sampled_from("0123456"), min_size=1).flatmap(
        lambda days: st.permutations(sorted(days))
    )
)
def test_recurrence_pattern_matches_any_distinct_days(days: list[str]) -> None:
    assert RECURRENCE_PATTERN.fullmatch("ON_" + "".join(days))


@given(st.text(alphabet="0123456789", min_size=1, max_size=9))
def test_recurrence_pattern_refuses_repeats_and_bad_digits(digits: str) -> None:
    valid = len(set(digits)) == len(digits) and set(digits) <= set("0123456")
    assert bool(RECURRENCE_PATTERN.fullmatch("ON_" + digits)) is valid


@given(st.sampled_from(INT_TYPES), st.integers())
def test_integer_round_trip(data_type: str, number: int) -> None:
    argument = Argument("Value", data_type, "V")
    low, high = INTEGER_RANGES[data_type]
    if low <= number <= high:
        assert from_wire(argument, to_wire(argument, number)) == number
    else:
        with pytest.raises(UpnpArgumentError):
            to_wire(argument, number)


@given(st.sampled_from([*INT_TYPES, "boolean", "string"]), st.text())
def test_from_wire_raises_only_response_errors(data_type: str, text: str) -> None:
    argument = Argument("Value", data_type, "V")
    try:
        value = from_wire(argument, text)
    except UpnpResponseError:
        return
    assert isinstance(value, int | bool | str)


def test_error_messages_stay_short_for_huge_values() -> None:
    assert URI is not None
    with pytest.raises(UpnpArgumentError) as err:
        to_wire(URI, "x" * 100_000 + "\x00")
    assert len(str(err.value)) < 300
    assert "valid choices: a string without control characters" in str(err.value)
