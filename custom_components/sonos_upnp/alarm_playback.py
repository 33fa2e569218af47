"""Alarms while they play: per-group state, what fires when, snooze and stop.

Every room's AVTransport feed reports AlarmRunning, SnoozeRunning and
RestartPending; a group shows (and fires for) its coordinator's only. A
member's values are kept, so a room that leaves its group knows its own
state at once, but never show while it is a member. When an alarm starts
ringing, GetRunningAlarmProperties on the coordinator names it, and every
room of the group hears of that exact alarm. A coordinator that does not
answer it falls back to inference: the enabled alarm of the group whose
start time is near now. Rooms whose coordinator's AVTransport events do not
arrive keep the older inference from AlarmRunSequence moving.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .errors import user_facing_error
from .upnp.alarm_playback import (
    MAX_SNOOZE,
    AlarmPhase,
    AlarmTransport,
    RunningAlarm,
    get_running_alarm,
    snooze_alarm,
    stop_alarm,
)
from .upnp.exceptions import UpnpClientError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .coordinator import SonosHouseholdCoordinator
    from .upnp.alarms import Alarm

ALARM_STARTED: Final = "alarm_started"
ALARM_SNOOZED: Final = "alarm_snoozed"
ALARM_STOPPED: Final = "alarm_stopped"
ALARM_EVENT_TYPES: Final = (ALARM_STARTED, ALARM_SNOOZED, ALARM_STOPPED)
DEFAULT_SNOOZE: Final = timedelta(minutes=10)
# A speaker starts an alarm at its start time; allow for clocks that differ.
ALARM_START_TOLERANCE: Final = timedelta(minutes=5)

type AlarmEventListener = Callable[[str, dict[str, Any]], None]


class AlarmSource(StrEnum):
    """How we know which alarm plays."""

    # GetRunningAlarmProperties named it.
    SPEAKER = "speaker"
    # The speaker did not say: the enabled alarm starting near now.
    START_TIME = "start_time"


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


@dataclass(slots=True)
class RoomPlayback:
    """The alarm state of one room's AVTransport; its group's if it coordinates."""

    transport: AlarmTransport = field(default_factory=AlarmTransport)
    # The alarm that plays (or last played) and how we know it.
    alarm_id: int | None = None
    logged_start_time: str | None = None
    source: AlarmSource | None = None
    # Bumped on every start, so a late answer does not overwrite a newer one.
    generation: int = 0

    @property
    def phase(self) -> AlarmPhase | None:
        """Return what the room's alarm does; None when unreadable."""
        return self.transport.phase


