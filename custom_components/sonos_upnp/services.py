"""The integration's actions: alarm management and raw SOAP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from typing import TYPE_CHECKING, Any

import probatio
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import service
from homeassistant.util.json import JsonValueType

from .alarm_entity import alarm_unique_id
from .alarm_fields import alarm_fields
from .alarm_playback import DEFAULT_SNOOZE
from .const import (
    ATTR_ACTION,
    ATTR_ALLOW_UNSAFE,
    ATTR_ARGUMENTS,
    ATTR_DEVICE_ID,
    ATTR_DURATION,
    ATTR_ENABLED,
    ATTR_INCLUDE_LINKED_ZONES,
    ATTR_PLAY_MODE,
    ATTR_PROGRAM_METADATA,
    ATTR_PROGRAM_URI,
    ATTR_RECURRENCE,
    ATTR_ROOM,
    ATTR_SERVICE,
    ATTR_START_TIME,
    ATTR_VOLUME,
    DOMAIN,
    SERVICE_CALL_ACTION,
    SERVICE_CREATE_ALARM,
    SERVICE_DELETE_ALARM,
    SERVICE_LIST_ALARMS,
    SERVICE_SNOOZE_ALARM,
    SERVICE_STOP_ALARM,
    SERVICE_UPDATE_ALARM,
)
from .errors import user_facing_error
from .upnp.action_guard import ActionRisk, action_risk, check_arguments
from .upnp.alarms import PLAY_MODES, AlarmSettings, create_alarm, validate_recurrence
from .upnp.catalog import SERVICES_BY_NAME
from .upnp.exceptions import UpnpArgumentValueError, UpnpClientError

if TYPE_CHECKING:
    from .coordinator import SonosHouseholdCoordinator
    from .upnp.alarms import Alarm
    from .upnp.topology import Player

MAX_ALARM_VOLUME = 100

# The schemas check shapes; values are checked in the handlers so the user
# gets a translated message that says what is wrong.
ALARM_FIELDS: dict[Any, Any] = {
    probatio.Optional(ATTR_START_TIME): cv.time,
    probatio.Optional(ATTR_DURATION): cv.time_period,
    probatio.Optional(ATTR_RECURRENCE): cv.string,
    probatio.Optional(ATTR_VOLUME): probatio.Coerce(int),
    probatio.Optional(ATTR_ENABLED): cv.boolean,
    probatio.Optional(ATTR_PLAY_MODE): cv.string,
    probatio.Optional(ATTR_INCLUDE_LINKED_ZONES): cv.boolean,
    probatio.Optional(ATTR_PROGRAM_URI): cv.string,
    probatio.Optional(ATTR_PROGRAM_METADATA): str,
}
CREATE_ALARM_SCHEMA = probatio.Schema(
    {
        **ALARM_FIELDS,
        probatio.Required(ATTR_DEVICE_ID): cv.string,
        probatio.Required(ATTR_START_TIME): cv.time,
    }
)
# In an entity action `device_id` is a target field (it would select every
# alarm on that device), so the new room of an alarm is given as `room`.
UPDATE_ALARM_FIELDS: dict[Any, Any] = {
    **ALARM_FIELDS,
    probatio.Optional(ATTR_ROOM): cv.string,
}
# The action's selector offers the services in lower case (translation keys
# must be); a name in any case means the catalog's service of that name.
_SERVICE_NAMES_FOLDED = {name.casefold(): name for name in SERVICES_BY_NAME}


def catalog_service_name(value: str) -> str:
    """Return the catalog's spelling of a service name, else value as given."""
    return _SERVICE_NAMES_FOLDED.get(value.casefold(), value)


CALL_ACTION_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_DEVICE_ID): cv.string,
        probatio.Required(ATTR_SERVICE): probatio.All(cv.string, catalog_service_name),
        probatio.Required(ATTR_ACTION): cv.string,
        probatio.Optional(ATTR_ARGUMENTS, default=dict): probatio.Schema(
            {str: probatio.Any(str, int, float, bool)}
        ),
        probatio.Optional(ATTR_ALLOW_UNSAFE, default=False): cv.boolean,
    }
)
SNOOZE_ALARM_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_DEVICE_ID): cv.string,
        probatio.Optional(ATTR_DURATION, default=DEFAULT_SNOOZE): cv.time_period,
    }
)
STOP_ALARM_SCHEMA = probatio.Schema({probatio.Required(ATTR_DEVICE_ID): cv.string})
# The reason call_action gives when it refuses a risky action without opt-in.
UNSAFE_ACTION_TRANSLATION_KEYS: dict[ActionRisk, str] = {
    ActionRisk.ACCOUNT: "unsafe_action_account",
    ActionRisk.FIRMWARE: "unsafe_action_firmware",
    ActionRisk.BONDING: "unsafe_action_bonding",
    ActionRisk.CONTENT: "unsafe_action_content",
    ActionRisk.DATA_LEAVES_HOUSEHOLD: "unsafe_action_data_leaves_household",
    ActionRisk.DEVICE_SETUP: "unsafe_action_device_setup",
}

