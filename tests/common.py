"""Helpers for tests that run Home Assistant against the emulator."""

import asyncio
from collections.abc import Callable
from typing import Any

from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.helpers import device_registry as dr

from custom_components.sonos_upnp.const import DOMAIN


async def wait_for(
    hass: HomeAssistant,
    condition: Callable[[], bool],
    timeout: float = 5.0,
    describe: Callable[[], object] | None = None,
) -> None:
    """Let Home Assistant and the emulator work until condition() holds.

    Events cross real sockets, so there is nothing to await directly; the
    condition is checked after every pass of the loop, up to timeout seconds.
    On failure the assertion shows describe(), the state the test waited on.
    """
    try:
        async with asyncio.timeout(timeout):
            while True:
                await hass.async_block_till_done()
                if condition():
                    return
                await asyncio.sleep(0.01)
    except TimeoutError:
        detail = describe() if describe is not None else ""
        raise AssertionError(f"condition not met in {timeout} s: {detail}") from None


async def run_action(
    hass: HomeAssistant, action: str, data: dict[str, Any]
) -> ServiceResponse:
    """Call one of the integration's actions and return its response."""
    return await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=True
    )


def device_id_of(hass: HomeAssistant, uuid: str) -> str:
    """Return the device registry ID of a player."""
    devices = dr.async_get(hass).async_get_devices(identifiers={(DOMAIN, uuid)})
    assert len(devices) == 1, uuid
    return devices[0].id


def subscription_rows(coordinator: Any) -> list[dict[str, Any]]:
    """Return a household's subscriptions as diagnostics show them."""
    rows: list[dict[str, Any]] = coordinator.events.diagnostics()
    return rows


async def wait_for_subscriptions(
    hass: HomeAssistant, coordinator: Any, *, events_flow: bool = False
) -> None:
    """Wait until every subscription of a household coordinator has settled.

    Settled: subscribed, and its initial event seen or its retry scheduled, or
    (unless events_flow) still awaited. Subscriptions start in background
    tasks, which async_block_till_done does not wait for; a test that moves
    the clock must not cut their requests short. While the emulator delivers
    events, an awaited initial event is one still in flight, so events_flow
    waits for it.
    """

    def settled() -> bool:
        rows = subscription_rows(coordinator)
        return bool(rows) and all(
            row["health"].active
            and (
                row["events_seen"]
                or row["resubscribe_scheduled"]
                or (row["awaiting_initial_event"] and not events_flow)
            )
            for row in rows
        )

    await wait_for(
        hass,
        settled,
        describe=lambda: [
            {
                key: row[key]
                for key in (
                    "player",
                    "service",
                    "events_seen",
                    "awaiting_initial_event",
                    "resubscribe_scheduled",
                )
            }
            | {"active": row["health"].active, "error": row["health"].last_error}
            for row in subscription_rows(coordinator)
        ],
    )
