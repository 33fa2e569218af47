"""Latency of the event path: alarm changes and topology changes to state.

In the normal test run each benchmark takes a few samples, as a test. Measure
with (figures land in the JSON's extra_info and are printed with -s):

    script/run python -m pytest tests/benchmarks/test_event_path_benchmarks.py \
        --benchmark-enable --no-cov -s

Reference figures for Home Assistant's own `sonos` on the same emulated
households (issue 11; the side-by-side run lives with tests/test_core_sonos.py):

| measure                                           | core sonos p50 / p99 |
|---------------------------------------------------|----------------------|
| alarm change to switch, changes ~0.5 s apart      | 16 / 32 ms           |
| alarm change to switch, changes 1.2 s apart       | 13.9 / 58.9 ms       |
| topology change to state, 4 players              | 10.6 / 23.6 ms       |

Goals: alarm p99 at any spacing from 0.1 s to 2 s within 2x of the p99 for
well-spaced (2 s) changes; topology change to state at least 2x faster than
core at p50 and p99; one player changing group writes all states in at most
1.5 ms p99 on 64 players and 0.5 ms p99 on 8 (the event path; parsing the
ZoneGroupState is measured in the same events and reported beside it). Those
two were set on a machine where SoCo parsed the 64-player ZoneGroupState in
1.89 ms; the benchmark measures that yardstick between the events it times
and scales the goals by it (the machines here differ by 1.5-2.5x from run to
run, and within a run from one second to the next).
Event times are reported as wall time and as CPU time of the event loop's
thread; on a shared machine the CPU time is the figure to compare. The
topology-to-state latency is mostly the NOTIFY's way from the emulator
through the event listener to the coordinator; the coordinator's own part
is the one-player-group-change figure.
"""

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

import pytest
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    StateMachine,
    callback,
)
from pytest_benchmark.fixture import BenchmarkFixture

from custom_components.sonos_upnp.upnp.topology import HouseholdTopology
from tests.benchmarks.test_parse_benchmarks import (
    SocoParser,
    fresh_documents,
    household_document,
)
from tests.common import wait_for, wait_for_subscriptions
from tests.conftest import entry_for
from tests.emulator.household import Household
from tests.emulator.pytest_plugin import HouseholdFactory
from tests.test_alarms import add_emulated_alarm
from tests.test_event_path import (
    notifications_sent,
    wait_for_notifications,
    wait_for_switch,
)

ALARM_SPACINGS = (0.1, 0.5, 1.2, 2.0)
WELL_SPACED = 2.0
# Samples per measure: a few as a test, more when benchmarking.
QUICK_SAMPLES = 3
ALARM_SAMPLES = 25
TOPOLOGY_SAMPLES = 60
EVENT_ROUNDS = 200
# A player joining another's group changes the group sensors of both and the
# coordinator sensor of the one joining; nothing else they show (next alarm,
# the alarm state of both groups, the snooze buttons) changes. Leaving, the
# same three change: every room's AVTransport is subscribed, so the player
# that left already knows its own alarm state.
GROUP_CHANGE_WRITES = 3
# The goals for one player changing group, p99 of the event's CPU
# time (parse and state writes), on a machine where SoCo parsed the
# 64-player ZoneGroupState in YARDSTICK_AT_GOAL (p50); scaled to this one.
GOAL_64_PLAYERS_MS = 1.5
GOAL_8_PLAYERS_MS = 0.5
YARDSTICK_AT_GOAL = 0.00189
# SoCo parses per event settled (the first of each is not counted).
YARDSTICK_BATCH = 3
# Below this the ratio of two p99s says more about the machine than the code.
LATENCY_FLOOR = 0.010


@pytest.fixture(autouse=True)
def production_log_level(caplog: pytest.LogCaptureFixture) -> None:
    """Log as Home Assistant does by default: the debug output is not measured."""
    caplog.set_level(logging.INFO)
    for name in ("custom_components.sonos_upnp", "homeassistant", "aiohttp"):
        caplog.set_level(logging.INFO, logger=name)


@pytest.fixture(autouse=True)
async def production_event_loop() -> AsyncIterator[None]:
    """Run the event loop without asyncio's debug mode, as in production.

    The test harness turns it on; it records where every callback was
    scheduled, which multiplied the event path's figures (topology change
    to state on 4 players: about 17 ms p50 in debug mode, 3-4 ms without).
    """
    loop = asyncio.get_running_loop()
    debug = loop.get_debug()
    loop.set_debug(False)
    yield
    loop.set_debug(debug)