# Service field -> keyword of upnp.alarms (AlarmSettings / update_alarm).
ALARM_KEYWORDS = {
    ATTR_START_TIME: "start_time",
    ATTR_DURATION: "duration",
    ATTR_RECURRENCE: "recurrence",
    ATTR_VOLUME: "volume",
    ATTR_ENABLED: "enabled",
    ATTR_PLAY_MODE: "play_mode",
    ATTR_INCLUDE_LINKED_ZONES: "include_linked_zones",
    ATTR_PROGRAM_URI: "program_uri",
    ATTR_PROGRAM_METADATA: "program_metadata",
}


@dataclass(frozen=True, slots=True)
class PlayerTarget:
    """The player a device ID stands for, and its household's coordinator."""

    coordinator: SonosHouseholdCoordinator
    player: Player


def resolve_player(hass: HomeAssistant, device_id: str) -> PlayerTarget:
    """Return the sonos_upnp player of a device, or raise ServiceValidationError."""
    device = dr.async_get(hass).async_get(device_id)
    if device is not None:
        entry = hass.config_entries.async_get_entry(device.config_entry_id)
        if (
            entry is not None
            and entry.domain == DOMAIN
            and entry.state is ConfigEntryState.LOADED
        ):
            coordinator: SonosHouseholdCoordinator = entry.runtime_data.coordinator
            for domain, uuid in device.identifiers:
                if domain == DOMAIN and (player := coordinator.player(uuid)):
                    return PlayerTarget(coordinator, player)
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="not_a_player",
        translation_placeholders={"device_id": device_id},
    )


def alarm_changes(
    hass: HomeAssistant,
    data: dict[str, Any],
    household: SonosHouseholdCoordinator | None = None,
) -> dict[str, Any]:
    """Turn validated service fields into upnp.alarms keywords, checking values.

    A new `room` must be a player of the alarm's household, when given.
    """
    changes = {
        ALARM_KEYWORDS[field]: value
        for field, value in data.items()
        if field in ALARM_KEYWORDS
    }
    if "recurrence" in changes:
        try:
            changes["recurrence"] = validate_recurrence(changes["recurrence"].upper())
        except UpnpClientError as err:
            raise user_facing_error(err) from err
    if "volume" in changes and not 0 <= changes["volume"] <= MAX_ALARM_VOLUME:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="volume_out_of_range",
            translation_placeholders={"volume": str(changes["volume"])},
        )
    if "play_mode" in changes:
        changes["play_mode"] = changes["play_mode"].upper()
        if changes["play_mode"] not in PLAY_MODES:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_play_mode",
                translation_placeholders={
                    "play_mode": changes["play_mode"],
                    "choices": ", ".join(sorted(PLAY_MODES)),
                },
            )
    if isinstance(changes.get("start_time"), time):
        changes["start_time"] = changes["start_time"].replace(microsecond=0)
    if isinstance(changes.get("duration"), timedelta):
        changes["duration"] = timedelta(
            seconds=int(changes["duration"].total_seconds())
        )
    if ATTR_ROOM in data:
        target = resolve_player(hass, data[ATTR_ROOM])
        if household is not None and target.coordinator is not household:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="room_of_another_household",
                translation_placeholders={"room": target.player.room_name},
            )
        changes["room_uuid"] = target.player.uuid
    return changes


def alarm_as_dict(
    hass: HomeAssistant, coordinator: SonosHouseholdCoordinator, alarm: Alarm
) -> dict[str, JsonValueType]:
    """Describe an alarm for an action's response."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, alarm.room_uuid), coordinator.config_entry.entry_id
    )
    return {
        **alarm_fields(alarm),
        ATTR_PROGRAM_METADATA: alarm.program_metadata,
        "household_id": coordinator.household_id,
        "room_uuid": alarm.room_uuid,
        "device_id": device.id if device else None,
        ATTR_ENTITY_ID: alarm_switch_id(hass, coordinator, alarm.alarm_id),
    }


def alarm_switch_id(
    hass: HomeAssistant, coordinator: SonosHouseholdCoordinator, alarm_id: int
) -> str | None:
    """Return the entity ID of an alarm's switch, if it has one."""
    return er.async_get(hass).async_get_entity_id(
        Platform.SWITCH, DOMAIN, alarm_unique_id(coordinator.household_id, alarm_id)
    )


