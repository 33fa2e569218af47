"""One read per distinct key, started at once; stale results are not applied.

Speakers announce a new alarm list as an `AlarmListVersion` event, and every
AlarmClock subscription announces the same version: the first announcement
of a version starts a read right away, later ones for the same version join
it. A read that finishes after a read started later is dropped, so an older
answer never overwrites a newer one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

type TaskStarter = Callable[[Coroutine[Any, Any, None], str], asyncio.Task[None]]


class SingleFlight[T]:
    """Runs read() once per key in flight and hands the newest result to apply."""

    def __init__(
        self,
        name: str,
        read: Callable[[], Awaitable[T | None]],
        apply: Callable[[T], None],
        start_task: TaskStarter,
    ) -> None:
        """Read with read(); apply(result) unless a later read already applied.

        read() returns None when it could not read (it reports that itself).
        """
        self._name = name
        self._read = read
        self._apply = apply
        self._start_task = start_task
        self._flights: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._started = 0
        self._applied = 0

    def request(self, key: str | None) -> asyncio.Task[None]:
        """Start a read for key, or return the one in flight for it.

        key None always starts a new read: the caller needs an answer given
        after this moment (e.g. after a change it made itself).
        """
        if key is not None and (flight := self._flights.get(key)) is not None:
            return flight
        self._started += 1
        number = self._started
        task = self._start_task(self._run(number), f"{self._name} {number}")
        if not task.done():
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            if key is not None:
                self._flights[key] = task
                task.add_done_callback(lambda _: self._forget(key, task))
        return task

    def in_flight(self) -> int:
        """Return how many keyed reads are running."""
        return len(self._flights)

    def cancel(self) -> None:
        """Cancel the reads in flight."""
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()
        self._flights.clear()

    def _forget(self, key: str, task: asyncio.Task[None]) -> None:
        if self._flights.get(key) is task:
            del self._flights[key]

    async def _run(self, number: int) -> None:
        result = await self._read()
        if result is None or number < self._applied:
            return
        self._applied = number
        self._apply(result)
