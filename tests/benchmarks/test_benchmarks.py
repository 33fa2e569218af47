"""Speed and memory of the hot paths, against the emulator.

In the normal test run each benchmark runs once, as a test. Measure with:

    script/run python -m pytest tests/benchmarks --benchmark-enable --no-cov

Goals (on the 2-core reference machine): a 64-player household starts in
under 5 s; parsing its ZoneGroupState takes under 20 ms and keeps under 1 MiB;
a topology event reaches all entities of 64 players in under 100 ms.
"""

import asyncio
import itertools
import tracemalloc
from collections.abc import Callable
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_benchmark.fixture import BenchmarkFixture

from custom_components.sonos_upnp.upnp.catalog import get_service
from custom_components.sonos_upnp.upnp.soap import build_request, parse_response
from custom_components.sonos_upnp.upnp.topology import parse_zone_group_state
from tests.common import wait_for_subscriptions
from tests.conftest import entry_for
from tests.emulator.pytest_plugin import HouseholdFactory
from tests.emulator.scenarios import build_household

MIB = 1024 * 1024


def peak_memory(function: Callable[[], Any]) -> tuple[Any, int]:
    """Run function; return its result and the peak of memory it allocated."""
    tracemalloc.start()
    try:
        result = function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_parse_zone_group_state_of_64_players(benchmark: BenchmarkFixture) -> None:
    xml = build_household("large64", seed=1).zone_group_state()
    topology = benchmark(parse_zone_group_state, xml)
    assert len(topology.visible_players) == 64
    _, peak = peak_memory(lambda: parse_zone_group_state(xml))
    benchmark.extra_info["zone_group_state_bytes"] = len(xml)
    benchmark.extra_info["peak_bytes"] = peak
    assert peak < MIB


def test_soap_request_and_response(benchmark: BenchmarkFixture) -> None:
    service = get_service("AlarmClock")
    action = service.action("CreateAlarm")
    arguments = {
        "StartLocalTime": "07:00:00",
        "Duration": "01:00:00",
        "Recurrence": "ON_12345",
        "Enabled": True,
        "RoomUUID": "RINCON_000E58A0123401400",
        "ProgramURI": "x-rincon-buzzer:0",
        "ProgramMetaData": "",
        "PlayMode": "NORMAL",
        "Volume": 20,
        "IncludeLinkedZones": False,
    }
    body = (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        b'<u:CreateAlarmResponse xmlns:u="urn:schemas-upnp-org:service:AlarmClock:1">'
        b"<AssignedID>17</AssignedID></u:CreateAlarmResponse></s:Body></s:Envelope>"
    )

    def round_trip() -> dict[str, Any]:
        build_request(service, action, arguments)
        return parse_response(service, action, body)

    assert benchmark(round_trip) == {"AssignedID": 17}


def test_start_a_64_player_household(
    benchmark: BenchmarkFixture, socket_enabled: None
) -> None:
    async def start_and_stop() -> int:
        household = build_household("large64", seed=2)
        await household.start()
        try:
            return sum(player.online for player in household.players)
        finally:
            await household.stop()

    online = benchmark.pedantic(
        lambda: asyncio.run(start_and_stop()), rounds=3, iterations=1
    )
    assert online == 64
    if benchmark.stats is not None:
        assert benchmark.stats.stats.max < 5.0


async def test_topology_event_reaches_64_players_entities(
    benchmark: BenchmarkFixture,
    hass: HomeAssistant,
    emulator_household_factory: HouseholdFactory,
) -> None:
    household = await emulator_household_factory("large64", seed=3)
    entry = entry_for(household)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator)
    # Group and next alarm; the coordinator-room sensor is disabled by default.
    assert len(hass.states.async_entity_ids("sensor")) == 2 * 64

    # Two topologies that differ in one group, applied in turn as events.
    first = household.zone_group_state()
    household.join(household.players[20], household.players[30])
    second = household.zone_group_state()
    states = itertools.cycle([first, second])

    def apply_event() -> None:
        coordinator.async_topology_changed(next(states))

    # Fixed rounds: the state writes they schedule run when the test yields.
    benchmark.pedantic(apply_event, rounds=50, iterations=1)
    await hass.async_block_till_done()
    assert coordinator.data.topology.group_of(household.players[20].uuid) is not None
    await hass.config_entries.async_unload(entry.entry_id)
