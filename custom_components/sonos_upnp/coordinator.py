"""The household coordinator: topology and alarms, fed by UPnP events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import cast

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .alarm_problems import AlarmListProblems
from .const import (
    CONF_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DOMAIN,
    LOGGER,
)
from .household_events import HouseholdEvents
from .upnp.alarms import Alarm, AlarmList, list_alarms
from .upnp.client import SonosUpnpClient, base_url
from .upnp.description import DeviceDescription
from .upnp.exceptions import UpnpClientError, UpnpConnectionError, UpnpError
from .upnp.listener import EventListener
from .upnp.topology import HouseholdTopology, Player, parse_zone_group_state

# Alarm list changes come in bursts (one AlarmListVersion event per subscribed
# player, several edits in a row from the app): list once per burst.
ALARM_RELIST_COOLDOWN = 0.5
# UPnP error a household answers GetZoneGroupState with when it is too large.
ZONE_GROUP_STATE_TOO_LARGE = 501
TOPOLOGY_EVENT_WAIT = 15.0
# A speaker starts an alarm at its start time; allow for clocks that differ.
ALARM_START_TOLERANCE = timedelta(minutes=5)

type SonosUpnpConfigEntry = ConfigEntry[SonosUpnpRuntimeData]
type AlarmStartedListener = Callable[[Alarm], None]


@dataclass(frozen=True, slots=True)
class HouseholdState:
    """What the household looks like right now."""

    household_id: str
    topology: HouseholdTopology
    alarms: AlarmList
    unavailable: frozenset[str] = frozenset()

    def is_available(self, uuid: str) -> bool:
        """Return whether the player answers."""
        return uuid in self.topology.players and uuid not in self.unavailable


@dataclass(slots=True)
class SonosUpnpRuntimeData:
    """What a loaded entry holds."""

    client: SonosUpnpClient
    listener: EventListener
    coordinator: SonosHouseholdCoordinator


def run_sequence_moved(previous: str | None, value: str) -> bool:
    """Return whether AlarmRunSequence moved because an alarm started.

    The value is household-wide, `<uuid>:<bootseq>:<count>`; a reboot of that
    player starts a new boot sequence, which is not an alarm.
    """
    if previous is None or previous == value:
        return False
    old, new = previous.rsplit(":", 2), value.rsplit(":", 2)
    return not (len(old) == len(new) == 3 and old[1] != new[1])  # noqa: PLR2004


def alarms_starting_at(
    alarms: Iterable[Alarm], moment: datetime, tolerance: timedelta
) -> list[Alarm]:
    """Return the enabled alarms whose start time is within tolerance of moment."""
    starting = []
    for alarm in alarms:
        if not alarm.enabled:
            continue
        start = moment.replace(
            hour=alarm.start_time.hour,
            minute=alarm.start_time.minute,
            second=alarm.start_time.second,
            microsecond=0,
        )
        if any(
            abs(moment - start - timedelta(days=shift)) <= tolerance
            for shift in (-1, 0, 1)
        ):
            starting.append(alarm)
    return starting


class SonosHouseholdCoordinator(DataUpdateCoordinator[HouseholdState]):
    """Holds one household's topology and alarms.

    Events keep the data current; `_async_update_data` runs for the first
    refresh and, while some speaker's events do not arrive, as polling.
    """

    config_entry: SonosUpnpConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SonosUpnpConfigEntry,
        client: SonosUpnpClient,
        listener: EventListener,
    ) -> None:
        """Set up an event-fed coordinator (no polling until events fail)."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.unique_id}",
            update_interval=None,
            always_update=False,
        )
        assert entry.unique_id is not None
        self.household_id: str = entry.unique_id
        self.client = client
        self.listener = listener
        self.poll_interval = timedelta(
            seconds=entry.options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL)
        )
        self.events = HouseholdEvents(hass, self)
        self.alarm_problems = AlarmListProblems(entry.title)
        self._zone_group_state_xml: str | None = None
        self._run_sequence: str | None = None
        self._alarm_started_listeners: dict[str, list[AlarmStartedListener]] = {}
        self.descriptions: dict[str, DeviceDescription] = {}
        self._describing: set[str] = set()
        self._alarm_relist = Debouncer(
            hass,
            LOGGER,
            cooldown=ALARM_RELIST_COOLDOWN,
            immediate=True,
            function=self._async_relist_alarms,
            background=True,
        )

    @property
    def state(self) -> HouseholdState | None:
        """Return the household state, or None before the first refresh."""
        return cast("HouseholdState | None", self.data)

    # Where to ask -------------------------------------------------------------

    def _addresses(self) -> list[tuple[str, int]]:
        """Return speakers to ask, the configured one first, then the answering."""
        entry = self.config_entry
        addresses = [(entry.data[CONF_HOST], entry.data[CONF_PORT])]
        if (state := self.state) is not None:
            addresses.extend(
                (player.host, player.port)
                for player in state.topology.visible_players
                if player.host
                and state.is_available(player.uuid)
                and (player.host, player.port) not in addresses
            )
        return addresses

    async def async_on_any_speaker[T](
        self, operation: Callable[[str, int], Awaitable[T]]
    ) -> T:
        """Run operation(host, port) on the first speaker that answers."""
        last_error: UpnpConnectionError | None = None
        for host, port in self._addresses():
            try:
                return await operation(host, port)
            except UpnpConnectionError as err:
                last_error = err
        assert last_error is not None
        raise last_error

    async def async_refresh_alarms(self) -> None:
        """Re-list the alarms now (after a change we made ourselves)."""
        await self._async_relist_alarms()

    # Polled path ------------------------------------------------------------------

    async def _async_update_data(self) -> HouseholdState:
        last_error: UpnpClientError | None = None
        for host, port in self._addresses():
            try:
                topology = await self._async_fetch_topology(host, port)
                alarms = await list_alarms(self.client, host, port)
            except UpnpConnectionError as err:
                last_error = err
                continue
            except UpnpClientError as err:
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key="update_failed",
                    translation_placeholders={"error": str(err)},
                ) from err
            self.alarm_problems.report(alarms)
            # Devices first: the platforms add entities for new players.
            self.async_sync_devices(topology)
            return self._state(topology=topology, alarms=alarms)
        raise UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="household_unreachable",
            translation_placeholders={"error": str(last_error)},
        )

    async def _async_fetch_topology(self, host: str, port: int) -> HouseholdTopology:
        try:
            result = await self.client.call(
                host, port, "ZoneGroupTopology", "GetZoneGroupState"
            )
        except UpnpError as err:
            if err.code != ZONE_GROUP_STATE_TOO_LARGE:
                raise
            if (state := self.state) is not None:
                return state.topology
            # Large households refuse the action; their topology event still
            # carries the whole state.
            xml = await self.events.async_first_topology(
                host, port, TOPOLOGY_EVENT_WAIT
            )
        else:
            xml = str(result["ZoneGroupState"])
        topology = parse_zone_group_state(xml)
        self._zone_group_state_xml = xml
        return topology

    async def _async_relist_alarms(self) -> None:
        for host, port in self._addresses():
            try:
                alarms = await list_alarms(self.client, host, port)
            except UpnpConnectionError:
                continue
            except UpnpClientError as err:
                LOGGER.warning("Could not list the alarms: %s", err)
                return
            self.alarm_problems.report(alarms)
            if (state := self.state) is not None and alarms != state.alarms:
                self.async_set_updated_data(replace(state, alarms=alarms))
            return

    def _state(
        self,
        *,
        topology: HouseholdTopology | None = None,
        alarms: AlarmList | None = None,
        unavailable: frozenset[str] | None = None,
    ) -> HouseholdState:
        if (state := self.state) is None:
            assert topology is not None
            assert alarms is not None
            return HouseholdState(self.household_id, topology, alarms)
        return HouseholdState(
            self.household_id,
            topology or state.topology,
            alarms or state.alarms,
            state.unavailable if unavailable is None else unavailable,
        )

    # Event path -------------------------------------------------------------------

    @callback
    def async_topology_changed(self, xml: str) -> None:
        """Take a ZoneGroupState from an event (many players send the same)."""
        if xml == self._zone_group_state_xml or (state := self.state) is None:
            return
        try:
            topology = parse_zone_group_state(xml)
        except UpnpClientError as err:
            LOGGER.debug("Ignoring a ZoneGroupState event: %s", err)
            return
        self._zone_group_state_xml = xml
        unavailable = state.unavailable & frozenset(topology.players)
        # Devices first: the platforms add entities for new players on update.
        self.async_sync_devices(topology)
        self.async_set_updated_data(
            self._state(topology=topology, unavailable=unavailable)
        )
        self.events.async_sync()

    @callback
    def async_alarm_list_version(self, version: str) -> None:
        """Re-list the alarms when the household's list changed."""
        if (state := self.state) is None or version != state.alarms.version:
            self._alarm_relist.async_schedule_call()

    @callback
    def async_alarm_run_sequence(self, value: str) -> None:
        """Tell the rooms whose alarm starts now (every player sends the same)."""
        previous, self._run_sequence = self._run_sequence, value
        if not run_sequence_moved(previous, value) or (state := self.state) is None:
            return
        now = dt_util.as_local(dt_util.utcnow())
        starting = alarms_starting_at(state.alarms.alarms, now, ALARM_START_TOLERANCE)
        for alarm in starting:
            for listener in self._alarm_started_listeners.get(alarm.room_uuid, []):
                listener(alarm)

    @callback
    def async_add_alarm_started_listener(
        self, uuid: str, listener: AlarmStartedListener
    ) -> CALLBACK_TYPE:
        """Call listener whenever an alarm starts on the player."""
        listeners = self._alarm_started_listeners.setdefault(uuid, [])
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    @callback
    def async_set_player_available(self, uuid: str, *, available: bool) -> None:
        """Record whether a player answers; log the change once each way."""
        if (state := self.state) is None:
            return
        player = state.topology.players.get(uuid)
        name = player.room_name if player else uuid
        if available and uuid in state.unavailable:
            LOGGER.info("Sonos player %s answers again", name)
            unavailable = state.unavailable - {uuid}
        elif not available and uuid not in state.unavailable:
            LOGGER.info("Sonos player %s does not answer", name)
            unavailable = state.unavailable | {uuid}
        else:
            return
        self.async_set_updated_data(self._state(unavailable=unavailable))

    @callback
    def async_set_polling(self, *, polling: bool) -> None:
        """Poll while some speaker's events do not arrive; stop once they do."""
        if polling == (self.update_interval is not None):
            return
        if polling:
            LOGGER.debug("Polling %s every %s", self.name, self.poll_interval)
            self.update_interval = self.poll_interval
            self._schedule_refresh()
        else:
            LOGGER.debug("Events flow again for %s; polling stops", self.name)
            self.update_interval = None
            self._async_unsub_refresh()

    # Devices ------------------------------------------------------------------------

    @callback
    def async_sync_devices(self, topology: HouseholdTopology | None = None) -> None:
        """Give every visible player a device; remove players gone for good.

        Players the household lists as vanished (powered off, asleep) keep
        their devices and alarms; they are unavailable until they return.
        """
        if topology is None:
            if (state := self.state) is None:
                return
            topology = state.topology
        registry = dr.async_get(self.hass)
        entry_id = self.config_entry.entry_id
        for player in topology.visible_players:
            description = self.descriptions.get(player.uuid)
            registry.async_get_or_create(
                config_entry_id=entry_id,
                identifiers={(DOMAIN, player.uuid)},
                manufacturer="Sonos",
                name=player.room_name,
                model=description.model_name if description else None,
                model_id=description.model_number if description else None,
                serial_number=description.serial_number if description else None,
                hw_version=description.hardware_version if description else None,
                sw_version=player.software_version
                or (description.software_version if description else None),
                configuration_url=(
                    f"{base_url(player.host, player.port)}/support/review"
                    if player.host
                    else None
                ),
            )
            if description is None and player.host:
                self._async_describe(player.uuid, player.host, player.port)
        present = topology.member_uuids
        for device in dr.async_entries_for_config_entry(registry, entry_id):
            uuids = {value for domain, value in device.identifiers if domain == DOMAIN}
            if not uuids & present:
                LOGGER.debug("Removing %s: no longer in the household", device.name)
                registry.async_remove_device(device.id)

    @callback
    def _async_describe(self, uuid: str, host: str, port: int) -> None:
        """Read a player's description once, for its device's model and serial."""
        if uuid in self._describing:
            return
        self._describing.add(uuid)

        async def describe() -> None:
            try:
                self.descriptions[uuid] = await self.client.device_description(
                    host, port
                )
            except UpnpClientError as err:
                LOGGER.debug("No description from %s:%s: %s", host, port, err)
            else:
                self.async_sync_devices()
            finally:
                self._describing.discard(uuid)

        self.config_entry.async_create_background_task(
            self.hass, describe(), f"{DOMAIN} describe {uuid}"
        )

    # Lifecycle ----------------------------------------------------------------------

    def is_member(self, uuid: str) -> bool:
        """Return whether the household has the player, awake or vanished."""
        return (state := self.state) is not None and (
            uuid in state.topology.member_uuids
        )

    def player(self, uuid: str) -> Player | None:
        """Return the player with this UUID, if the household has it."""
        return state.topology.players.get(uuid) if (state := self.state) else None

    @callback
    def _async_refresh_finished(self) -> None:
        """Subscribe to the players a read of the household found."""
        if self.last_update_success:
            self.events.async_sync()

    async def async_shutdown(self) -> None:
        """Stop subscriptions, timers and the alarm re-listing."""
        await super().async_shutdown()
        self._alarm_relist.async_shutdown()
        await self.events.async_stop()
