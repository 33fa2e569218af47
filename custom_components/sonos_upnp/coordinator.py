"""The household coordinator: topology and alarms, fed by UPnP events."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, cast

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .address_book import HostPort, OtherHouseholdError
from .alarm_playback import AlarmPlayback
from .alarm_problems import AlarmListProblems
from .const import (
    CONF_POLL_INTERVAL,
    CONF_UDN,
    DEFAULT_POLL_INTERVAL,
    DOMAIN,
    LOGGER,
)
from .household_changes import (
    EVERYTHING,
    GROUPING,
    AlarmContext,
    HouseholdChanges,
    PlayerAspect,
    PlayerContext,
    Roster,
    RosterContext,
    alarm_changes,
    subscriptions_affected,
    topology_changes,
)
from .household_devices import HouseholdDevices
from .household_events import HouseholdEvents
from .reachability import HouseholdReachability
from .single_flight import SingleFlight
from .upnp.alarms import AlarmList, list_alarms
from .upnp.client import SonosUpnpClient
from .upnp.description import DeviceDescription
from .upnp.exceptions import UpnpClientError, UpnpConnectionError, UpnpError
from .upnp.listener import EventListener
from .upnp.staggered import first_answer
from .upnp.topology import HouseholdTopology, Player, parse_zone_group_state
from .upnp.topology_reader import ZoneGroupStateReader

# UPnP error a household answers GetZoneGroupState with when it is too large.
ZONE_GROUP_STATE_TOO_LARGE = 501
TOPOLOGY_EVENT_WAIT = 15.0
# Reading the household: the next speaker is asked when the previous one has
# not answered within READ_STAGGER seconds (or failed), so a dead configured
# speaker costs about a second, not the request timeout.
READ_STAGGER = 1.0
MAX_PARALLEL_READS = 4
# How long a read waits for new player addresses to be checked, so that
# subscriptions start with the read; slower checks finish in the background.
ADDRESS_CHECK_WAIT = 2.0

type SonosUpnpConfigEntry = ConfigEntry[SonosUpnpRuntimeData]


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
        # Events repeat the household: only the groups that changed are parsed.
        self.topology_reader = ZoneGroupStateReader()
        self.alarm_playback = AlarmPlayback(hass, self)
        self.devices = HouseholdDevices(hass, self)
        self.reachability = HouseholdReachability(hass, entry.entry_id, entry.title)
        self._polling_for_events = False
        # Every AlarmClock subscription announces each new list version.
        self._alarm_relist = SingleFlight(
            f"{DOMAIN} list alarms {entry.title}",
            self._async_list_alarms,
            self._apply_alarms,
            lambda coro, name: entry.async_create_background_task(hass, coro, name),
        )
        self._changes: HouseholdChanges = EVERYTHING
        self._pending_changes: HouseholdChanges | None = None
        # Listeners of one player each, told only about updates that concern
        # it, and listeners of the roster of players or alarms, told only
        # about updates that may change it.
        self._player_listeners: dict[str, dict[int, CALLBACK_TYPE]] = {}
        self._roster_listeners: dict[Roster, dict[int, CALLBACK_TYPE]] = {}
        # Listeners of one alarm each, told only about updates that concern
        # it (or, any_alarm, about every alarm change).
        self._alarm_listeners: dict[AlarmContext, dict[int, CALLBACK_TYPE]] = {}
        self._listener_ids = itertools.count()

    @property
    def state(self) -> HouseholdState | None:
        """Return the household state, or None before the first refresh."""
        return cast("HouseholdState | None", self.data)

    # Where to ask -------------------------------------------------------------

    def address_of(self, uuid: str) -> HostPort | None:
        """Return where the player answered with its own UDN, if it did."""
        return self.devices.addresses.address_of(uuid)

    def _answering(self) -> list[HostPort]:
        """Return the checked addresses of answering rooms, the configured first."""
        if (state := self.state) is None:
            return []
        udn = self.config_entry.data.get(CONF_UDN)
        players = sorted(
            state.topology.visible_players, key=lambda player: player.uuid != udn
        )
        return [
            address
            for player in players
            if state.is_available(player.uuid)
            and (address := self.devices.addresses.address_of(player.uuid)) is not None
        ]

    def _read_addresses(self) -> list[HostPort]:
        """Return every address the household may answer at, best first.

        The configured speaker first (where it was last seen, then where it
        was set up), then the rooms that answer, then every remembered room.
        """
        data = self.config_entry.data
        remembered = self.devices.remembered()
        udn = data.get(CONF_UDN)
        candidates: list[HostPort | None] = [
            self.devices.addresses.address_of(udn) if udn else None,
            remembered.get(udn) if udn else None,
            (data[CONF_HOST], data[CONF_PORT]),
            *self._answering(),
            *remembered.values(),
        ]
        return list(dict.fromkeys(a for a in candidates if a is not None))

    def _write_addresses(self) -> list[HostPort]:
        """Return where to send a change: answering rooms, then the rest.

        A change is sent to one speaker at a time, never raced: two speakers
        must not both create the same alarm.
        """
        data = self.config_entry.data
        return list(
            dict.fromkeys(
                [
                    *self._answering(),
                    (data[CONF_HOST], data[CONF_PORT]),
                    *self._read_addresses(),
                ]
            )
        )

    async def async_on_any_speaker[T](
        self, operation: Callable[[str, int], Awaitable[T]]
    ) -> T:
        """Run operation(host, port) on the first speaker that answers."""
        last_error: UpnpConnectionError | None = None
        for host, port in self._write_addresses():
            try:
                return await operation(host, port)
            except UpnpConnectionError as err:
                last_error = err
        assert last_error is not None
        raise last_error

    async def async_refresh_alarms(self) -> None:
        """Re-list the alarms now (after a change we made ourselves)."""
        await self._alarm_relist.request(None)

    # Polled path ------------------------------------------------------------------

    async def _async_update_data(self) -> HouseholdState:
        addresses = self._read_addresses()
        try:
            address, topology, xml, alarms = await first_answer(
                addresses,
                self._async_read,
                stagger=READ_STAGGER,
                max_parallel=MAX_PARALLEL_READS,
                retry_on=(UpnpClientError,),
            )
        except UpnpConnectionError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="household_unreachable",
                translation_placeholders={"error": str(err)},
            ) from err
        except UpnpClientError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self._zone_group_state_xml = xml
        self.alarm_problems.report(alarms)
        # Devices first: the platforms add entities for new players.
        self.devices.async_sync(topology)
        if checks := self.devices.checks_in_flight():
            await asyncio.wait(checks, timeout=ADDRESS_CHECK_WAIT)
            self.devices.async_sync(topology)
        # The speaker that answered is evidently available.
        unavailable = None
        if (state := self.state) is not None:
            unavailable = (state.unavailable & frozenset(topology.players)) - {
                self.devices.addresses.uuid_at(address)
            }
        return self._state(topology=topology, alarms=alarms, unavailable=unavailable)

    async def _async_read(
        self, address: HostPort
    ) -> tuple[HostPort, HouseholdTopology, str, AlarmList]:
        """Read topology and alarms from one speaker, if it is ours."""
        host, port = address
        household_id = await self.client.household_id(host, port)
        if household_id != self.household_id:
            raise OtherHouseholdError(
                f"the speaker at {host}:{port} belongs to another household"
            )
        xml = await self._async_fetch_topology(host, port)
        topology = parse_zone_group_state(xml)
        alarms = await list_alarms(self.client, host, port)
        return address, topology, xml, alarms

    async def _async_fetch_topology(self, host: str, port: int) -> str:
        try:
            result = await self.client.call(
                host, port, "ZoneGroupTopology", "GetZoneGroupState"
            )
        except UpnpError as err:
            if err.code != ZONE_GROUP_STATE_TOO_LARGE:
                raise
            if self._zone_group_state_xml is not None:
                return self._zone_group_state_xml
            # Large households refuse the action; their topology event still
            # carries the whole state.
            return await self.events.async_first_topology(
                host, port, TOPOLOGY_EVENT_WAIT
            )
        return str(result["ZoneGroupState"])

    async def _async_list_alarms(self) -> AlarmList | None:
        """List the alarms at the first speaker that answers; None if none did."""
        for host, port in self._write_addresses():
            try:
                return await list_alarms(self.client, host, port)
            except UpnpConnectionError:
                continue
            except UpnpClientError as err:
                LOGGER.warning("Could not list the alarms: %s", err)
                return None
        return None

    @callback
    def _apply_alarms(self, alarms: AlarmList) -> None:
        self.alarm_problems.report(alarms)
        if (state := self.state) is not None and alarms != state.alarms:
            self._async_publish(
                replace(state, alarms=alarms), alarm_changes(state.alarms, alarms)
            )

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
            topology = self.topology_reader.read(xml)
        except UpnpClientError as err:
            LOGGER.debug("Ignoring a ZoneGroupState event: %s", err)
            return
        self._zone_group_state_xml = xml
        unavailable = state.unavailable & frozenset(topology.players)
        changes = topology_changes(
            state.topology, topology, state.unavailable, unavailable
        )
        # Devices first: the platforms add entities for new players on update.
        # A player's device shows nothing of its group.
        self.devices.async_sync(topology, changes.players_beyond(GROUPING))
        self._async_publish(
            self._state(topology=topology, unavailable=unavailable), changes
        )
        if subscriptions_affected(
            state.topology, topology, state.unavailable, unavailable, changes
        ):
            self.events.async_request_sync()

    @callback
    def async_alarm_list_version(self, version: str) -> None:
        """Re-list the alarms at once when the household's list changed.

        One read per version: the announcements of the other subscriptions
        join it, and a version we hold costs nothing. An empty version (a
        subscription started; events may have been missed) always reads.
        """
        if (state := self.state) is None or version != state.alarms.version:
            self._alarm_relist.request(version)

    @callback
    def async_alarm_run_sequence(self, value: str) -> None:
        """Pass AlarmRunSequence on (every player sends the same)."""
        self.alarm_playback.async_run_sequence(value)

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
        self._async_publish(
            self._state(unavailable=unavailable),
            HouseholdChanges(frozenset({uuid}), frozenset()),
        )

    @property
    def household_reachable(self) -> bool:
        """Return whether some speaker of the household answers.

        Unreachable: the last read failed at every address, or every visible
        player's subscription failed since the last read. Judged once per
        update: every entity asks on every state write.
        """
        return bool(self.reachability.reachable)

    def _judge_reachable(self) -> bool:
        return (
            self.last_update_success
            and (state := self.state) is not None
            and any(
                state.is_available(player.uuid)
                for player in state.topology.visible_players
            )
        )

    # What changed ------------------------------------------------------------------

    @callback
    def _async_publish(self, state: HouseholdState, changes: HouseholdChanges) -> None:
        """Set the new state; tell the listeners what it changed."""
        self._pending_changes = changes
        try:
            self.async_set_updated_data(state)
        finally:
            self._pending_changes = None

    @property
    def changes(self) -> HouseholdChanges:
        """Return what the update the listeners are told about changed."""
        return self._changes

    def changed_for_player(
        self, uuid: str, shows: frozenset[PlayerAspect] | None = None
    ) -> bool:
        """Return whether the last update changed what a player's entity shows.

        shows: the aspects the entity shows (None: all of them).
        """
        return self._changes.for_player(uuid, shows)

    @callback
    def async_update_listeners(self) -> None:
        """Judge reachability first: entities and the repair issue follow it.

        Updates from the event path say what they changed; any other update
        (a read, a failure, a reachability change) concerns everything.
        """
        self._changes = (
            EVERYTHING if self._pending_changes is None else self._pending_changes
        )
        # Before the first read only a failure says something (setup retries).
        if (self.state is not None or not self.last_update_success) and (
            reachable := self._judge_reachable()
        ) != self.reachability.reachable:
            self._changes = EVERYTHING
            self.reachability.async_update(
                reachable=reachable, addresses=len(self._read_addresses())
            )
            self._async_apply_polling()
        changes = self._changes
        groups = [
            listeners
            for roster, listeners in self._roster_listeners.items()
            if changes.for_roster(roster)
        ]
        self._call_listeners(groups)
        super().async_update_listeners()
        changed = changes.players
        player_listeners = self._player_listeners
        self._call_listeners(
            list(player_listeners.values())
            if changed is None
            else [
                player_listeners[uuid]
                for uuid in changes.players_in_order()
                if uuid in player_listeners
            ]
        )
        self._call_listeners(self._alarm_listener_groups(changes))
        self.alarm_playback.async_groups_changed()

    def _alarm_listener_groups(
        self, changes: HouseholdChanges
    ) -> list[dict[int, CALLBACK_TYPE]]:
        """Return the listeners of the alarms the update concerns."""
        registry = self._alarm_listeners
        if not registry:
            return []
        state = self.state
        concerned = None if state is None else changes.alarms_concerned(state.alarms)
        if concerned is None:
            return list(registry.values())
        any_alarm_changed = bool(changes.alarms)
        if not concerned and not any_alarm_changed:
            return []
        return [
            listeners
            for context, listeners in registry.items()
            if context.alarm_id in concerned
            or (context.any_alarm and any_alarm_changed)
        ]

    def _call_listeners(self, groups: list[dict[int, CALLBACK_TYPE]]) -> None:
        for listeners in groups:
            for update_callback in list(listeners.values()):
                try:
                    update_callback()
                except Exception:
                    # As Home Assistant does for every listener: one failing
                    # entity must not keep the others from their update.
                    self.logger.exception(
                        "Unexpected error updating a listener of %s", self.name
                    )

    @callback
    def async_add_listener(
        self, update_callback: CALLBACK_TYPE, context: Any = None
    ) -> Callable[[], None]:
        """Listen for updates; some listeners hear only those concerning them.

        A player's listener (PlayerContext) hears the updates that concern its
        player; an alarm's (AlarmContext) those that concern its alarm; a
        roster's (RosterContext) those that may add or remove players or
        alarms.
        """
        if isinstance(context, PlayerContext):
            return self._add_keyed_listener(
                self._player_listeners, context.uuid, update_callback
            )
        if isinstance(context, AlarmContext):
            return self._add_keyed_listener(
                self._alarm_listeners, context, update_callback
            )
        if isinstance(context, RosterContext):
            return self._add_keyed_listener(
                self._roster_listeners, context.roster, update_callback
            )
        return super().async_add_listener(update_callback, context)

    def _add_keyed_listener[K](
        self,
        registry: dict[K, dict[int, CALLBACK_TYPE]],
        key: K,
        update_callback: CALLBACK_TYPE,
    ) -> Callable[[], None]:
        listeners = registry.setdefault(key, {})
        listener_id = next(self._listener_ids)
        listeners[listener_id] = update_callback

        @callback
        def remove() -> None:
            listeners.pop(listener_id, None)
            if not listeners and registry.get(key) is listeners:
                del registry[key]

        return remove

    @callback
    def async_set_polling(self, *, polling: bool) -> None:
        """Poll while some speaker's events do not arrive; stop once they do."""
        self._polling_for_events = polling
        self._async_apply_polling()

    @callback
    def _async_apply_polling(self) -> None:
        """Poll while events are missing or no speaker answers."""
        polling = self._polling_for_events or self.reachability.reachable is False
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

    @property
    def descriptions(self) -> dict[str, DeviceDescription]:
        """Return the device descriptions read so far, by player."""
        return self.devices.descriptions

    def kept_players(self) -> set[str]:
        """Return the players with a device of this household, present or not."""
        return self.devices.kept

    def has_device(self, uuid: str) -> bool:
        """Return whether the player has a device: visible, or kept while absent."""
        player = self.player(uuid)
        return (
            player is not None and player.is_visible_room
        ) or uuid in self.devices.kept

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
        """Stop subscriptions, timers and the alarm re-listing.

        The unreachable issue stays: a setup that failed for it retries.
        """
        await super().async_shutdown()
        self.devices.async_stop()
        self._alarm_relist.cancel()
        await self.events.async_stop()
