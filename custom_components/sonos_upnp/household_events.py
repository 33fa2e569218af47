"""Which players of a household we subscribe to, and what happens to events.

ZoneGroupTopology is subscribed on every visible player: each reports its own
AlarmRunSequence and whether it answers, and any of them carries the whole
topology. AlarmClock is household-wide, so a few players suffice.
AVTransport is subscribed on every visible player too, for the alarm
variables of its LastChange: a group shows its coordinator's, and a room that
leaves a group already knows its own, so a group change moves no
subscription.

A subscription whose initial event (SEQ 0) does not arrive within
INITIAL_EVENT_TIMEOUT means the speaker cannot reach our callback URL: the
coordinator polls, a repair issue says what to change, and the subscription is
retried with backoff until events flow, which ends both. A subscription that
fails (SUBSCRIBE or renewal refused, unreachable or nonsensical answers) is
retried with backoff too, and the coordinator polls until it works again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_call_later

from .const import (
    CONF_ADVERTISE_HOST,
    CONF_ADVERTISE_PORT,
    DOMAIN,
    HOUSEHOLD_EVENT_SOURCES,
    INITIAL_EVENT_TIMEOUT,
    LOGGER,
)
from .upnp.exceptions import UpnpClientError
from .upnp.subscriptions import Subscription

if TYPE_CHECKING:
    from .coordinator import SonosHouseholdCoordinator
    from .upnp.events import UpnpEvent
    from .upnp.topology import Player

TOPOLOGY = "ZoneGroupTopology"
ALARM_CLOCK = "AlarmClock"
AVTRANSPORT = "AVTransport"
# Subscribed on every visible player at a checked address.
PER_PLAYER = (TOPOLOGY, AVTRANSPORT)
# Backoff between resubscriptions while a speaker's events do not arrive.
RETRY_DELAYS = (30.0, 60.0, 120.0, 300.0)
# Backoff between attempts to subscribe to a player that does not answer.
START_RETRY_DELAYS = (1.0, 5.0, 15.0, 60.0)
# Renewals double as the liveness check of a player: a shorter timeout than
# the usual 30 minutes notices a silent player within five.
SUBSCRIPTION_TIMEOUT = 600


def events_issue_id(entry_id: str, uuid: str) -> str:
    """Return the ID of a player's events-unreachable repair issue.

    Repair issues are part of diagnostics downloads, and a player's UUID
    carries its MAC address: the ID holds a digest of it instead.
    """
    digest = hashlib.sha256(uuid.encode()).hexdigest()[:12]
    return f"events_unreachable_{entry_id}_{digest}"


@dataclass(slots=True)
class _Feed:
    """One subscription and what we know of its events."""

    uuid: str
    service: str
    boot_seq: int | None
    address: tuple[str, int]
    subscription: Subscription
    events_seen: bool = False
    # The last SUBSCRIBE or renewal failed; no success since.
    failing: bool = False
    missing_since_retry: int = 0
    cancel_watchdog: CALLBACK_TYPE | None = None
    cancel_retry: CALLBACK_TYPE | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


class HouseholdEvents:
    """Keeps the household's subscriptions in line with its topology."""

    def __init__(
        self, hass: HomeAssistant, coordinator: SonosHouseholdCoordinator
    ) -> None:
        """Start with no subscriptions."""
        self.hass = hass
        self.coordinator = coordinator
        self._feeds: dict[tuple[str, str], _Feed] = {}
        self._stopped = False
        self._stopping = asyncio.Event()
        self._sync_requested: asyncio.Handle | None = None
        self._dropped: list[_Feed] = []

    # Desired state ---------------------------------------------------------------

    def _wanted(self) -> dict[tuple[str, str], Player]:
        """Return the feeds we want, each with its player at a checked address.

        A player whose address has not answered with its UDN is not
        subscribed: a topology Location alone is never trusted.
        """
        data = self.coordinator.state
        if data is None:
            return {}
        players = sorted(
            (
                p
                if (p.host, p.port) == address
                else replace(p, host=address[0], port=address[1])
                for p in data.topology.visible_players
                if (address := self.coordinator.address_of(p.uuid)) is not None
            ),
            key=attrgetter("uuid"),
        )
        wanted = {(p.uuid, service): p for p in players for service in PER_PLAYER}
        answering = [p for p in players if data.is_available(p.uuid)] or players
        # Keep the current AlarmClock sources while they answer; top up from
        # the rest, so a new player does not move the subscriptions around.
        current = [p for p in answering if (p.uuid, ALARM_CLOCK) in self._feeds]
        others = [p for p in answering if (p.uuid, ALARM_CLOCK) not in self._feeds]
        for player in [*current, *others][:HOUSEHOLD_EVENT_SOURCES]:
            wanted[player.uuid, ALARM_CLOCK] = player
        return wanted

    @callback
    def async_request_sync(self) -> None:
        """Sync once the event that asks for it has written its states.

        Topology events call this: their entities come first, and several
        events of one loop iteration share one sync.
        """
        if self._sync_requested is None and not self._stopped:
            self._sync_requested = self.hass.loop.call_soon(self._run_requested_sync)

    @callback
    def _run_requested_sync(self) -> None:
        self._sync_requested = None
        self.async_sync()

    def _cancel_requested_sync(self) -> None:
        if self._sync_requested is not None:
            self._sync_requested.cancel()
            self._sync_requested = None

    @callback
    def async_sync(self) -> None:
        """Subscribe new players, drop gone ones, resubscribe rebooted ones."""
        self._cancel_requested_sync()
        if self._stopped:
            return
        wanted = self._wanted()
        replaced: dict[tuple[str, str], tuple[str, ...]] = {}
        for key, feed in list(self._feeds.items()):
            player = wanted.get(key)
            if player is None or self._is_stale(feed, player):
                if player is not None:
                    replaced[key] = self._sids_of(feed)
                self._drop(key)
        for key, player in wanted.items():
            if key not in self._feeds:
                self._add(player, key[1], replaced.get(key, ()))

    @staticmethod
    def _is_stale(feed: _Feed, player: Player) -> bool:
        """Return whether the player rebooted (it forgot us) or moved."""
        rebooted = (
            player.boot_seq is not None
            and feed.boot_seq is not None
            and player.boot_seq > feed.boot_seq
        )
        return rebooted or (player.host, player.port) != feed.address

    @staticmethod
    def _sids_of(feed: _Feed) -> tuple[str, ...]:
        """Return the SIDs a feed holds or could not UNSUBSCRIBE yet."""
        subscription = feed.subscription
        current = (subscription.sid,) if subscription.sid else ()
        return (*subscription.stale_sids, *current)

    # One feed ------------------------------------------------------------------

    def _add(
        self, player: Player, service: str, stale_sids: tuple[str, ...] = ()
    ) -> None:
        """Subscribe to a player's service; UNSUBSCRIBE the SIDs it replaces.

        A player that moved still sends to the SIDs it had at its old address.
        """
        options = self.coordinator.config_entry.options
        key = (player.uuid, service)
        subscription = Subscription(
            async_get_clientsession(self.hass),
            self.coordinator.listener,
            player.host,
            player.port,
            service,
            lambda event: self._on_event(key, event),
            on_resync=lambda: self._on_resync(key),
            on_failure=lambda error: self._on_failure(key, error),
            requested_timeout=SUBSCRIPTION_TIMEOUT,
            stale_sids=stale_sids,
            advertise_host=options.get(CONF_ADVERTISE_HOST),
            advertise_port=options.get(CONF_ADVERTISE_PORT),
        )
        feed = _Feed(
            player.uuid,
            service,
            player.boot_seq,
            (player.host, player.port),
            subscription,
        )
        self._feeds[key] = feed
        self._start(feed)

    def _start(self, feed: _Feed) -> None:
        # Not an entry background task: unloading cancels those, and a
        # SUBSCRIBE cut off in flight leaves a subscription on the speaker
        # that we could never unsubscribe. async_stop waits for these instead.
        # Not started eagerly: a topology event calls this, and the other
        # NOTIFYs already read should not wait for a SUBSCRIBE to be built.
        task = self.hass.async_create_background_task(
            self._async_start(feed),
            f"{DOMAIN} subscribe {feed.service} {feed.uuid}",
            eager_start=False,
        )
        feed.tasks.add(task)
        task.add_done_callback(feed.tasks.discard)

    def _is_current(self, feed: _Feed) -> bool:
        return not self._stopped and self._feeds.get((feed.uuid, feed.service)) is feed

    async def _async_start(self, feed: _Feed) -> None:
        """Subscribe, retrying with backoff while the player does not answer."""
        for attempt in itertools.count():
            try:
                await feed.subscription.start()
                break
            except UpnpClientError:
                pass  # the subscription reported it through on_failure
            if not self._is_current(feed):
                return
            delay = START_RETRY_DELAYS[min(attempt, len(START_RETRY_DELAYS) - 1)]
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stopping.wait()
            if not self._is_current(feed):
                return
        if self._is_current(feed) and feed.failing:
            self._subscription_works(feed)
        if self._is_current(feed) and not feed.events_seen:

            @callback
            def no_initial_event(_now: datetime) -> None:
                self._on_no_initial_event(feed)

            feed.cancel_watchdog = async_call_later(
                self.hass, INITIAL_EVENT_TIMEOUT, no_initial_event
            )

    def _drop(self, key: tuple[str, str]) -> None:
        """Unsubscribe a feed; a start still in flight undoes itself."""
        feed = self._feeds.pop(key)
        self._cancel_timers(feed)
        task = self.hass.async_create_background_task(
            feed.subscription.stop(),
            f"{DOMAIN} unsubscribe {feed.service} {feed.uuid}",
            eager_start=False,
        )
        feed.tasks.add(task)
        task.add_done_callback(feed.tasks.discard)
        self._dropped = [*(f for f in self._dropped if f.tasks), feed]
        self._events_arrive(feed)
        if feed.service == AVTRANSPORT:
            self.coordinator.alarm_playback.async_forget(feed.uuid)

    @staticmethod
    def _cancel_timers(feed: _Feed) -> None:
        for cancel in (feed.cancel_watchdog, feed.cancel_retry):
            if cancel is not None:
                cancel()
        feed.cancel_watchdog = feed.cancel_retry = None

    # What the subscriptions report --------------------------------------------

    @callback
    def _on_event(self, key: tuple[str, str], event: UpnpEvent) -> None:
        feed = self._feeds.get(key)
        if feed is None:
            return
        if not feed.events_seen:
            feed.events_seen = True
            self._events_arrive(feed)
        if feed.failing:
            self._subscription_works(feed)
        self.coordinator.async_set_player_available(feed.uuid, available=True)
        variables = event.variables
        if feed.service == TOPOLOGY:
            if xml := variables.get("ZoneGroupState"):
                self.coordinator.async_topology_changed(xml)
            if run_sequence := variables.get("AlarmRunSequence"):
                self.coordinator.async_alarm_run_sequence(run_sequence)
        elif feed.service == AVTRANSPORT:
            if event.last_change is not None:
                self.coordinator.alarm_playback.async_transport_event(
                    feed.uuid, event.last_change
                )
        elif version := variables.get("AlarmListVersion"):
            self.coordinator.async_alarm_list_version(version)

    @callback
    def _on_resync(self, key: tuple[str, str]) -> None:
        """Re-read the state: a new subscription or a lost event may hide changes."""
        if (feed := self._feeds.get(key)) is None:
            return
        if feed.failing:
            self._subscription_works(feed)
        self.coordinator.async_set_player_available(feed.uuid, available=True)
        if feed.service == ALARM_CLOCK:
            self.coordinator.async_alarm_list_version("")
        elif feed.service == TOPOLOGY:
            self.hass.async_create_task(self.coordinator.async_request_refresh())
        # AVTransport: every LastChange carries the whole alarm state.

    @callback
    def _on_failure(self, key: tuple[str, str], error: Exception) -> None:
        if (feed := self._feeds.get(key)) is None:
            return
        LOGGER.debug("Subscription %s of %s failed: %s", feed.service, feed.uuid, error)
        if feed.service == TOPOLOGY:
            self.coordinator.async_set_player_available(feed.uuid, available=False)
        elif feed.service == AVTRANSPORT:
            # Until it works again, the player's alarm state is not known (its
            # group's is, while the player is a member and not the coordinator).
            self.coordinator.alarm_playback.async_forget(feed.uuid)
        # The subscription retries with backoff; poll until it works.
        feed.failing = True
        self._update_polling()

    def _subscription_works(self, feed: _Feed) -> None:
        """End the polling a failed subscription started, unless others need it."""
        feed.failing = False
        self._update_polling()

    def _update_polling(self) -> None:
        """Poll while some feed fails or waits for its events after a retry."""
        self.coordinator.async_set_polling(
            polling=any(
                f.failing or f.missing_since_retry for f in self._feeds.values()
            )
        )

    @callback
    def _on_no_initial_event(self, feed: _Feed) -> None:
        feed.cancel_watchdog = None
        if feed.events_seen or self._feeds.get((feed.uuid, feed.service)) is not feed:
            return
        player = self.coordinator.player(feed.uuid)
        room = player.room_name if player else feed.uuid
        callback_url = feed.subscription.health.callback_url or "?"
        if not self._player_lacks_events(feed.uuid):
            LOGGER.warning(
                "Sonos player %s sends no events to %s; polling every %s until it does",
                room,
                callback_url,
                self.coordinator.poll_interval,
            )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id(feed.uuid),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="events_unreachable",
            translation_placeholders={
                "room": room,
                "callback_url": callback_url,
                "entry_title": self.coordinator.config_entry.title,
            },
        )
        self.coordinator.async_set_polling(polling=True)
        delay = RETRY_DELAYS[min(feed.missing_since_retry, len(RETRY_DELAYS) - 1)]
        feed.missing_since_retry += 1

        @callback
        def retry(_now: datetime) -> None:
            self._retry(feed)

        feed.cancel_retry = async_call_later(self.hass, delay, retry)

    @callback
    def _retry(self, feed: _Feed) -> None:
        """Subscribe afresh: maybe the callback URL is reachable now."""
        feed.cancel_retry = None
        if self._feeds.get((feed.uuid, feed.service)) is not feed or feed.events_seen:
            return

        async def restart() -> None:
            await feed.subscription.stop()
            await self._async_start(feed)

        task = self.hass.async_create_background_task(
            restart(), f"{DOMAIN} resubscribe {feed.service} {feed.uuid}"
        )
        feed.tasks.add(task)
        task.add_done_callback(feed.tasks.discard)

    def _player_lacks_events(self, uuid: str) -> bool:
        """Return whether a feed of the player waits for events after a retry."""
        return any(
            f.uuid == uuid and not f.events_seen and f.missing_since_retry
            for f in self._feeds.values()
        )

    def _events_arrive(self, feed: _Feed) -> None:
        """End the fallback for this player once none of its feeds lacks events."""
        self._cancel_timers(feed)
        lacked = feed.missing_since_retry > 0
        feed.missing_since_retry = 0
        if not self._player_lacks_events(feed.uuid):
            if lacked:
                LOGGER.info("Events from Sonos player %s arrive again", feed.uuid)
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(feed.uuid))
        self._update_polling()

    def _issue_id(self, uuid: str) -> str:
        return events_issue_id(self.coordinator.config_entry.entry_id, uuid)

    # Large households ----------------------------------------------------------

    async def async_first_topology(self, host: str, port: int, wait: float) -> str:
        """Return the ZoneGroupState of a player's first topology event."""
        waiter: asyncio.Future[str] = self.hass.loop.create_future()

        @callback
        def on_event(event: UpnpEvent) -> None:
            if (xml := event.variables.get("ZoneGroupState")) and not waiter.done():
                waiter.set_result(xml)

        subscription = Subscription(
            async_get_clientsession(self.hass),
            self.coordinator.listener,
            host,
            port,
            TOPOLOGY,
            on_event,
        )
        try:
            await subscription.start()
            async with asyncio.timeout(wait):
                return await waiter
        finally:
            await subscription.stop()

    # Teardown and diagnostics ------------------------------------------------------

    async def async_stop(self) -> None:
        """Unsubscribe everything and drop our repair issues."""
        self._stopped = True
        self._stopping.set()
        self._cancel_requested_sync()
        feeds = list(self._feeds.values())
        self._feeds.clear()
        for feed in feeds:
            self._cancel_timers(feed)
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id(feed.uuid))
        await asyncio.gather(
            *(feed.subscription.stop() for feed in feeds), return_exceptions=True
        )
        # A SUBSCRIBE still in flight unsubscribes when its answer comes (the
        # request's own timeout bounds the wait); backoff waits end at once.
        tasks = [task for feed in (*feeds, *self._dropped) for task in feed.tasks]
        if tasks:
            await asyncio.wait(tasks)
        self._dropped.clear()

    def diagnostics(self) -> list[dict[str, Any]]:
        """Describe every subscription for diagnostics."""
        rows = []
        for feed in self._feeds.values():
            health = feed.subscription.health
            rows.append(
                {
                    "player": feed.uuid,
                    "service": feed.service,
                    "events_seen": feed.events_seen,
                    "awaiting_initial_event": feed.cancel_watchdog is not None,
                    "resubscribe_scheduled": feed.cancel_retry is not None,
                    "missing_events_retries": feed.missing_since_retry,
                    "failing": feed.failing,
                    "health": health,
                }
            )
        return rows
