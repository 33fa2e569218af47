"""Constants of the Sonos UPnP integration."""

import logging
from datetime import timedelta
from typing import Final

DOMAIN: Final = "sonos_upnp"
LOGGER: Final = logging.getLogger(__package__)

ZONE_PLAYER_ST: Final = "urn:schemas-upnp-org:device:ZonePlayer:1"
DEFAULT_PORT: Final = 1400

CONF_UDN: Final = "udn"
CONF_ADVERTISE_HOST: Final = "advertise_host"
CONF_ADVERTISE_PORT: Final = "advertise_port"
CONF_POLL_INTERVAL: Final = "poll_interval"

DEFAULT_POLL_INTERVAL: Final = 60
MIN_POLL_INTERVAL: Final = 10

# How long a speaker has to deliver the initial NOTIFY (SEQ 0) after SUBSCRIBE
# before we fall back to polling and raise a repair issue.
INITIAL_EVENT_TIMEOUT: Final = timedelta(seconds=10)
# Players subscribed to ZoneGroupTopology and AlarmClock for the household-wide
# state; more than one so the state keeps flowing when one disappears.
HOUSEHOLD_EVENT_SOURCES: Final = 2

SERVICE_CREATE_ALARM: Final = "create_alarm"
SERVICE_UPDATE_ALARM: Final = "update_alarm"
SERVICE_DELETE_ALARM: Final = "delete_alarm"
SERVICE_LIST_ALARMS: Final = "list_alarms"
SERVICE_CALL_ACTION: Final = "call_action"
SERVICE_SNOOZE_ALARM: Final = "snooze_alarm"
SERVICE_STOP_ALARM: Final = "stop_alarm"

ATTR_DEVICE_ID: Final = "device_id"
ATTR_ALARM_ID: Final = "alarm_id"
ATTR_START_TIME: Final = "start_time"
ATTR_DURATION: Final = "duration"
ATTR_RECURRENCE: Final = "recurrence"
ATTR_VOLUME: Final = "volume"
ATTR_ENABLED: Final = "enabled"
ATTR_PLAY_MODE: Final = "play_mode"
ATTR_INCLUDE_LINKED_ZONES: Final = "include_linked_zones"
ATTR_PROGRAM_URI: Final = "program_uri"
ATTR_PROGRAM_METADATA: Final = "program_metadata"
ATTR_ROOM: Final = "room"
ATTR_SERVICE: Final = "service"
ATTR_ACTION: Final = "action"
ATTR_ARGUMENTS: Final = "arguments"
ATTR_ALLOW_UNSAFE: Final = "allow_unsafe"

# Entry data the integration keeps up to date itself: the checked address of
# every player ({uuid: {"host", "port"}}) and when kept devices went missing.
CONF_ADDRESSES: Final = "addresses"
CONF_MISSING_SINCE: Final = "missing_since"
