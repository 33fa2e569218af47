"""An async Sonos UPnP/SOAP and GENA client, free of Home Assistant imports.

Bundled with the integration, but kept so that it could be published on its
own: no Home Assistant imports (a test checks), typed (py.typed), its own
version and README. The names below are its public API; see README.md.
"""

from .alarms import (
    Alarm,
    AlarmList,
    AlarmSettings,
    UnreadableAlarm,
    create_alarm,
    delete_alarm,
    list_alarms,
    update_alarm,
)
from .client import DEFAULT_PORT, SonosUpnpClient
from .description import DeviceDescription
from .events import UpnpEvent
from .exceptions import (
    AlarmNotFoundError,
    DuplicateAlarmError,
    NotASonosDeviceError,
    SubscriptionError,
    UpnpArgumentError,
    UpnpArgumentValueError,
    UpnpClientError,
    UpnpConnectionError,
    UpnpError,
    UpnpHttpStatusError,
    UpnpResponseError,
)
from .listener import EventListener
from .subscriptions import Subscription, SubscriptionManager
from .topology import HouseholdTopology, Player, PlayerRole, ZoneGroup

# The client's own version (PEP 440), independent of the integration's
# manifest version; see CHANGELOG.md for when it changes.
__version__ = "0.1.0"

__all__ = [
    "DEFAULT_PORT",
    "Alarm",
    "AlarmList",
    "AlarmNotFoundError",
    "AlarmSettings",
    "DeviceDescription",
    "DuplicateAlarmError",
    "EventListener",
    "HouseholdTopology",
    "NotASonosDeviceError",
    "Player",
    "PlayerRole",
    "SonosUpnpClient",
    "Subscription",
    "SubscriptionError",
    "SubscriptionManager",
    "UnreadableAlarm",
    "UpnpArgumentError",
    "UpnpArgumentValueError",
    "UpnpClientError",
    "UpnpConnectionError",
    "UpnpError",
    "UpnpEvent",
    "UpnpHttpStatusError",
    "UpnpResponseError",
    "ZoneGroup",
    "__version__",
    "create_alarm",
    "delete_alarm",
    "list_alarms",
    "update_alarm",
]
