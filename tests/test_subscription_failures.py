"""Subscriptions that fail, through Home Assistant: retry, polling, stale SIDs."""

from datetime import timedelta

from aiohttp import web
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sonos_upnp.upnp.catalog import Service
from custom_components.sonos_upnp.upnp.subscriptions import MAX_TIMEOUT_SECONDS
from tests.common import subscription_rows, wait_for, wait_for_subscriptions
from tests.emulator.gena import Subscription as EmulatedSubscription
from tests.emulator.household import Household
from tests.emulator.player import Player

# Half the integration's 600 s subscriptions: the renewals are due.
RENEWAL_DUE = timedelta(seconds=301)


def rows_of(coordinator: object, player: Player) -> list[dict[str, object]]:
    return [
        row for row in subscription_rows(coordinator) if row["player"] == player.uuid
    ]


def current_sids(coordinator: object, player: Player) -> set[str]:
    return {
        row["health"].sid  # type: ignore[attr-defined]
        for row in rows_of(coordinator, player)
        if row["health"].sid  # type: ignore[attr-defined]
    }


async def step_time(hass: HomeAssistant, seconds: float = 61) -> None:
    """Move Home Assistant's clock on, firing the subscriptions' timers too."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done()


async def test_refused_renewal_polls_until_the_subscription_works_again(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    assert coordinator.update_interval is None
    bedroom = household.players[2]
    real_handle = bedroom.gena.handle

    async def refuse_subscribe(
        request: web.Request, service: Service
    ) -> web.StreamResponse:
        if request.method == "SUBSCRIBE":
            return web.Response(status=500)
        return await real_handle(request, service)

    bedroom.gena.handle = refuse_subscribe  # type: ignore[method-assign]
    await step_time(hass, RENEWAL_DUE.total_seconds())
    await wait_for(
        hass,
        lambda: any(row["failing"] for row in rows_of(coordinator, bedroom)),
    )
    # The speaker answers control requests, just not SUBSCRIBE: poll it.
    assert coordinator.update_interval == coordinator.poll_interval

    bedroom.gena.handle = real_handle  # type: ignore[method-assign]

    def recovered() -> bool:
        return coordinator.update_interval is None and not any(
            row["failing"] for row in rows_of(coordinator, bedroom)
        )

    # Ends the backoff wait; the next SUBSCRIBE works.
    await step_time(hass)
    await wait_for(hass, recovered, timeout=10)
    assert all(row["health"].active for row in rows_of(coordinator, bedroom))  # type: ignore[attr-defined]
    assert state_is_not_unavailable(hass, "sensor.bedroom_group")


def state_is_not_unavailable(hass: HomeAssistant, entity_id: str) -> bool:
    state = hass.states.get(entity_id)
    return state is not None and state.state != STATE_UNAVAILABLE


async def test_absurd_timeout_grant_leaves_the_player_subscribed(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, household: Household
) -> None:
    kitchen = household.players[1]

    def headers(subscription: EmulatedSubscription) -> dict[str, str]:
        return {"SID": subscription.sid, "TIMEOUT": "Second-" + "9" * 5000}

    kitchen.gena._headers = headers  # type: ignore[method-assign]
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    coordinator = mock_config_entry.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    rows = rows_of(coordinator, kitchen)
    assert rows
    for row in rows:
        health = row["health"]
        assert health.active  # type: ignore[attr-defined]
        assert health.granted_timeout == MAX_TIMEOUT_SECONDS  # type: ignore[attr-defined]
        assert row["events_seen"]
    assert coordinator.update_interval is None
    await hass.config_entries.async_unload(mock_config_entry.entry_id)


async def test_player_back_from_an_outage_drops_its_old_subscriptions(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    bedroom = household.players[2]
    old_sids = current_sids(coordinator, bedroom)
    assert old_sids == set(bedroom.gena.subscriptions)

    # Out of reach, not rebooted: it keeps our subscriptions meanwhile.
    await bedroom.go_offline()
    await step_time(hass, RENEWAL_DUE.total_seconds())
    await wait_for(
        hass,
        lambda: hass.states.get("sensor.bedroom_group").state == STATE_UNAVAILABLE,  # type: ignore[union-attr]
    )
    await bedroom.go_online()

    def resubscribed() -> bool:
        sids = current_sids(coordinator, bedroom)
        return bool(sids) and not sids & old_sids and len(sids) == len(old_sids)

    # Ends the backoff wait (no request is in flight while the port refuses).
    await step_time(hass)
    await wait_for(hass, resubscribed, timeout=10)
    # The speaker was told to forget the old SIDs: it sends to the new ones only.
    await wait_for(
        hass,
        lambda: set(bedroom.gena.subscriptions) == current_sids(coordinator, bedroom),
        describe=lambda: (set(bedroom.gena.subscriptions), old_sids),
    )


async def test_moved_player_drops_the_subscriptions_of_its_old_address(
    hass: HomeAssistant, init_integration: MockConfigEntry, household: Household
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    kitchen = household.players[1]
    old_sids = current_sids(coordinator, kitchen)
    await kitchen.go_offline()
    kitchen.port = 0  # a new port, as after a new DHCP lease
    await kitchen.go_online()
    household.topology_changed()

    def moved() -> bool:
        rows = rows_of(coordinator, kitchen)
        return bool(rows) and all(
            row["health"].port == kitchen.port and row["events_seen"]  # type: ignore[attr-defined]
            for row in rows
        )

    await wait_for(hass, moved)
    assert not current_sids(coordinator, kitchen) & old_sids
    await wait_for(
        hass,
        lambda: set(kitchen.gena.subscriptions) == current_sids(coordinator, kitchen),
        describe=lambda: (set(kitchen.gena.subscriptions), old_sids),
    )
