"""The devices of a household's players, and the addresses they answer at.

Every visible player gets a device. A topology Location becomes the player's
address only once the player answered there with its own UDN (the device
description read for that also fills in model and serial). A player the
household no longer lists keeps its device until it has been absent for the
grace period, or until another configured household lists it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.typing import UNDEFINED
from homeassistant.util import dt as dt_util

from .address_book import (
    AddressBook,
    HostPort,
    addresses_from_data,
    addresses_to_data,
)
from .const import CONF_ADDRESSES, CONF_MISSING_SINCE, DOMAIN, LOGGER
from .device_retention import (
    DEVICE_GRACE_PERIOD,
    let_go,
    missing_from_data,
    missing_to_data,
    track_missing,
)
from .upnp.client import base_url
from .upnp.exceptions import UpnpClientError

if TYPE_CHECKING:
    from .coordinator import SonosHouseholdCoordinator
    from .upnp.description import DeviceDescription
    from .upnp.topology import HouseholdTopology, Player

# Kept devices of absent players are reconsidered this often, besides on
# every topology change.
DEVICE_RETENTION_INTERVAL: Final = timedelta(hours=1)


class HouseholdDevices:
    """Keeps the device registry and the checked addresses in line."""

    def __init__(
        self, hass: HomeAssistant, coordinator: SonosHouseholdCoordinator
    ) -> None:
        """Start from what the entry remembers."""
        self.hass = hass
        self.coordinator = coordinator
        entry = coordinator.config_entry
        self.descriptions: dict[str, DeviceDescription] = {}
        self.addresses = AddressBook()
        self.kept: set[str] = set()
        # What each visible player's device was last given, and its ID.
        self._written: dict[str, tuple[tuple[Any, ...], str]] = {}
        self._support_urls: dict[HostPort, str] = {}
        self._members: frozenset[str] = frozenset()
        self._checking: dict[tuple[str, HostPort], asyncio.Task[None]] = {}
        self._missing = missing_from_data(entry.data.get(CONF_MISSING_SINCE))
        self._unsub_retention = async_track_time_interval(
            hass,
            self._async_retention_tick,
            DEVICE_RETENTION_INTERVAL,
            name=f"{DOMAIN} device retention {coordinator.household_id}",
            cancel_on_shutdown=True,
        )

    def remembered(self) -> dict[str, HostPort]:
        """Return the addresses kept with the entry (checked earlier, or by SSDP)."""
        return addresses_from_data(
            self.coordinator.config_entry.data.get(CONF_ADDRESSES)
        )

    def checks_in_flight(self) -> list[asyncio.Task[None]]:
        """Return the address checks still running."""
        return list(self._checking.values())

    @callback
    def async_stop(self) -> None:
        """Stop the retention timer and the checks in flight."""
        self._unsub_retention()
        for task in self.checks_in_flight():
            task.cancel()

    @callback
    def async_sync(
        self,
        topology: HouseholdTopology | None = None,
        changed: frozenset[str] | None = None,
    ) -> None:
        """Give every visible player a device; check addresses; keep the absent.

        A player absent from the topology keeps its device until it has been
        absent for the grace period (see device_retention), or until another
        configured household lists it. changed: only these players changed
        since the last sync (None: look at every player).
        """
        if topology is None:
            if (state := self.coordinator.state) is None:
                return
            topology = state.topology
        registry = dr.async_get(self.hass)
        entry_id = self.coordinator.config_entry.entry_id
        if changed is None:
            players = topology.visible_players
            written: dict[str, tuple[tuple[Any, ...], str]] = {}
        else:
            players = tuple(
                player
                for uuid in changed
                if (player := topology.player(uuid)) is not None
                and player.is_visible_room
            )
            written = (
                {
                    uuid: last
                    for uuid, last in self._written.items()
                    if uuid not in changed
                }
                if changed
                else self._written
            )
        for player in players:
            info = self._device_info(player)
            last = self._written.get(player.uuid)
            if (
                last is not None
                and last[0] == info
                and (device := registry.async_get(last[1])) is not None
                and device.config_entry_id == entry_id
            ):
                written[player.uuid] = last
            else:
                name, model, model_id, serial, hw_version, sw_version, url = info
                device = registry.async_get_or_create(
                    config_entry_id=entry_id,
                    identifiers={(DOMAIN, player.uuid)},
                    manufacturer="Sonos",
                    name=name,
                    model=model,
                    model_id=model_id,
                    serial_number=serial,
                    hw_version=hw_version,
                    sw_version=sw_version,
                    configuration_url=UNDEFINED if url is None else url,
                )
                written[player.uuid] = (info, device.id)
            if self.addresses.address_of(player.uuid) != (player.host, player.port):
                self._async_check_address(player)
        self._written = written
        members = topology.member_uuids
        if changed is not None and members == self._members:
            # Nobody came or went; the retention timer lets go of the absent.
            return
        self._members = members
        self._async_retain_devices(members, dt_util.utcnow())
        for other in self._other_households():
            other.async_release_moved(members)

    def _device_info(self, player: Player) -> tuple[Any, ...]:
        """Return what the player's device shows, from topology and description."""
        description = self.descriptions.get(player.uuid)
        address = self.addresses.address_of(player.uuid)
        return (
            player.room_name,
            description.model_name if description else None,
            description.model_number if description else None,
            description.serial_number if description else None,
            description.hardware_version if description else None,
            player.software_version
            or (description.software_version if description else None),
            self._support_url(address) if address else None,
        )

    def _support_url(self, address: HostPort) -> str:
        """Return the device's support page (checked addresses are few)."""
        if (url := self._support_urls.get(address)) is None:
            url = self._support_urls[address] = f"{base_url(*address)}/support/review"
        return url

    @callback
    def _async_check_address(self, player: Player) -> None:
        """Check a new address the topology gives for a player (once)."""
        if not player.host:
            return
        address = (player.host, player.port)
        if self.addresses.refuse_name(player.uuid, player.host):
            LOGGER.warning(
                "Ignoring the address %s the household gives for %s: "
                "a host name, not an IP address",
                player.host,
                player.room_name,
            )
        elif self.addresses.needs_check(player.uuid, address):
            self._async_check(player.uuid, player.room_name, address)

    @callback
    def _async_check(self, uuid: str, room: str, address: HostPort) -> None:
        """Use address for the player once it answers there with the player's UDN.

        The description read here also gives the device its model and serial.
        """
        key = (uuid, address)
        if key in self._checking:
            return

        async def check() -> None:
            try:
                description = await self.coordinator.client.device_description(*address)
            except UpnpClientError as err:
                LOGGER.debug("No description from %s:%s: %s", *address, err)
                return
            if description.udn != uuid:
                if self.addresses.refuse(uuid, address):
                    LOGGER.warning(
                        "Ignoring the address %s:%s the household gives for %s: "
                        "the device there is %s",
                        *address,
                        room,
                        description.udn,
                    )
                return
            self.descriptions[uuid] = description
            self.addresses.accept(uuid, address)
            if self.remembered().get(uuid) != address:
                self._async_store(
                    CONF_ADDRESSES,
                    addresses_to_data({**self.remembered(), uuid: address}),
                )
            self.async_sync()
            self.coordinator.events.async_sync()

        task = self.coordinator.config_entry.async_create_background_task(
            self.hass, check(), f"{DOMAIN} check {uuid} at {address[0]}:{address[1]}"
        )
        self._checking[key] = task
        task.add_done_callback(lambda _: self._checking.pop(key, None))

    @callback
    def _async_retain_devices(self, present: frozenset[str], now: datetime) -> None:
        """Track absent players; release the devices of those gone for good."""
        registry = dr.async_get(self.hass)
        entry_id = self.coordinator.config_entry.entry_id
        devices = {
            uuid: device
            for device in dr.async_entries_for_config_entry(registry, entry_id)
            for domain, uuid in device.identifiers
            if domain == DOMAIN
        }
        missing = track_missing(self._missing, devices, present, now)
        moved = missing.keys() & self._members_elsewhere()
        if gone := let_go(missing, now, DEVICE_GRACE_PERIOD) | moved:
            for uuid in sorted(gone):
                LOGGER.info(
                    "Removing %s: %s",
                    devices[uuid].name,
                    "now in another household"
                    if uuid in moved
                    else f"absent from the household for {DEVICE_GRACE_PERIOD}",
                )
                registry.async_remove_device(devices[uuid].id)
                del missing[uuid]
            self.addresses.forget(gone)
            remembered = self.remembered()
            self._async_store(
                CONF_ADDRESSES,
                addresses_to_data(
                    {u: a for u, a in remembered.items() if u not in gone}
                ),
            )
        self._missing = missing
        self.kept = set(devices) - gone
        self._async_store(CONF_MISSING_SINCE, missing_to_data(missing))

    def _other_households(self) -> list[HouseholdDevices]:
        """Return the devices of the other loaded households."""
        return [
            entry.runtime_data.coordinator.devices
            for entry in self.hass.config_entries.async_loaded_entries(DOMAIN)
            if entry.entry_id != self.coordinator.config_entry.entry_id
        ]

    def _members_elsewhere(self) -> set[str]:
        """Return the players the other configured households list."""
        return {
            uuid
            for other in self._other_households()
            if (state := other.coordinator.state) is not None
            for uuid in state.topology.member_uuids
        }

    @callback
    def async_release_moved(self, members: frozenset[str]) -> None:
        """Let go of kept players another household now lists."""
        if (
            self._missing.keys() & members
            and (state := self.coordinator.state) is not None
        ):
            self._async_retain_devices(state.topology.member_uuids, dt_util.utcnow())

    @callback
    def _async_retention_tick(self, now: datetime) -> None:
        """Release devices whose grace period ended while nothing changed."""
        if (
            self.coordinator.household_reachable
            and (state := self.coordinator.state) is not None
        ):
            self._async_retain_devices(state.topology.member_uuids, now)

    @callback
    def _async_store(self, key: str, value: Mapping[str, Any]) -> None:
        """Keep value in the entry data; write only when it changed.

        The entry data rather than a Store: a few entries that change
        rarely, removed with the entry, and the config flow's discovery
        updates them the same way.
        """
        entry = self.coordinator.config_entry
        if entry.data.get(key, {}) != value:
            self.hass.config_entries.async_update_entry(
                entry, data={**entry.data, key: value}
            )
