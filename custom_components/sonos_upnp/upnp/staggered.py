"""Ask several speakers the same thing, staggered; the first answer wins.

A speaker that is asleep or unplugged may take the whole request timeout to
fail. Starting the next speaker after a short stagger (or at once when one
fails) keeps a dead speaker from holding up the others, while a healthy
first choice still answers alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable


async def first_answer[C, T](
    candidates: Iterable[C],
    attempt: Callable[[C], Awaitable[T]],
    *,
    stagger: float,
    max_parallel: int,
    retry_on: tuple[type[Exception], ...],
) -> T:
    """Return the result of the first attempt(candidate) that succeeds.

    Candidates start in order: the next one after `stagger` seconds without an
    answer, or at once when an attempt fails with one of retry_on; never more
    than max_parallel at a time. The rest are cancelled once one succeeds.
    When every attempt fails, the error of the earliest candidate is raised;
    any other exception is raised at once.
    """
    waiting = list(candidates)
    waiting.reverse()
    order: dict[asyncio.Future[T], int] = {}
    pending: set[asyncio.Future[T]] = set()
    errors: dict[int, Exception] = {}
    try:
        while waiting or pending:
            if waiting and len(pending) < max_parallel:
                task = asyncio.ensure_future(attempt(waiting.pop()))
                order[task] = len(order)
                pending.add(task)
            can_start_more = bool(waiting) and len(pending) < max_parallel
            done, pending = await asyncio.wait(
                pending,
                timeout=stagger if can_start_more else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            for finished in sorted(done, key=order.__getitem__):
                if (error := finished.exception()) is None:
                    return finished.result()
                if not isinstance(error, retry_on):
                    raise error
                errors[order[finished]] = error
    finally:
        await _cancel(pending)
    if not errors:
        raise ValueError("no candidates to ask")
    raise errors[min(errors)]


async def _cancel[T](tasks: set[asyncio.Future[T]]) -> None:
    """Cancel tasks and wait until they are done."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
