"""Alarms while they play: AVTransport's alarm variables, snooze and stop.

AVTransport belongs to a group's coordinator; every member's AVTransport
reports the coordinator's transport, alarm variables included. An alarm that
goes off makes its group ring: `AlarmRunning` 1. `SnoozeAlarm(Duration)`
stops playback and shows `AlarmRunning` 0, `SnoozeRunning` 1 and
`RestartPending` 1 until the duration has passed, then the alarm rings
again. `Stop` (on the coordinator) ends it, and so does the alarm's
configured duration (counted afresh after a snooze). A coordinator that
leaves its group hands the alarm over: the others play on. Times are real
seconds: tests use alarms and snoozes of a second or so.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .alarms import Alarm
    from .player import Player

_CLOCK: Final = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})$")


def clock_seconds(text: str) -> float | None:
    """Return the seconds of `H:MM:SS`; None when empty or unreadable."""
    match = _CLOCK.match(text.strip())
    if match is None:
        return None
    hours, minutes, seconds = (int(part) for part in match.groups())
    return float(hours * 3600 + minutes * 60 + seconds)


@dataclass(slots=True)
class RingingAlarm:
    """The alarm a group's coordinator plays (or has snoozed)."""

    alarm_id: int
    group_id: str
    logged_start_time: str
    duration: float | None
    snoozed: bool = False
    timer: asyncio.TimerHandle | None = None

    def cancel_timer(self) -> None:
        """Cancel the pending end or restart."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class AlarmPlayback:
    """Which coordinators play an alarm, by coordinator UUID."""

    def __init__(self) -> None:
        """Start with no alarm playing."""
        self.ringing: dict[str, RingingAlarm] = {}
        self.running_alarm_error: int | None = None
        """UPnP error GetRunningAlarmProperties answers with (None: it works)."""

    def of(self, player: Player) -> RingingAlarm | None:
        """Return the alarm of the player's group, if one plays or is snoozed."""
        return self.ringing.get(player.group_coordinator.uuid)

    def variables(self, player: Player) -> tuple[str, str, str]:
        """Return AlarmRunning, SnoozeRunning, RestartPending of its group."""
        ringing = self.of(player)
        if ringing is None:
            return ("0", "0", "0")
        if ringing.snoozed:
            return ("0", "1", "1")
        return ("1", "0", "0")

    def start(self, coordinator: Player, alarm: Alarm) -> None:
        """The alarm goes off in the coordinator's group."""
        household = coordinator.household
        previous = self.ringing.pop(coordinator.uuid, None)
        if previous is not None:
            previous.cancel_timer()
        now = datetime.now(UTC) + timedelta(seconds=household.clock.offset)
        local = now + timedelta(minutes=household.clock.utc_offset_minutes)
        ringing = RingingAlarm(
            alarm_id=alarm.id,
            group_id=household.group_id(coordinator),
            logged_start_time=local.strftime("%Y-%m-%d %H:%M:%S"),
            duration=clock_seconds(alarm.duration),
        )
        self.ringing[coordinator.uuid] = ringing
        self._schedule_end(coordinator, ringing)

    def _schedule_end(self, coordinator: Player, ringing: RingingAlarm) -> None:
        if ringing.duration is not None:
            ringing.timer = asyncio.get_running_loop().call_later(
                ringing.duration, self.end, coordinator
            )

    def snooze(self, coordinator: Player, seconds: float) -> None:
        """Stop playing until seconds have passed, then ring again."""
        ringing = self.ringing[coordinator.uuid]
        ringing.cancel_timer()
        ringing.snoozed = True
        coordinator.transport_state = "STOPPED"
        coordinator.household.transport_changed(coordinator)
        ringing.timer = asyncio.get_running_loop().call_later(
            seconds, self._restart, coordinator
        )

    def _restart(self, coordinator: Player) -> None:
        ringing = self.ringing.get(coordinator.uuid)
        if ringing is None:
            return
        ringing.timer = None
        ringing.snoozed = False
        coordinator.transport_state = "PLAYING"
        coordinator.household.transport_changed(coordinator)
        self._schedule_end(coordinator, ringing)

    def hand_over(self, coordinator: Player, successor: Player) -> None:
        """The coordinator leaves its group: the alarm plays on at the successor."""
        ringing = self.ringing.pop(coordinator.uuid, None)
        if ringing is None:
            return
        loop = asyncio.get_running_loop()
        remaining = (
            max(ringing.timer.when() - loop.time(), 0.0) if ringing.timer else None
        )
        ringing.cancel_timer()
        self.ringing[successor.uuid] = ringing
        successor.transport_state = coordinator.transport_state
        coordinator.transport_state = "STOPPED"
        if remaining is not None:
            then = self._restart if ringing.snoozed else self.end
            ringing.timer = loop.call_later(remaining, then, successor)

    def end(self, coordinator: Player) -> None:
        """The alarm is over: stopped, or its duration has passed."""
        ringing = self.ringing.pop(coordinator.uuid, None)
        if ringing is None:
            return
        ringing.cancel_timer()
        coordinator.transport_state = "STOPPED"
        coordinator.household.transport_changed(coordinator)

    def clear(self) -> None:
        """Forget every alarm (household shutdown)."""
        for ringing in self.ringing.values():
            ringing.cancel_timer()
        self.ringing.clear()
