"""Local Sonos control over raw UPnP/SOAP."""

from __future__ import annotations

from homeassistant.const import (
    CONF_HOST,
    EVENT_HOMEASSISTANT_STOP,
    Platform,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.device_registry import DeviceEntry
from homeassistant.helpers.typing import ConfigType

from .const import CONF_ADVERTISE_PORT, DOMAIN
from .coordinator import (
    SonosHouseholdCoordinator,
    SonosUpnpConfigEntry,
    SonosUpnpRuntimeData,
)
from .reachability import HouseholdReachability
from .services import async_setup_services
from .upnp.client import SonosUpnpClient
from .upnp.exceptions import UpnpConnectionError
from .upnp.listener import EventListener
from .upnp.netutil import async_local_address_for

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CALENDAR,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.TIME,
]

__all__ = ["SonosUpnpConfigEntry"]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Register the integration's actions."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SonosUpnpConfigEntry) -> bool:
    """Listen for events, read the household, subscribe, add entities."""
    client = SonosUpnpClient(async_get_clientsession(hass))
    # Listen only on the interface that faces the household.
    try:
        local_address = await async_local_address_for(entry.data[CONF_HOST])
    except UpnpConnectionError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="no_route_to_speaker",
            translation_placeholders={"error": str(err)},
        ) from err
    listener = EventListener(
        host=local_address, port=entry.options.get(CONF_ADVERTISE_PORT, 0)
    )
    try:
        await listener.start()
    except UpnpConnectionError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="listener_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    coordinator = SonosHouseholdCoordinator(hass, entry, client, listener)
    try:
        await coordinator.async_config_entry_first_refresh()
    except BaseException:
        await coordinator.async_shutdown()
        await listener.stop()
        raise
    entry.runtime_data = SonosUpnpRuntimeData(client, listener, coordinator)

    async def stop(_event: Event | None = None) -> None:
        coordinator.reachability.async_clear()
        await coordinator.async_shutdown()
        await listener.stop()

    entry.async_on_unload(stop)
    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stop))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SonosUpnpConfigEntry) -> bool:
    """Remove the entities; the unload callbacks stop events and the listener."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: SonosUpnpConfigEntry) -> None:
    """Drop the unreachable issue of an entry removed while retrying setup."""
    HouseholdReachability(hass, entry.entry_id, entry.title).async_clear()


async def async_remove_config_entry_device(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SonosUpnpConfigEntry,
    device: DeviceEntry,
) -> bool:
    """Let the user delete a device, unless it is a player of the household.

    A current player (visible or asleep) would come straight back.
    """
    coordinator = entry.runtime_data.coordinator
    return not any(
        domain == DOMAIN and coordinator.is_member(uuid)
        for domain, uuid in device.identifiers
    )
