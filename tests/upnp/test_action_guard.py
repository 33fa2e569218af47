"""The risk table and the value check that call_action runs before sending."""

import pytest

from custom_components.sonos_upnp.upnp.action_guard import (
    RISKY_ACTIONS,
    VALUE_RANGES,
    ActionRisk,
    action_risk,
    check_arguments,
)
from custom_components.sonos_upnp.upnp.catalog import SERVICES_BY_NAME, get_service
from custom_components.sonos_upnp.upnp.exceptions import (
    UpnpArgumentError,
    UpnpArgumentValueError,
)


def test_every_listed_action_exists_in_the_catalog() -> None:
    for service, action in RISKY_ACTIONS:
        assert action in SERVICES_BY_NAME[service].action_names, (service, action)


def test_every_listed_range_belongs_to_an_integer_input() -> None:
    for service, variable in VALUE_RANGES:
        inputs = [
            argument
            for action in get_service(service).actions
            for argument in action.inputs
            if argument.state_variable == variable
        ]
        assert inputs, (service, variable)
        assert all(argument.data_type in {"ui2", "i2"} for argument in inputs)


@pytest.mark.parametrize(
    ("service", "action", "risk"),
    [
        ("ZoneGroupTopology", "BeginSoftwareUpdate", ActionRisk.FIRMWARE),
        ("ZoneGroupTopology", "SubmitDiagnostics", ActionRisk.DATA_LEAVES_HOUSEHOLD),
        ("SystemProperties", "RemoveAccount", ActionRisk.ACCOUNT),
        ("SystemProperties", "EditAccountPasswordX", ActionRisk.ACCOUNT),
        ("SystemProperties", "ResetThirdPartyCredentials", ActionRisk.ACCOUNT),
        ("DeviceProperties", "RemoveBondedZones", ActionRisk.BONDING),
        ("ContentDirectory", "DestroyObject", ActionRisk.CONTENT),
        ("DeviceProperties", "EnterConfigMode", ActionRisk.DEVICE_SETUP),
        ("RenderingControl", "SetVolume", None),
        ("AVTransport", "SetAVTransportURI", None),
        ("AlarmClock", "DestroyAlarm", None),
        ("ZoneGroupTopology", "GetZoneGroupState", None),
    ],
)
def test_actions_are_classified(
    service: str, action: str, risk: ActionRisk | None
) -> None:
    assert action_risk(service, action) is risk


def test_every_category_is_used() -> None:
    assert set(RISKY_ACTIONS.values()) == set(ActionRisk)


@pytest.mark.parametrize(
    ("service", "action", "arguments"),
    [
        ("RenderingControl", "SetVolume", {"Channel": "Master", "DesiredVolume": 0}),
        ("RenderingControl", "SetVolume", {"Channel": "LF", "DesiredVolume": "100"}),
        ("RenderingControl", "SetBass", {"DesiredBass": -10}),
        ("GroupRenderingControl", "SetGroupVolume", {"DesiredVolume": 100}),
        ("AlarmClock", "CreateAlarm", {"Recurrence": "ON_1245", "Volume": 100}),
        ("RenderingControl", "SetMute", {"DesiredMute": True}),
        # Missing and unknown arguments are the client's business.
        ("RenderingControl", "SetVolume", {"Chanel": "Master"}),
        ("DeviceProperties", "GetLEDState", {}),
    ],
)
def test_allowed_values_pass(
    service: str, action: str, arguments: dict[str, object]
) -> None:
    check_arguments(service, action, arguments)


@pytest.mark.parametrize(
    ("service", "action", "arguments", "argument", "allowed"),
    [
        (
            "RenderingControl",
            "SetVolume",
            {"Channel": "Master", "DesiredVolume": 500},
            "DesiredVolume",
            "an integer from 0 to 100",
        ),
        (
            "RenderingControl",
            "RampToVolume",
            {"DesiredVolume": -1},
            "DesiredVolume",
            "an integer from 0 to 100",
        ),
        (
            "RenderingControl",
            "SetTreble",
            {"DesiredTreble": 11},
            "DesiredTreble",
            "an integer from -10 to 10",
        ),
        (
            "GroupRenderingControl",
            "SetGroupVolume",
            {"DesiredVolume": 101},
            "DesiredVolume",
            "an integer from 0 to 100",
        ),
        (
            "AlarmClock",
            "UpdateAlarm",
            {"Volume": 150},
            "Volume",
            "an integer from 0 to 100",
        ),
        (
            "RenderingControl",
            "SetRelativeVolume",
            {"Adjustment": 2**31},
            "Adjustment",
            f"an integer from {-(2**31)} to {2**31 - 1}",
        ),
        (
            "RenderingControl",
            "GetVolume",
            {"Channel": "Middle"},
            "Channel",
            "Master, LF, RF",
        ),
        (
            "RenderingControl",
            "SetMute",
            {"DesiredMute": "maybe"},
            "DesiredMute",
            "true or false (1 or 0)",
        ),
        (
            "AlarmClock",
            "CreateAlarm",
            {"Recurrence": "MONTHLY"},
            "Recurrence",
            (
                "ONCE, WEEKDAYS, WEEKENDS, DAILY, or ON_ followed by distinct "
                "weekday digits 0-6 (0 = Sunday)"
            ),
        ),
        (
            "DeviceProperties",
            "SetZoneAttributes",
            {"DesiredZoneName": "a\x00b"},
            "DesiredZoneName",
            "any text without control characters",
        ),
    ],
)
def test_refused_values_name_the_argument_and_what_is_allowed(
    service: str,
    action: str,
    arguments: dict[str, object],
    argument: str,
    allowed: str,
) -> None:
    with pytest.raises(UpnpArgumentValueError) as caught:
        check_arguments(service, action, arguments)
    assert caught.value.service == service
    assert caught.value.action == action
    assert caught.value.argument == argument
    assert caught.value.allowed == allowed
    assert argument in str(caught.value)


def test_a_huge_refused_value_is_shown_shortened() -> None:
    with pytest.raises(UpnpArgumentValueError) as caught:
        check_arguments("RenderingControl", "GetVolume", {"Channel": "x" * 10_000})
    assert caught.value.value == "x" * 77 + "..."


def test_unknown_service_or_action_is_refused() -> None:
    with pytest.raises(UpnpArgumentError):
        check_arguments("Rendering", "GetVolume", {})
    with pytest.raises(UpnpArgumentError):
        check_arguments("RenderingControl", "GetLoudnes", {})