async def _async_create_alarm(call: ServiceCall) -> ServiceResponse:
    target = resolve_player(call.hass, call.data[ATTR_DEVICE_ID])
    coordinator = target.coordinator
    try:
        settings = AlarmSettings(
            room_uuid=target.player.uuid, **alarm_changes(call.hass, dict(call.data))
        )
        alarm_id = await coordinator.async_on_any_speaker(
            lambda host, port: create_alarm(coordinator.client, host, port, settings)
        )
    except UpnpClientError as err:
        raise user_facing_error(err) from err
    await coordinator.async_refresh_alarms()
    return {
        "alarm_id": alarm_id,
        ATTR_ENTITY_ID: alarm_switch_id(call.hass, coordinator, alarm_id),
    }


async def _async_list_alarms(call: ServiceCall) -> ServiceResponse:
    alarms: list[JsonValueType] = [
        alarm_as_dict(call.hass, entry.runtime_data.coordinator, alarm)
        for entry in call.hass.config_entries.async_loaded_entries(DOMAIN)
        for alarm in entry.runtime_data.coordinator.data.alarms.alarms
    ]
    return {"alarms": alarms}


def _check_call_action(service_name: str, action: str, data: dict[str, Any]) -> None:
    """Refuse an unknown service, a risky action without opt-in or a bad value."""
    if service_name not in SERVICES_BY_NAME:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_service",
            translation_placeholders={
                "service": service_name,
                "choices": ", ".join(sorted(SERVICES_BY_NAME)),
            },
        )
    risk = action_risk(service_name, action)
    if risk is not None and not data[ATTR_ALLOW_UNSAFE]:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=UNSAFE_ACTION_TRANSLATION_KEYS[risk],
            translation_placeholders={
                "action": f"{service_name}.{action}",
                "field": ATTR_ALLOW_UNSAFE,
            },
        )
    try:
        check_arguments(service_name, action, data[ATTR_ARGUMENTS])
    except UpnpArgumentValueError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="argument_not_allowed",
            translation_placeholders={
                "action": f"{err.service}.{err.action}",
                "argument": err.argument,
                "value": err.value,
                "allowed": err.allowed,
            },
        ) from err
    except UpnpClientError as err:
        raise user_facing_error(err) from err


async def _async_call_action(call: ServiceCall) -> ServiceResponse:
    target = resolve_player(call.hass, call.data[ATTR_DEVICE_ID])
    service_name = call.data[ATTR_SERVICE]
    _check_call_action(service_name, call.data[ATTR_ACTION], dict(call.data))
    player = target.player
    if (address := target.coordinator.address_of(player.uuid)) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="player_without_address",
            translation_placeholders={"room": player.room_name},
        )
    try:
        result = await target.coordinator.client.call(
            *address,
            service_name,
            call.data[ATTR_ACTION],
            call.data[ATTR_ARGUMENTS],
        )
    except UpnpClientError as err:
        raise user_facing_error(err) from err
    return dict(result)


async def _async_snooze_alarm(call: ServiceCall) -> None:
    target = resolve_player(call.hass, call.data[ATTR_DEVICE_ID])
    await target.coordinator.alarm_playback.async_snooze(
        target.player.uuid, call.data[ATTR_DURATION]
    )


async def _async_stop_alarm(call: ServiceCall) -> None:
    target = resolve_player(call.hass, call.data[ATTR_DEVICE_ID])
    await target.coordinator.alarm_playback.async_stop(target.player.uuid)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (once, for every household)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_CREATE_ALARM,
        _async_create_alarm,
        schema=CREATE_ALARM_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_LIST_ALARMS,
        _async_list_alarms,
        schema=probatio.Schema({}),
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_SNOOZE_ALARM, _async_snooze_alarm, schema=SNOOZE_ALARM_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_STOP_ALARM, _async_stop_alarm, schema=STOP_ALARM_SCHEMA
    )
    # Raw SOAP reaches every setting of the household: admins only.
    service.async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_CALL_ACTION,
        _async_call_action,
        schema=CALL_ACTION_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_UPDATE_ALARM,
        entity_domain=Platform.SWITCH,
        schema=UPDATE_ALARM_FIELDS,
        func=_async_update_alarm,
    )
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_DELETE_ALARM,
        entity_domain=Platform.SWITCH,
        schema=None,
        func="async_delete_alarm",
    )


async def _async_update_alarm(entity: Any, call: ServiceCall) -> None:
    """Change the given fields of the targeted alarm switches.

    A play mode or recurrence given exactly as the alarm has it is no change,
    so a value another app wrote (REPEAT_ONE, say) can be passed back as
    list_alarms showed it.
    """
    data = dict(call.data)
    if (alarm := entity.alarm) is not None:
        for field, current in (
            (ATTR_PLAY_MODE, alarm.play_mode),
            (ATTR_RECURRENCE, alarm.recurrence),
        ):
            if data.get(field) == current:
                del data[field]
    changes = alarm_changes(call.hass, data, entity.coordinator)
    await entity.async_update_alarm(**changes)
