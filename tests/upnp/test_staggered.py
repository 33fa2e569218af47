"""Staggered attempts: a dead first choice does not hold up the others."""

import asyncio

import pytest

from custom_components.sonos_upnp.upnp.exceptions import (
    UpnpConnectionError,
    UpnpResponseError,
)
from custom_components.sonos_upnp.upnp.staggered import first_answer


async def test_a_hanging_first_choice_is_overtaken_after_the_stagger() -> None:
    cancelled = asyncio.Event()

    async def attempt(name: str) -> str:
        if name == "hangs":
            try:
                await asyncio.Event().wait()
            finally:
                cancelled.set()
        return name

    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await first_answer(
        ["hangs", "answers"],
        attempt,
        stagger=0.05,
        max_parallel=4,
        retry_on=(UpnpConnectionError,),
    )
    assert result == "answers"
    assert loop.time() - started < 1.0
    assert cancelled.is_set()  # the loser does not linger


async def test_a_failing_choice_starts_the_next_at_once() -> None:
    tried: list[str] = []

    async def attempt(name: str) -> str:
        tried.append(name)
        if name == "refuses":
            raise UpnpConnectionError("refused")
        return name

    result = await first_answer(
        ["refuses", "answers", "never"],
        attempt,
        stagger=60.0,
        max_parallel=1,
        retry_on=(UpnpConnectionError,),
    )
    assert result == "answers"
    assert tried == ["refuses", "answers"]


async def test_when_all_fail_the_first_choices_error_is_raised() -> None:
    async def attempt(name: str) -> str:
        await asyncio.sleep(0.01 if name == "first" else 0)
        raise UpnpConnectionError(name)

    with pytest.raises(UpnpConnectionError, match="first"):
        await first_answer(
            ["first", "second"],
            attempt,
            stagger=0.0,
            max_parallel=2,
            retry_on=(UpnpConnectionError,),
        )


async def test_an_unexpected_error_is_raised_at_once() -> None:
    async def attempt(_name: str) -> str:
        raise UpnpResponseError("garbage")

    with pytest.raises(UpnpResponseError):
        await first_answer(
            ["a", "b"],
            attempt,
            stagger=1.0,
            max_parallel=2,
            retry_on=(UpnpConnectionError,),
        )


async def test_no_candidates_is_a_caller_error() -> None:
    async def attempt(name: str) -> str:
        return name

    with pytest.raises(ValueError, match="no candidates"):
        await first_answer(
            [], attempt, stagger=1.0, max_parallel=1, retry_on=(UpnpConnectionError,)
        )
