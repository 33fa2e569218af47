"""An alarm while it plays: AVTransport's alarm variables and actions.

AVTransport belongs to a group's coordinator. Its LastChange carries
`AlarmRunning`, `SnoozeRunning` and `RestartPending` for the whole group;
`GetRunningAlarmProperties` names the alarm that plays, `SnoozeAlarm`
silences it for a while and `Stop` ends it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from .alarms import SoapCaller, format_clock

AVTRANSPORT: Final = "AVTransport"
ALARM_VARIABLES: Final = ("AlarmRunning", "SnoozeRunning", "RestartPending")
_TRUE: Final = frozenset({"1", "true", "yes"})
_FALSE: Final = frozenset({"0", "false", "no"})
# SnoozeAlarm takes hh:mm:ss; Sonos apps offer up to a few hours.
MAX_SNOOZE: Final = dt.timedelta(hours=23, minutes=59, seconds=59)


class AlarmPhase(StrEnum):
    """What a group's alarm does, as its alarm variables tell."""

    IDLE = "idle"
    RINGING = "ringing"
    SNOOZED = "snoozed"


def _flag(text: str | None) -> bool | None:
    """Return a boolean variable's value; None when absent or unreadable."""
    if text is None:
        return None
    folded = text.strip().lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    return None


@dataclass(frozen=True, slots=True)
class AlarmTransport:
    """The alarm variables of a group's AVTransport, verbatim.

    A value we cannot read stays as the speaker sent it; the flags that
    depend on it are None.
    """

    alarm_running: str | None = None
    snooze_running: str | None = None
    restart_pending: str | None = None
    # Read once: every entity of the group asks on every state write.
    _phase: AlarmPhase | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Read the phase from the variables."""
        object.__setattr__(self, "_phase", self._read_phase())

    def updated(self, last_change: Mapping[str, str]) -> AlarmTransport:
        """Return the variables after a LastChange (absent ones stay)."""
        return AlarmTransport(
            last_change.get("AlarmRunning", self.alarm_running),
            last_change.get("SnoozeRunning", self.snooze_running),
            last_change.get("RestartPending", self.restart_pending),
        )

    @property
    def phase(self) -> AlarmPhase | None:
        """Return what the alarm does; None when AlarmRunning is unreadable.

        A snooze counts whether the speaker keeps AlarmRunning set during it
        or clears it until the restart.
        """
        return self._phase

    def _read_phase(self) -> AlarmPhase | None:
        snoozed = _flag(self.snooze_running)
        if snoozed:
            return AlarmPhase.SNOOZED
        running = _flag(self.alarm_running)
        if running is None:
            return None
        return AlarmPhase.RINGING if running else AlarmPhase.IDLE

    @property
    def restart_pending_flag(self) -> bool | None:
        """Return whether a snoozed alarm waits to play again."""
        return _flag(self.restart_pending)


@dataclass(frozen=True, slots=True)
class RunningAlarm:
    """What GetRunningAlarmProperties answers, verbatim where it is text."""

    alarm_id: int
    group_id: str
    logged_start_time: str


async def get_running_alarm(
    client: SoapCaller, host: str, port: int
) -> RunningAlarm | None:
    """Return the alarm the group of the speaker plays; None if it plays none.

    Sonos answers AlarmID 0 when no alarm plays (IDs start at 1).
    """
    result = await client.call(host, port, AVTRANSPORT, "GetRunningAlarmProperties")
    alarm_id = int(result["AlarmID"])
    if alarm_id == 0:
        return None
    return RunningAlarm(
        alarm_id=alarm_id,
        group_id=str(result["GroupID"]),
        logged_start_time=str(result["LoggedStartTime"]),
    )


async def snooze_alarm(
    client: SoapCaller, host: str, port: int, duration: dt.timedelta
) -> None:
    """Snooze the alarm the speaker's group plays for duration."""
    await client.call(
        host, port, AVTRANSPORT, "SnoozeAlarm", {"Duration": format_clock(duration)}
    )


async def stop_alarm(client: SoapCaller, host: str, port: int) -> None:
    """End the alarm the speaker's group plays: stopping playback ends it."""
    await client.call(host, port, AVTRANSPORT, "Stop")