class AlarmPlayback:
    """What every group's alarm does, and who hears of it."""

    def __init__(
        self, hass: HomeAssistant, coordinator: SonosHouseholdCoordinator
    ) -> None:
        """Start knowing nothing: no AVTransport event has arrived yet."""
        self.hass = hass
        self.coordinator = coordinator
        # By room: every room's own AVTransport state.
        self._by_room: dict[str, RoomPlayback] = {}
        # Members whose transport rings without us having asked which alarm:
        # asked once they coordinate a group.
        self._unnamed: set[str] = set()
        # Rooms whose events as a coordinator have told its state: their
        # next changes are the alarm's.
        self._coordinating: set[str] = set()
        # The rooms last told about each group, so a room that left hears too.
        self._rooms: dict[str, set[str]] = {}
        self._state_listeners: dict[str, list[CALLBACK_TYPE]] = {}
        self._event_listeners: dict[str, list[AlarmEventListener]] = {}
        self._run_sequence: str | None = None

    # What entities read ---------------------------------------------------------

    def group_coordinator_of(self, uuid: str) -> str | None:
        """Return the UUID of the coordinator of the room's group."""
        if (state := self.coordinator.state) is None:
            return None
        group = state.topology.group_of(uuid)
        return group.coordinator_uuid if group else None

    def playback_of(self, uuid: str) -> RoomPlayback | None:
        """Return the alarm state of the room's group; None when unknown."""
        coordinator_uuid = self.group_coordinator_of(uuid)
        if coordinator_uuid is None:
            return None
        playback = self._by_room.get(coordinator_uuid)
        if playback is None or playback.phase is None:
            return None
        return playback

    def diagnostics(self) -> list[dict[str, Any]]:
        """Describe every room's alarm state and whether its group shows it."""
        return [
            {
                "player": uuid,
                "shown_for_group": self.group_coordinator_of(uuid) == uuid,
                "alarm_running": playback.transport.alarm_running,
                "snooze_running": playback.transport.snooze_running,
                "restart_pending": playback.transport.restart_pending,
                "phase": playback.phase,
                "alarm_id": playback.alarm_id,
                "logged_start_time": playback.logged_start_time,
                "source": playback.source,
            }
            for uuid, playback in sorted(self._by_room.items())
        ]

    # Listeners ----------------------------------------------------------------

    @callback
    def async_add_state_listener(
        self, uuid: str, listener: CALLBACK_TYPE
    ) -> CALLBACK_TYPE:
        """Call listener whenever the alarm state of the room's group changes."""
        listeners = self._state_listeners.setdefault(uuid, [])
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    @callback
    def async_add_event_listener(
        self, uuid: str, listener: AlarmEventListener
    ) -> CALLBACK_TYPE:
        """Call listener(event_type, data) when the room's alarm starts or ends."""
        listeners = self._event_listeners.setdefault(uuid, [])
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    def _group_rooms(self, coordinator_uuid: str) -> set[str]:
        if (state := self.coordinator.state) is None:
            return set()
        group = state.topology.group_of(coordinator_uuid)
        if group is None or group.coordinator_uuid != coordinator_uuid:
            return set()
        return {player.uuid for player in group.members}

    def _notify_state(self, coordinator_uuid: str) -> None:
        """Tell the rooms of the group, and those that just left it."""
        rooms = self._group_rooms(coordinator_uuid)
        told = self._rooms.pop(coordinator_uuid, set()) | rooms
        if coordinator_uuid in self._by_room:
            self._rooms[coordinator_uuid] = rooms
        for uuid in sorted(told):
            for listener in list(self._state_listeners.get(uuid, ())):
                listener()

    def _fire(
        self, rooms: Iterable[str], event_type: str, data: dict[str, Any]
    ) -> None:
        for uuid in sorted(rooms):
            for listener in list(self._event_listeners.get(uuid, ())):
                listener(event_type, dict(data))

    # What the feeds report ----------------------------------------------------

    @callback
    def async_transport_event(self, uuid: str, last_change: Mapping[str, str]) -> None:
        """Take the alarm variables of a room's AVTransport event.

        Only a coordinator's change fires events and names the alarm; a
        member's is kept for when it coordinates a group of its own.
        """
        playback = self._by_room.setdefault(uuid, RoomPlayback())
        before = playback.phase
        playback.transport = playback.transport.updated(last_change)
        after = playback.phase
        if self.group_coordinator_of(uuid) != uuid:
            # Nobody shows it. Once the room coordinates, its first event
            # tells the state: a change from regrouping is not an alarm's.
            self._coordinating.discard(uuid)
            if after is AlarmPhase.RINGING:
                self._unnamed.add(uuid)
            else:
                self._unnamed.discard(uuid)
            return
        known = uuid in self._coordinating
        self._coordinating.add(uuid)
        if known and before == after:
            return
        # The first event of a feed tells the state, not a change.
        if known and after is AlarmPhase.RINGING:
            self._async_identify(uuid, playback, previous=before)
        elif known and after is AlarmPhase.SNOOZED:
            self._fire(self._group_rooms(uuid), ALARM_SNOOZED, self._data(playback))
        elif (
            known
            and after is AlarmPhase.IDLE
            and before
            in {
                AlarmPhase.RINGING,
                AlarmPhase.SNOOZED,
            }
        ):
            self._fire(self._group_rooms(uuid), ALARM_STOPPED, self._data(playback))
        elif not known and after is AlarmPhase.RINGING:
            # Subscribed while an alarm plays: name it, without an event.
            self._async_identify(uuid, playback, previous=None, fire=False)
        self._notify_state(uuid)

    @callback
    def async_forget(self, uuid: str) -> None:
        """Forget a room's state: its feed is gone or failing."""
        self._unnamed.discard(uuid)
        self._coordinating.discard(uuid)
        if self._by_room.pop(uuid, None) is not None:
            self._notify_state(uuid)

    @callback
    def async_groups_changed(self) -> None:
        """Name the alarm of a ringing member that now coordinates its group.

        The group rang before (no event fires); its new coordinator's
        transport did not say which alarm while it was a member.
        """
        if not self._unnamed:
            return
        for uuid in sorted(self._unnamed):
            if self.group_coordinator_of(uuid) == uuid:
                self._unnamed.discard(uuid)
                self._async_identify(
                    uuid, self._by_room[uuid], previous=None, fire=False
                )

    @callback
    def async_run_sequence(self, value: str) -> None:
        """Infer which alarm started from AlarmRunSequence moving.

        Only for rooms whose group's AVTransport state is unknown: the rest
        hear of the exact alarm when AlarmRunning rises.
        """
        previous, self._run_sequence = self._run_sequence, value
        if (
            not run_sequence_moved(previous, value)
            or (state := self.coordinator.state) is None
        ):
            return
        now = dt_util.as_local(dt_util.utcnow())
        for alarm in alarms_starting_at(
            state.alarms.alarms, now, ALARM_START_TOLERANCE
        ):
            if self.playback_of(alarm.room_uuid) is None:
                self._fire(
                    [alarm.room_uuid],
                    ALARM_STARTED,
                    self._alarm_data(
                        alarm, alarm.alarm_id, None, AlarmSource.START_TIME
                    )
                    | {"after_snooze": False},
                )

    # Naming the alarm that plays ---------------------------------------------

    def _async_identify(
        self,
        coordinator_uuid: str,
        playback: RoomPlayback,
        *,
        previous: AlarmPhase | None,
        fire: bool = True,
    ) -> None:
        self._unnamed.discard(coordinator_uuid)
        playback.generation += 1
        generation = playback.generation
        rooms = self._group_rooms(coordinator_uuid)
        # An entry task: unloading cancels a question still in flight.
        self.coordinator.config_entry.async_create_background_task(
            self.hass,
            self._async_name_alarm(
                coordinator_uuid,
                generation,
                rooms,
                fire=fire,
                after_snooze=previous is AlarmPhase.SNOOZED,
            ),
            f"{DOMAIN} running alarm of {coordinator_uuid}",
        )

    async def _async_name_alarm(
        self,
        coordinator_uuid: str,
        generation: int,
        rooms: set[str],
        *,
        fire: bool,
        after_snooze: bool,
    ) -> None:
        """Ask the coordinator which alarm plays; infer it if it does not say."""
        running: RunningAlarm | None = None
        if (address := self.coordinator.address_of(coordinator_uuid)) is not None:
            try:
                running = await get_running_alarm(self.coordinator.client, *address)
            except UpnpClientError as err:
                LOGGER.debug(
                    "%s does not name its running alarm (%s); inferring it",
                    coordinator_uuid,
                    err,
                )
        playback = self._by_room.get(coordinator_uuid)
        if playback is None or playback.generation != generation:
            return
        if running is not None:
            playback.alarm_id = running.alarm_id
            playback.logged_start_time = running.logged_start_time
            playback.source = AlarmSource.SPEAKER
        else:
            inferred = self._infer(rooms)
            playback.alarm_id = inferred.alarm_id if inferred else None
            playback.logged_start_time = None
            playback.source = AlarmSource.START_TIME
        self._notify_state(coordinator_uuid)
        if fire:
            self._fire(
                rooms,
                ALARM_STARTED,
                self._data(playback) | {"after_snooze": after_snooze},
            )

    def _infer(self, rooms: set[str]) -> Alarm | None:
        """Return the enabled alarm of the rooms that starts nearest to now."""
        if (state := self.coordinator.state) is None:
            return None
        now = dt_util.as_local(dt_util.utcnow())
        starting = [
            alarm
            for alarm in alarms_starting_at(
                state.alarms.alarms, now, ALARM_START_TOLERANCE
            )
            if alarm.room_uuid in rooms
        ]
        return starting[0] if starting else None

    def _data(self, playback: RoomPlayback) -> dict[str, Any]:
        alarm = None
        if playback.alarm_id is not None and (state := self.coordinator.state):
            alarm = state.alarms.get(playback.alarm_id)
        return self._alarm_data(
            alarm, playback.alarm_id, playback.logged_start_time, playback.source
        )

    @staticmethod
    def _alarm_data(
        alarm: Alarm | None,
        alarm_id: int | None,
        logged_start_time: str | None,
        source: AlarmSource | None,
    ) -> dict[str, Any]:
        return {
            "alarm_id": alarm_id,
            "start_time": alarm.start_time.isoformat() if alarm else None,
            "program_uri": alarm.program_uri if alarm else None,
            "logged_start_time": logged_start_time,
            "source": str(source) if source else None,
        }

    # Snooze and stop ---------------------------------------------------------------

    def _ringing_coordinator(self, uuid: str) -> tuple[str, int, str]:
        """Return where to send a snooze or stop for the room, or raise."""
        playback = self.playback_of(uuid)
        player = self.coordinator.player(uuid)
        room = player.room_name if player else uuid
        if playback is None or playback.phase is not AlarmPhase.RINGING:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_alarm_playing",
                translation_placeholders={"room": room},
            )
        coordinator_uuid = self.group_coordinator_of(uuid)
        address = (
            self.coordinator.address_of(coordinator_uuid) if coordinator_uuid else None
        )
        if address is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="player_without_address",
                translation_placeholders={"room": room},
            )
        return address[0], address[1], room

    async def async_snooze(self, uuid: str, duration: timedelta) -> None:
        """Snooze the alarm the room's group plays."""
        if not timedelta(seconds=1) <= duration <= MAX_SNOOZE:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="snooze_duration_out_of_range",
                translation_placeholders={
                    "duration": str(duration),
                    "maximum": str(MAX_SNOOZE),
                },
            )
        host, port, _room = self._ringing_coordinator(uuid)
        try:
            await snooze_alarm(self.coordinator.client, host, port, duration)
        except UpnpClientError as err:
            raise user_facing_error(err) from err

    async def async_stop(self, uuid: str) -> None:
        """End the alarm the room's group plays."""
        host, port, _room = self._ringing_coordinator(uuid)
        try:
            await stop_alarm(self.coordinator.client, host, port)
        except UpnpClientError as err:
            raise user_facing_error(err) from err
