"""Guards for raw SOAP calls: which actions are risky, and which values are allowed.

`SonosUpnpClient.call` checks types only, so that writes can re-send a
speaker's own values verbatim. Code that forwards actions and values from
people (such as a generic "call any action" service) uses these guards first:
`action_risk` says whether an action changes accounts, firmware, bonding or
content, or sends data out of the household, and `check_arguments` refuses a
value the catalog or the players' documented ranges do not allow, before
anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from .catalog import INTEGER_RANGES, get_service
from .catalog_types import Argument
from .exceptions import UpnpArgumentError, UpnpArgumentValueError
from .values import RECURRENCE_VARIABLE, to_wire

__all__ = [
    "RISKY_ACTIONS",
    "VALUE_RANGES",
    "ActionRisk",
    "action_risk",
    "allowed_values_text",
    "check_arguments",
]

_MAX_SHOWN_VALUE: Final = 80


class ActionRisk(StrEnum):
    """Why an action must not be sent without an explicit opt-in."""

    ACCOUNT = "account"
    """Adds, changes, removes or reveals music-service accounts and credentials."""
    FIRMWARE = "firmware"
    """Installs software, from any URL the caller gives, or finishes an update."""
    BONDING = "bonding"
    """Creates or breaks stereo pairs, home-theatre bonds or channel maps, or
    drops a player from the household."""
    CONTENT = "content"
    """Creates, changes or deletes saved playlists, favourites or library items."""
    DATA_LEAVES_HOUSEHOLD = "data_leaves_household"
    """Sends data to Sonos or to an address the caller picks."""
    DEVICE_SETUP = "device_setup"
    """Enters setup mode or rewrites stored settings and calibration."""


_A = ActionRisk
# Reviewed against all 206 actions of the 16 services in the catalog. Actions
# that only read state or change everyday playback (volume, grouping, the play
# queue, alarms, LEDs) are not listed.
RISKY_ACTIONS: Final[Mapping[tuple[str, str], ActionRisk]] = MappingProxyType(
    {
        # Accounts and credentials
        ("SystemProperties", "AddAccountX"): _A.ACCOUNT,
        ("SystemProperties", "AddOAuthAccountX"): _A.ACCOUNT,
        ("SystemProperties", "EditAccountMd"): _A.ACCOUNT,
        ("SystemProperties", "EditAccountPasswordX"): _A.ACCOUNT,
        ("SystemProperties", "GetWebCode"): _A.ACCOUNT,
        ("SystemProperties", "ProvisionCredentialedTrialAccountX"): _A.ACCOUNT,
        ("SystemProperties", "RefreshAccountCredentialsX"): _A.ACCOUNT,
        ("SystemProperties", "RemoveAccount"): _A.ACCOUNT,
        ("SystemProperties", "ReplaceAccountX"): _A.ACCOUNT,
        ("SystemProperties", "ResetThirdPartyCredentials"): _A.ACCOUNT,
        ("SystemProperties", "SetAccountNicknameX"): _A.ACCOUNT,
        ("MusicServices", "GetSessionId"): _A.ACCOUNT,
        ("QPlay", "QPlayAuth"): _A.ACCOUNT,
        # Firmware
        ("ZoneGroupTopology", "BeginSoftwareUpdate"): _A.FIRMWARE,
        ("SystemProperties", "DoPostUpdateTasks"): _A.FIRMWARE,
        # Bonding and topology
        ("DeviceProperties", "AddBondedZones"): _A.BONDING,
        ("DeviceProperties", "RemoveBondedZones"): _A.BONDING,
        ("DeviceProperties", "CreateStereoPair"): _A.BONDING,
        ("DeviceProperties", "SeparateStereoPair"): _A.BONDING,
        ("DeviceProperties", "AddHTSatellite"): _A.BONDING,
        ("DeviceProperties", "RemoveHTSatellite"): _A.BONDING,
        ("RenderingControl", "SetChannelMap"): _A.BONDING,
        ("ZoneGroupTopology", "ReportUnresponsiveDevice"): _A.BONDING,
        # Saved content
        ("ContentDirectory", "CreateObject"): _A.CONTENT,
        ("ContentDirectory", "DestroyObject"): _A.CONTENT,
        ("ContentDirectory", "UpdateObject"): _A.CONTENT,
        ("AVTransport", "AddURIToSavedQueue"): _A.CONTENT,
        ("AVTransport", "CreateSavedQueue"): _A.CONTENT,
        ("AVTransport", "ReorderTracksInSavedQueue"): _A.CONTENT,
        ("AVTransport", "SaveQueue"): _A.CONTENT,
        ("Queue", "SaveAsSonosPlaylist"): _A.CONTENT,
        # Data leaving the household
        ("ZoneGroupTopology", "SubmitDiagnostics"): _A.DATA_LEAVES_HOUSEHOLD,
        ("ZoneGroupTopology", "RegisterMobileDevice"): _A.DATA_LEAVES_HOUSEHOLD,
        ("SystemProperties", "EnableRDM"): _A.DATA_LEAVES_HOUSEHOLD,
        ("AlarmClock", "SetTimeServer"): _A.DATA_LEAVES_HOUSEHOLD,
        # Setup, stored settings and calibration
        ("DeviceProperties", "EnterConfigMode"): _A.DEVICE_SETUP,
        ("DeviceProperties", "ExitConfigMode"): _A.DEVICE_SETUP,
        ("SystemProperties", "SetString"): _A.DEVICE_SETUP,
        ("SystemProperties", "Remove"): _A.DEVICE_SETUP,
        ("RenderingControl", "SetRoomCalibrationX"): _A.DEVICE_SETUP,
    }
)

# Ranges Sonos players enforce beyond the UPnP type (their SCPDs declare them
# as allowedValueRange, which the catalog does not carry), keyed by service
# and state variable. Volumes are 0-100 wherever they appear.
VALUE_RANGES: Final[Mapping[tuple[str, str], tuple[int, int]]] = MappingProxyType(
    {
        ("RenderingControl", "Volume"): (0, 100),
        ("RenderingControl", "Bass"): (-10, 10),
        ("RenderingControl", "Treble"): (-10, 10),
        ("GroupRenderingControl", "GroupVolume"): (0, 100),
        ("VirtualLineIn", "A_ARG_TYPE_Volume"): (0, 100),
        ("DeviceProperties", "AutoplayVolume"): (0, 100),
        ("AlarmClock", "A_ARG_TYPE_AlarmVolume"): (0, 100),
        ("AVTransport", "A_ARG_TYPE_AlarmVolume"): (0, 100),
    }
)


def action_risk(service: str, action: str) -> ActionRisk | None:
    """Return why service.action needs an explicit opt-in, or None if it does not."""
    return RISKY_ACTIONS.get((service, action))


def _integer_range(service: str, argument: Argument) -> tuple[int, int] | None:
    return VALUE_RANGES.get((service, argument.state_variable)) or (
        INTEGER_RANGES.get(argument.data_type)
    )


def allowed_values_text(service: str, argument: Argument) -> str:
    """Describe the values an argument of service accepts, for people."""
    if argument.allowed_values:
        text = ", ".join(argument.allowed_values)
        if argument.state_variable == RECURRENCE_VARIABLE:
            text += ", or ON_ followed by distinct weekday digits 0-6 (0 = Sunday)"
        return text
    if (bounds := _integer_range(service, argument)) is not None:
        return f"an integer from {bounds[0]} to {bounds[1]}"
    if argument.data_type == "boolean":
        return "true or false (1 or 0)"
    return "any text without control characters"


def _shown(value: object) -> str:
    text = str(value)
    if len(text) > _MAX_SHOWN_VALUE:
        text = f"{text[: _MAX_SHOWN_VALUE - 3]}..."
    return text


def check_arguments(service: str, action: str, arguments: Mapping[str, object]) -> None:
    """Refuse a value the action's catalog entry does not allow.

    Raises UpnpArgumentValueError naming the argument and its allowed values,
    or UpnpArgumentError for an unknown service or action. Arguments the
    action does not have, and missing ones, are left to the client, which
    refuses them when building the request.
    """
    described = get_service(service).action(action)
    for argument in described.inputs:
        if argument.name not in arguments:
            continue
        value = arguments[argument.name]
        try:
            text = to_wire(argument, value, service=service, action=action)
        except UpnpArgumentError:
            valid = False
        else:
            bounds = VALUE_RANGES.get((service, argument.state_variable))
            valid = bounds is None or bounds[0] <= int(text) <= bounds[1]
        if not valid:
            raise UpnpArgumentValueError(
                service=service,
                action=action,
                argument=argument.name,
                value=_shown(value),
                allowed=allowed_values_text(service, argument),
            )
