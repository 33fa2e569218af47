"""Tell the user, once, about alarms of the household that no switch can show."""

from __future__ import annotations

from .const import LOGGER
from .upnp.alarms import AlarmList

type _Problem = tuple[str, str]


class AlarmListProblems:
    """Logs each unreadable alarm and each duplicate alarm ID once.

    The alarm list is read again after every change, so the same problem
    comes back many times; it is logged when it first appears, and again
    only if it went away and returned. Diagnostics list them all.
    """

    def __init__(self, household: str) -> None:
        """Start with nothing reported for the household (its name for logs)."""
        self._household = household
        self._reported: frozenset[_Problem] = frozenset()

    def report(self, alarms: AlarmList) -> None:
        """Log what alarms holds that was not in the list reported before."""
        current: set[_Problem] = set()
        for unreadable in alarms.unreadable:
            problem = ("unreadable", repr(sorted(unreadable.attributes.items())))
            current.add(problem)
            if problem not in self._reported:
                LOGGER.warning(
                    "An alarm of %s cannot be read (%s) and is left out; "
                    "its attributes: %s",
                    self._household,
                    unreadable.reason,
                    dict(unreadable.attributes),
                )
        for alarm_id in alarms.duplicate_ids:
            problem = ("duplicate", str(alarm_id))
            current.add(problem)
            if problem not in self._reported:
                LOGGER.warning(
                    "Several alarms of %s have the ID %s; only the first is "
                    "shown (diagnostics list the others)",
                    self._household,
                    alarm_id,
                )
        self._reported = frozenset(current)
