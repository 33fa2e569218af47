"""Helpers for tests that run Home Assistant against the emulator."""

import asyncio
from collections.abc import Callable

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.sonos_upnp.const import DOMAIN


async def wait_for(
    hass: HomeAssistant, condition: Callable[[], bool], timeout: float = 5.0
) -> None:
    """Let Home Assistant and the emulator work until condition() holds.

    Events cross real sockets, so there is nothing to await directly; the
    condition is checked after every pass of the loop, up to timeout seconds.
    """
    async with asyncio.timeout(timeout):
        while True:
            await hass.async_block_till_done()
            if condition():
                return
            await asyncio.sleep(0.01)


def device_id_of(hass: HomeAssistant, uuid: str) -> str:
    """Return the device registry ID of a player."""
    devices = dr.async_get(hass).async_get_devices(identifiers={(DOMAIN, uuid)})
    assert len(devices) == 1, uuid
    return devices[0].id
