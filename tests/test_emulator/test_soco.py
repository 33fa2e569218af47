"""SoCo (a third-party Sonos library) against the emulator, through its API.

SoCo talks to port 1400 and knows speakers by IP, so these households run on
distinct loopback addresses (127.a.b.2, 127.a.b.3, ...) with port 1400 each;
pytest-socket is widened to exactly those addresses for these tests only.
SoCo is synchronous: its calls run in a thread while the emulator serves from
the test's event loop. Its asyncio event listener binds to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

soco = pytest.importorskip("soco")

from soco import alarms as soco_alarms  # noqa: E402
from soco import config as soco_config  # noqa: E402
from soco import events_asyncio  # noqa: E402

from tests.emulator.household import Household  # noqa: E402
from tests.soco_listener import soco_on_loopback, stop_listener  # noqa: E402


@pytest.fixture
async def soco_settings(socket_enabled: None) -> AsyncIterator[Any]:
    """Give SoCo a fresh listener on loopback, disable its caches; restore."""
    async with soco_on_loopback():
        soco_config.CACHE_ENABLED = False
        soco_config.REQUEST_TIMEOUT = 5.0
        yield soco_config


type SocoHouseholdFactory = Callable[..., Any]


@pytest.fixture
def soco_household_factory(
    soco_settings: Any, emulator_household_factory: Callable[..., Any]
) -> SocoHouseholdFactory:
    """Start households on 127.a.b.(2..) port 1400, reachable by SoCo."""

    async def factory(scenario: str = "singles", **kwargs: Any) -> Household:
        return await emulator_household_factory(scenario, distinct_hosts=True, **kwargs)

    return factory


async def _in_thread[T](function: Callable[..., T], *args: Any) -> T:
    return await asyncio.to_thread(function, *args)


async def test_speaker_info(soco_household_factory: SocoHouseholdFactory) -> None:
    household = await soco_household_factory("singles", players=2)
    player = household.players[0]
    device = soco.SoCo(player.host)
    info = await _in_thread(device.get_speaker_info, True)
    assert info["zone_name"] == player.room_name
    assert info["uid"] == player.uuid
    assert info["serial_number"] == player.serial
    assert info["software_version"] == player.software_version
    assert info["model_number"] == player.model.model
    assert info["model_name"] == player.model.description
    assert await _in_thread(lambda: device.household_id) == household.household_id
    assert await _in_thread(lambda: device.player_name) == player.room_name
    await _in_thread(lambda: setattr(device, "volume", 42))
    assert player.volume == 42
    assert await _in_thread(lambda: device.volume) == 42


async def test_zones_groups_join_unjoin(
    soco_household_factory: SocoHouseholdFactory,
) -> None:
    household = await soco_household_factory("groups")
    living, kitchen, bedroom, office, bathroom, _dining = household.players
    device = soco.SoCo(living.host)
    zones = await _in_thread(lambda: device.all_zones)
    assert {zone.ip_address for zone in zones} == {p.host for p in household.players}
    assert {zone.uid for zone in zones} == {p.uuid for p in household.players}
    groups = await _in_thread(lambda: device.all_groups)
    assert len(groups) == 4
    group = await _in_thread(lambda: soco.SoCo(kitchen.host).group)
    assert group.coordinator.uid == living.uuid
    assert {m.uid for m in group.members} == {living.uuid, kitchen.uuid}
    assert await _in_thread(lambda: soco.SoCo(kitchen.host).is_coordinator) is False

    bath = soco.SoCo(bathroom.host)
    await _in_thread(bath.join, soco.SoCo(bedroom.host))
    assert bathroom.group_coordinator is bedroom
    group = await _in_thread(lambda: bath.group)
    assert group.coordinator.uid == bedroom.uuid
    assert {m.uid for m in group.members} == {bedroom.uuid, office.uuid, bathroom.uuid}
    await _in_thread(bath.unjoin)
    assert bathroom.group_coordinator is bathroom
    group = await _in_thread(lambda: soco.SoCo(office.host).group)
    assert {m.uid for m in group.members} == {bedroom.uuid, office.uuid}


async def test_alarms_create_list_remove(
    soco_household_factory: SocoHouseholdFactory,
) -> None:
    household = await soco_household_factory("singles", players=2)
    player = household.players[0]
    device = soco.SoCo(player.host)

    def create() -> int:
        alarm = soco_alarms.Alarm(
            device,
            start_time=dt.time(6, 30),
            duration=dt.time(0, 45),
            recurrence="ON_135",
            enabled=True,
            volume=17,
        )
        alarm.save()
        return int(alarm.alarm_id)

    alarm_id = await _in_thread(create)
    assert [a.id for a in household.alarms.alarms] == [alarm_id]
    stored = household.alarms.alarms[0]
    assert (stored.start_time, stored.duration, stored.recurrence) == (
        "06:30:00",
        "00:45:00",
        "ON_135",
    )
    assert (stored.room_uuid, stored.volume) == (player.uuid, 17)

    def listed() -> dict[str, Any]:
        found = soco_alarms.get_alarms(soco.SoCo(household.players[1].host))
        return {
            a.alarm_id: (a.start_time, a.recurrence, a.zone.uid, a.volume)
            for a in found
        }

    assert await _in_thread(listed) == {
        str(alarm_id): (dt.time(6, 30), "ON_135", player.uuid, 17)
    }

    def remove() -> None:
        alarm = soco_alarms.get_alarms(device).pop()
        alarm.remove()

    await _in_thread(remove)
    assert household.alarms.alarms == ()
    assert await _in_thread(listed) == {}


async def test_events_with_socos_asyncio_listener(
    soco_household_factory: SocoHouseholdFactory,
) -> None:
    household = await soco_household_factory("singles", players=2)
    player, other = household.players
    device = soco.SoCo(player.host)
    received: asyncio.Queue[Any] = asyncio.Queue()
    subscriptions = []
    # SoCo's subscribe() looks up the household ID and service descriptions
    # synchronously inside the loop; fetch them first in a thread, or the
    # loop (which also serves the emulator) would block on itself.
    await _in_thread(lambda: device.household_id)
    await _in_thread(lambda: device.zone_group_state)
    try:
        for service in (device.renderingControl, device.zoneGroupTopology):
            subscription = await service.subscribe(requested_timeout=600)
            subscription.callback = received.put_nowait
            subscriptions.append(subscription)
        assert {s.timeout for s in subscriptions} == {600}
        initial = {}
        for _ in subscriptions:
            async with asyncio.timeout(5):
                event = await received.get()
            initial[event.service.service_type] = event
        assert initial["RenderingControl"].variables["volume"]["Master"] == str(
            player.volume
        )
        assert "zone_group_state" in initial["ZoneGroupTopology"].variables

        player.volume = 33
        household.rendering_changed(player)
        async with asyncio.timeout(5):
            event = await received.get()
        assert event.seq == "1"
        assert event.variables["volume"]["Master"] == "33"

        household.join(other, player)
        async with asyncio.timeout(5):
            event = await received.get()
        assert event.service.service_type == "ZoneGroupTopology"
        assert other.uuid in event.variables["zone_group_state"]
    finally:
        for subscription in subscriptions:
            await subscription.unsubscribe()
        # The last unsubscribe schedules a stop after a grace period: stop now.
        await stop_listener(events_asyncio.event_listener)
    assert all(not p.gena.subscriptions for p in household.players)


async def test_large_household_501_falls_back_to_the_topology_event(
    soco_household_factory: SocoHouseholdFactory,
) -> None:
    household = await soco_household_factory("singles", players=3)
    for player in household.players:
        player.faults.zone_group_state_501 = True
    device = soco.SoCo(household.players[0].host)
    await _in_thread(lambda: device.household_id)
    zones = await _in_thread(lambda: device.all_zones)
    assert {zone.uid for zone in zones} == {p.uuid for p in household.players}
    assert all(not p.gena.subscriptions for p in household.players)
    assert not events_asyncio.event_listener.is_running