def percentile(samples: list[float], share: float) -> float:
    """Return the share-th percentile (nearest rank) of samples."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary_ms(samples: list[float]) -> dict[str, float]:
    """Return p50/p99/max of samples in seconds, as milliseconds."""
    return {
        "n": len(samples),
        "p50_ms": round(percentile(samples, 0.50) * 1000, 3),
        "p99_ms": round(percentile(samples, 0.99) * 1000, 3),
        "max_ms": round(max(samples) * 1000, 3),
    }


def record(
    benchmark: BenchmarkFixture, name: str, samples: list[float]
) -> dict[str, float]:
    """Keep the figures with the benchmark and print them."""
    figures = summary_ms(samples)
    benchmark.extra_info[name] = figures
    print(f"\n{name}: {figures}")  # noqa: T201
    return figures


async def set_up(
    hass: HomeAssistant, household: Household, *, events_flow: bool = True
) -> Any:
    """Set the household up; return its entry once subscriptions settled."""
    entry = entry_for(household)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator, events_flow=events_flow)
    await hass.async_block_till_done()
    return entry


class StateWatch:
    """Notes when an entity's state first satisfies a condition."""

    def __init__(self, hass: HomeAssistant, entity_id: str) -> None:
        """Listen to the entity's state changes."""
        self.entity_id = entity_id
        self.condition: Callable[[str], bool] = lambda _state: False
        self.seen_at: float | None = None
        self.unsub = hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_change)

    @callback
    def _on_change(self, event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"] != self.entity_id or self.seen_at is not None:
            return
        if (new := event.data["new_state"]) is not None and self.condition(new.state):
            self.seen_at = time.perf_counter()

    def expect(self, condition: Callable[[str], bool]) -> None:
        """Wait for condition from now on."""
        self.condition = condition
        self.seen_at = None


async def test_alarm_change_to_switch_at_every_spacing(
    benchmark: BenchmarkFixture,
    hass: HomeAssistant,
    emulator_household_factory: HouseholdFactory,
) -> None:
    # As a test, one sample per spacing: the spacings themselves take time.
    samples_per_spacing = 1 if benchmark.disabled else ALARM_SAMPLES
    household = await emulator_household_factory("singles", players=4, seed=21)
    entry = await set_up(hass, household)
    alarm_id = add_emulated_alarm(household, 1, recurrence="DAILY")
    watch = StateWatch(hass, await wait_for_switch(hass, household, alarm_id))

    latencies: dict[float, list[float]] = {}
    for spacing in ALARM_SPACINGS:
        samples: list[float] = []
        for _ in range(samples_per_spacing + 1):  # the first one sets the pace
            started = time.perf_counter()
            current = household.alarms.get(alarm_id)
            enabled = not current.enabled
            expected = "on" if enabled else "off"
            watch.expect(lambda state, expected=expected: state == expected)
            household.alarms.update(replace(current, enabled=enabled))
            household.alarms_changed()
            await wait_for(hass, lambda: watch.seen_at is not None)
            assert watch.seen_at is not None
            samples.append(watch.seen_at - started)
            await asyncio.sleep(max(0.0, started + spacing - time.perf_counter()))
        latencies[spacing] = samples[1:]
    watch.unsub()
    await hass.config_entries.async_unload(entry.entry_id)

    figures = {
        spacing: record(benchmark, f"alarm_to_switch_{spacing}s", samples)
        for spacing, samples in latencies.items()
    }
    benchmark.pedantic(summary_ms, args=(latencies[WELL_SPACED],), rounds=1)
    if not benchmark.disabled:
        limit = max(2 * figures[WELL_SPACED]["p99_ms"], LATENCY_FLOOR * 1000)
        for spacing, figure in figures.items():
            assert figure["p99_ms"] <= limit, (spacing, figure, limit)


async def test_topology_change_to_state_on_4_players(
    benchmark: BenchmarkFixture,
    hass: HomeAssistant,
    emulator_household_factory: HouseholdFactory,
) -> None:
    samples_count = QUICK_SAMPLES if benchmark.disabled else TOPOLOGY_SAMPLES
    household = await emulator_household_factory("singles", players=4, seed=22)
    entry = await set_up(hass, household)
    living, kitchen, *_ = household.players
    watch = StateWatch(hass, "sensor.kitchen_group")
    samples: list[float] = []
    for index in range(samples_count):
        joining = index % 2 == 0
        expected = "Living Room + 1" if joining else "Kitchen"
        watch.expect(lambda state, expected=expected: state == expected)
        started = time.perf_counter()
        if joining:
            household.join(kitchen, living)
        else:
            household.leave(kitchen)
        await wait_for(hass, lambda: watch.seen_at is not None)
        assert watch.seen_at is not None
        samples.append(watch.seen_at - started)
        # Let the other players' copies of the event arrive before the next.
        await asyncio.sleep(0.05)
    watch.unsub()
    await hass.config_entries.async_unload(entry.entry_id)
    record(benchmark, "topology_to_state_4_players", samples)
    benchmark.pedantic(summary_ms, args=(samples,), rounds=1)


@dataclass
class GroupChangeFigures:
    """What one_player_group_change measured."""

    durations: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    parse: list[float] = field(default_factory=list)
    # State writes of each event that joins, and of each that leaves.
    join_writes: list[int] = field(default_factory=list)
    leave_writes: list[int] = field(default_factory=list)


async def one_player_group_change(
    hass: HomeAssistant,
    household: Household,
    rounds: int,
    monkeypatch: pytest.MonkeyPatch,
    between: Callable[[], None] = lambda: None,
) -> GroupChangeFigures:
    """Apply topologies that differ in one player's group as events.

    A player joins another's group, then leaves it, in turn. Between two
    events the event loop runs until what the first set off has settled, as
    between two real events: subscriptions follow the group's coordinator,
    and the alarm state of the player that left is known again. (Applied
    back to back instead, with warm caches and nothing following, the same
    events take about a third of the time; that is not what happens.)
    CPU time (of this thread) leaves out what other processes on a shared
    machine take from us.
    """
    entry = await set_up(hass, household)
    coordinator = entry.runtime_data.coordinator
    moving, joined = household.players[-3], household.players[-1]
    # The player starts in the group it will leave and join again.
    household.join(moving, joined)
    await wait_for(
        hass,
        lambda: (
            coordinator.data.topology.group_of(moving.uuid)
            == coordinator.data.topology.group_of(joined.uuid)
        ),
    )
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    await hass.async_block_till_done()
    writes = 0
    # Only the benchmark's own events count, not what they set off after.
    measuring = False
    original = StateMachine.async_set_internal

    def counting(self: StateMachine, *args: Any) -> None:
        nonlocal writes
        if measuring:
            writes += 1
        original(self, *args)

    monkeypatch.setattr(StateMachine, "async_set_internal", counting)
    reader = coordinator.topology_reader
    figures = GroupChangeFigures()

    def timed_parse(xml: str) -> HouseholdTopology:
        started = time.thread_time()
        try:
            return reader.read(xml)
        finally:
            if measuring:
                figures.parse.append(time.thread_time() - started)

    # The coordinator's own reader, which remembers the groups of the last event.
    monkeypatch.setattr(
        coordinator, "topology_reader", SimpleNamespace(read=timed_parse)
    )

    def apply_event(*, joining: bool) -> None:
        nonlocal writes, measuring
        # The household changes for real, so that a re-read agrees; its own
        # events of the change arrive after this one and change nothing.
        nonlocal sent
        sent = notifications_sent(household)
        if joining:
            household.join(moving, joined)
        else:
            household.leave(moving)
        xml = household.zone_group_state()
        parsed = len(figures.parse)
        writes, measuring = 0, True
        started, cpu_started = time.perf_counter(), time.thread_time()
        coordinator.async_topology_changed(xml)
        cpu = time.thread_time() - cpu_started
        duration = time.perf_counter() - started
        measuring = False
        # An event of the emulator's may have brought this topology already:
        # then this one did nothing, and counts for nothing.
        if len(figures.parse) > parsed:
            figures.cpu.append(cpu)
            figures.durations.append(duration)
            (figures.join_writes if joining else figures.leave_writes).append(writes)

    playback = coordinator.alarm_playback

    sent = notifications_sent(household)
    topology_subscriptions = sum(
        len(player.gena.for_service("ZoneGroupTopology"))
        for player in household.players
    )

    def all_delivered() -> bool:
        # Counting NOTIFYs is not enough: the change's AVTransport events
        # count too, and a late one of the players' topology events would
        # bring the previous topology back after the next event is applied.
        return all(
            subscription.delivered
            and subscription.delivered[-1] == subscription.next_seq - 1
            for player in household.players
            for subscription in player.gena.subscriptions.values()
        )

    async def settled() -> None:
        # Every player's own event of the change is in (they change nothing).
        await wait_for_notifications(hass, household, sent, topology_subscriptions)
        await wait_for(hass, all_delivered)
        # The player that left coordinates a group of its own and shows its
        # own alarm state (known all along: no subscription moves).
        await wait_for(hass, lambda: playback.playback_of(moving.uuid) is not None)
        await hass.async_block_till_done()

    for index in itertools.count():
        if len(figures.cpu) == rounds or index == 3 * rounds:
            break
        apply_event(joining=index % 2 == 1)
        await settled()
        between()
    monkeypatch.undo()
    assert len(figures.parse) == len(figures.cpu) == rounds
    await hass.config_entries.async_unload(entry.entry_id)
    return figures


class Yardstick:
    """SoCo's time to parse the 64-player ZoneGroupState, sampled through a run.

    The yardstick the issue's absolute goals were set against: on the
    machine they were measured on it was 1.89 ms (p50). Sampled between the
    events rather than before and after them: this machine's speed changes
    within seconds (the same parse took 2.4 and then 3.9 ms), and a speed
    read at other times than the events scaled their goal at random.
    """

    def __init__(self) -> None:
        """Prepare SoCo's parser and distinct 64-player documents."""
        self._soco = SocoParser()
        self._documents = fresh_documents(household_document(64))
        self.samples: list[float] = []

    def sample(self) -> None:
        """Parse YARDSTICK_BATCH documents; keep all but the first (cold) one."""
        for index in range(YARDSTICK_BATCH):
            text = next(self._documents)
            started = time.thread_time()
            self._soco(text)
            if index:
                self.samples.append(time.thread_time() - started)

    @property
    def p50(self) -> float:
        """Return the p50 of the samples, in seconds."""
        return percentile(self.samples, 0.50)


async def group_change_benchmark(
    benchmark: BenchmarkFixture,
    hass: HomeAssistant,
    household: Household,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    goal_ms: float,
) -> None:
    """Measure one player changing group; hold the event to the goal."""
    rounds = QUICK_SAMPLES if benchmark.disabled else EVENT_ROUNDS
    yardstick = Yardstick()
    figures = await one_player_group_change(
        hass, household, rounds, monkeypatch, yardstick.sample
    )
    speed = yardstick.p50
    cpu = report_event_path(benchmark, name, figures)
    # What a player's move changes: see GROUP_CHANGE_WRITES.
    assert set(figures.join_writes) == {GROUP_CHANGE_WRITES}
    assert set(figures.leave_writes) == {GROUP_CHANGE_WRITES}
    scaled_goal_ms = goal_ms * speed / YARDSTICK_AT_GOAL
    benchmark.extra_info[f"soco_parse_64_p50_ms_{name}"] = round(speed * 1000, 3)
    benchmark.extra_info[f"goal_p99_ms_{name}"] = round(scaled_goal_ms, 3)
    print(  # noqa: T201
        f"machine: SoCo parses 64 players in {speed * 1000:.3f} ms "
        f"(1.89 ms where the goal was set): goal {goal_ms} ms "
        f"is {scaled_goal_ms:.3f} ms here"
    )
    benchmark.pedantic(summary_ms, args=(figures.cpu,), rounds=1)
    if not benchmark.disabled and cpu["p99_ms"] > scaled_goal_ms:
        # Kept in sight rather than failing every benchmark run (issue 11).
        pytest.xfail(f"goal not met: p99 {cpu['p99_ms']} > {scaled_goal_ms:.3f} ms")


def add_alarms(household: Household, count: int) -> None:
    """Give rooms alarms, as real households have: a group change leaves them be.

    Their entities (switch, time, volume, recurrence, play mode) are not
    called for a group change; before they listened by alarm, 16 alarms added
    about 0.2 ms to every group change on 8 players.
    """
    for index in range(count):
        add_emulated_alarm(
            household,
            index % len(household.players),
            start_time=f"{6 + index % 4:02d}:{index * 7 % 60:02d}:00",
        )


async def test_one_player_changes_group_on_64_players(
    benchmark: BenchmarkFixture,
    hass: HomeAssistant,
    emulator_household_factory: HouseholdFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    household = await emulator_household_factory("large64", seed=23)
    add_alarms(household, 16)
    await group_change_benchmark(
        benchmark, hass, household, monkeypatch, "64_players", GOAL_64_PLAYERS_MS
    )


async def test_one_player_changes_group_on_8_players(
    benchmark: BenchmarkFixture,
    hass: HomeAssistant,
    emulator_household_factory: HouseholdFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    household = await emulator_household_factory("singles", players=8, seed=24)
    add_alarms(household, 8)
    await group_change_benchmark(
        benchmark, hass, household, monkeypatch, "8_players", GOAL_8_PLAYERS_MS
    )


def report_event_path(
    benchmark: BenchmarkFixture, name: str, figures: GroupChangeFigures
) -> dict[str, float]:
    """Record the event, parse and event-without-parse figures."""
    record(benchmark, f"event_wall_{name}", figures.durations)
    cpu = record(benchmark, f"event_cpu_{name}", figures.cpu)
    record(benchmark, f"parse_cpu_{name}", figures.parse)
    without_parse = [
        event - parsing
        for event, parsing in zip(figures.cpu, figures.parse, strict=True)
    ]
    record(benchmark, f"event_cpu_without_parse_{name}", without_parse)
    for kind, writes in (
        ("join", figures.join_writes),
        ("leave", figures.leave_writes),
    ):
        benchmark.extra_info[f"state_writes_per_{kind}_{name}"] = sorted(set(writes))
        print(f"state writes per {kind} ({name}): {sorted(set(writes))}")  # noqa: T201
    return cpu
