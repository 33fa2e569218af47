"""Fixtures of the emulator's own tests."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest_asyncio

from .notify_sink import NotifySink


@pytest_asyncio.fixture
async def notify_sink(socket_enabled: None) -> AsyncGenerator[NotifySink]:
    sink = NotifySink()
    await sink.start()
    try:
        yield sink
    finally:
        await sink.stop()
