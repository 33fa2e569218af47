"""The event path writes only what changed and re-lists alarms without delay."""

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    StateMachine,
    callback,
)
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sonos_upnp.const import DOMAIN
from custom_components.sonos_upnp.household_changes import (
    EVERYTHING,
    GROUPING,
    AlarmContext,
    HouseholdChanges,
    PlayerAspect,
    Roster,
    alarm_changes,
    topology_changes,
)
from custom_components.sonos_upnp.single_flight import SingleFlight
from custom_components.sonos_upnp.switch import alarm_unique_id
from custom_components.sonos_upnp.upnp.alarms import AlarmList, parse_alarm_list
from custom_components.sonos_upnp.upnp.topology import parse_zone_group_state
from tests.common import device_id_of, wait_for, wait_for_subscriptions
from tests.conftest import entry_for
from tests.emulator import actions
from tests.emulator.alarms import Alarm as EmulatedAlarm
from tests.emulator.household import Household
from tests.emulator.scenarios import build_household

# Two players of the household carry the AlarmClock subscriptions.
ALARM_SOURCES = 2
# The entities of a player that show its group.
GROUP_KEYS = frozenset({"group_coordinator", "group_members", "is_coordinator"})
PLAYBACK_KEYS = frozenset({"alarm_playing", "alarm_snoozed", "snooze_alarm"})


class StateWrites:
    """Counts the state writes Home Assistant receives, per entity."""

    def __init__(self) -> None:
        """Start counting nothing."""
        self.counts: Counter[str] = Counter()

    def entities(self) -> set[str]:
        """Return the entities written since the last clear."""
        return set(self.counts)

    def clear(self) -> None:
        """Forget the writes so far."""
        self.counts.clear()


@pytest.fixture
def state_writes(monkeypatch: pytest.MonkeyPatch) -> StateWrites:
    """Count every entity state write (changed or not)."""
    writes = StateWrites()
    original = StateMachine.async_set_internal

    def counting(self: StateMachine, entity_id: str, *args: Any) -> None:
        writes.counts[entity_id] += 1
        original(self, entity_id, *args)

    monkeypatch.setattr(StateMachine, "async_set_internal", counting)
    return writes


@pytest.fixture
def list_alarms_calls(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record when the emulator answers ListAlarms."""
    calls: list[float] = []
    key = ("AlarmClock", "ListAlarms")
    original = actions.HANDLERS[key]

    def counting(player: Any, args: Any) -> Any:
        calls.append(time.perf_counter())
        return original(player, args)

    monkeypatch.setitem(actions.HANDLERS, key, counting)
    return calls


def notifications_sent(household: Household) -> int:
    """Return how many NOTIFYs the household's players delivered."""
    return sum(player.gena.counters.sent for player in household.players)


async def wait_for_notifications(
    hass: HomeAssistant, household: Household, before: int, count: int
) -> None:
    """Wait until count more NOTIFYs were delivered and handled."""
    await wait_for(
        hass,
        lambda: notifications_sent(household) >= before + count,
        describe=lambda: notifications_sent(household) - before,
    )
    await hass.async_block_till_done()


def entities_of_players(
    hass: HomeAssistant, uuids: set[str], keys: frozenset[str] | None = None
) -> set[str]:
    """Return the enabled entities on the devices of the given players (of keys)."""
    registry = er.async_get(hass)
    return {
        entry.entity_id
        for uuid in uuids
        for entry in er.async_entries_for_device(registry, device_id_of(hass, uuid))
        if entry.disabled_by is None
        and (keys is None or entry.unique_id.removeprefix(f"{uuid}-") in keys)
    }


def toggle_alarm(household: Household, alarm_id: int) -> bool:
    """Flip an alarm's enabled flag on the emulator, as the Sonos app would."""
    alarm = household.alarms.get(alarm_id)
    household.alarms.update(replace(alarm, enabled=not alarm.enabled))
    household.alarms_changed()
    return not alarm.enabled


def create_alarm(household: Household, room_index: int) -> int:
    """Create an alarm on the emulator directly."""
    alarm = household.alarms.create(
        EmulatedAlarm(
            id=0,
            start_time="06:30:00",
            duration="00:30:00",
            recurrence="DAILY",
            enabled=True,
            room_uuid=household.players[room_index].uuid,
        )
    )
    household.alarms_changed()
    return alarm.id


def switch_of(hass: HomeAssistant, household: Household, alarm_id: int) -> str:
    """Return an alarm switch's entity ID."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "switch", DOMAIN, alarm_unique_id(household.household_id, alarm_id)
    )
    assert entity_id is not None
    return entity_id


def state_is(hass: HomeAssistant, entity_id: str, value: str) -> Callable[[], bool]:
    """Return a condition: the entity shows value."""
    return lambda: (
        (state := hass.states.get(entity_id)) is not None and (state.state == value)
    )


# Computing the changes ------------------------------------------------------------


def test_a_group_change_concerns_the_players_of_both_groups() -> None:
    household = build_household("singles", players=4, seed=5)
    before = parse_zone_group_state(household.zone_group_state())
    first, second, third, _ = household.players
    household.join(first, second)
    after = parse_zone_group_state(household.zone_group_state())
    changes = topology_changes(before, after)
    assert changes.players == {first.uuid, second.uuid}
    # The player that joined moved; its entities hear of it first.
    assert changes.moved == {first.uuid}
    assert changes.players_in_order() == [first.uuid, second.uuid]
    household.leave(first)
    left = parse_zone_group_state(household.zone_group_state())
    assert topology_changes(after, left).players_in_order() == [
        first.uuid,
        second.uuid,
    ]
    household.join(first, second)
    assert changes.alarms == frozenset()
    assert not changes.for_player(third.uuid)
    # Only their group changed: entities that show neither it nor the whole
    # player skip it.
    assert changes.for_player(first.uuid)
    assert changes.for_player(first.uuid, frozenset({PlayerAspect.GROUP}))
    assert not changes.for_player(first.uuid, frozenset({PlayerAspect.ALARMS}))
    assert not changes.for_player(first.uuid, frozenset())
    # The one that joined follows another coordinator now; the one it joined
    # still coordinates its group, which only gained a member.
    coordinator = frozenset({PlayerAspect.COORDINATOR})
    assert changes.for_player(first.uuid, coordinator)
    assert not changes.for_player(second.uuid, coordinator)
    assert changes.for_player(second.uuid, frozenset({PlayerAspect.GROUP}))
    assert topology_changes(after, left).for_player(first.uuid, coordinator)
    assert not topology_changes(after, left).for_player(second.uuid, coordinator)
    assert topology_changes(after, after).players == frozenset()
    # Availability counts; so does a player that vanishes or appears.
    unavailable = topology_changes(after, after, frozenset(), {third.uuid})
    assert unavailable.players == {third.uuid}
    assert unavailable.for_player(third.uuid, frozenset())
    household.vanish(third)
    vanished = parse_zone_group_state(household.zone_group_state())
    assert topology_changes(after, vanished).players == {third.uuid}
    assert EVERYTHING.for_player(third.uuid)
    alarms_only = HouseholdChanges(
        frozenset({first.uuid}),
        frozenset({4}),
        {first.uuid: frozenset({PlayerAspect.ALARMS})},
    )
    assert alarms_only.for_player(first.uuid, frozenset({PlayerAspect.ALARMS}))
    assert not alarms_only.for_player(first.uuid, frozenset({PlayerAspect.GROUP}))
    # An alarm's entities show the alarm and its room, not the room's group.
    third_alarm = create_alarm(household, 2)
    alarms = parse_alarm_list(household.alarms.to_xml(), household.alarms.version)
    assert changes.alarms_concerned(alarms) == frozenset()
    assert unavailable.alarms_concerned(alarms) == {third_alarm}
    assert alarms_only.alarms_concerned(alarms) == {4}
    assert EVERYTHING.alarms_concerned(alarms) is None
    # The players changed beyond their group: those whose devices may differ.
    assert changes.players_beyond(GROUPING) == frozenset()
    assert unavailable.players_beyond(GROUPING) == {third.uuid}
    assert alarms_only.players_beyond(GROUPING) == {first.uuid}
    assert EVERYTHING.players_beyond(GROUPING) is None
    # Players come or go only with a change beyond groups and alarms; alarms
    # only with a change of some alarm.
    assert not changes.for_roster(Roster.PLAYERS)
    assert not changes.for_roster(Roster.ALARMS)
    assert unavailable.for_roster(Roster.PLAYERS)
    assert topology_changes(after, vanished).for_roster(Roster.PLAYERS)
    assert not alarms_only.for_roster(Roster.PLAYERS)
    assert alarms_only.for_roster(Roster.ALARMS)
    assert EVERYTHING.for_roster(Roster.PLAYERS)
    assert EVERYTHING.for_roster(Roster.ALARMS)


def test_an_alarm_change_concerns_the_alarm_and_its_rooms() -> None:
    household = build_household("singles", players=3, seed=5)
    first, second, third = household.players
    moved = household.alarms.create(
        EmulatedAlarm(
            id=0,
            start_time="07:00:00",
            duration="00:30:00",
            recurrence="DAILY",
            enabled=True,
            room_uuid=first.uuid,
        )
    )
    kept = household.alarms.create(
        replace(moved, start_time="08:00:00", room_uuid=third.uuid)
    )

    def read() -> AlarmList:
        return parse_alarm_list(household.alarms.to_xml(), household.alarms.version)

    before = read()
    household.alarms.update(replace(moved, room_uuid=second.uuid))
    changes = alarm_changes(before, read())
    assert changes.alarms == {moved.id}
    assert changes.players == {first.uuid, second.uuid}
    assert changes.alarms_concerned(read()) == {moved.id}
    assert kept.id not in (changes.alarms or ())
    assert changes.for_player(first.uuid, frozenset({PlayerAspect.ALARMS}))
    assert not changes.for_player(second.uuid, frozenset({PlayerAspect.GROUP}))


# Topology -------------------------------------------------------------------------


async def test_a_group_change_writes_only_the_entities_of_its_players(
    hass: HomeAssistant,
    emulator_household_factory: Any,
    state_writes: StateWrites,
) -> None:
    household = await emulator_household_factory("singles", players=4, seed=11)
    entry = await set_up(hass, household)
    coordinator = entry.runtime_data.coordinator
    first, second, third, fourth = household.players
    # An alarm of a room whose group changes: the switch shows the room,
    # not its group.
    alarm_id = create_alarm(household, 0)
    switch = await wait_for_switch(hass, household, alarm_id)
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    await hass.async_block_till_done()
    state_writes.clear()

    sent = notifications_sent(household)
    household.join(second, first)
    await wait_for_notifications(hass, household, sent, len(household.players))

    # Of the entities that show the group (group sensor, coordinator, the
    # group's alarm playback; the coordinator-room sensor is disabled by
    # default), only those whose state changed: both group sensors and the
    # joining player's coordinator sensor. Neither group's alarm rings, so
    # the playback entities show what they showed.
    assert state_writes.entities() == {
        "sensor.kitchen_group",
        "sensor.living_room_group",
        "binary_sensor.kitchen_group_coordinator",
    }
    assert entities_of_players(hass, {third.uuid, fourth.uuid}).isdisjoint(
        state_writes.entities()
    )
    assert switch not in state_writes.entities()
    # The room that moved is written first, whatever order sets take.
    assert list(state_writes.counts)[-1] == "sensor.living_room_group"
    group = hass.states.get("sensor.kitchen_group")
    assert group is not None
    assert group.state == "Living Room + 1"
    assert state_is(hass, "binary_sensor.kitchen_alarm_playing", "off")()

    # Leaving, the kitchen coordinates a group of its own and shows its own
    # AVTransport state, known all along: the same three writes, and its
    # alarm entities never change (not even to unavailable for a moment).
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    await hass.async_block_till_done()
    state_writes.clear()
    kitchen_playback = entities_of_players(hass, {second.uuid}, PLAYBACK_KEYS)
    assert len(kitchen_playback) == len(PLAYBACK_KEYS)
    playback = [PlaybackStates(hass, entity_id) for entity_id in kitchen_playback]
    sent = notifications_sent(household)
    household.leave(second)
    await wait_for_notifications(hass, household, sent, len(household.players))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_is(hass, "sensor.kitchen_group", "Kitchen")()
    assert state_writes.entities() == {
        "sensor.kitchen_group",
        "sensor.living_room_group",
        "binary_sensor.kitchen_group_coordinator",
    }
    assert sum(state_writes.counts.values()) == 3
    assert list(state_writes.counts)[-1] == "sensor.living_room_group"
    assert [states.seen for states in playback] == [[]] * len(playback)
    assert state_is(hass, "binary_sensor.kitchen_alarm_playing", "off")()
    for states in playback:
        states.unsub()
    await unload(hass, entry)


class PlaybackStates:
    """The states an entity goes through."""

    def __init__(self, hass: HomeAssistant, entity_id: str) -> None:
        """Listen to the entity's state changes."""
        self.seen: list[str] = []

        @callback
        def changed(event: Event[EventStateChangedData]) -> None:
            if (new := event.data["new_state"]) is not None:
                self.seen.append(new.state)

        self.unsub = async_track_state_change_event(hass, entity_id, changed)


async def test_a_new_player_gets_entities_without_rewriting_the_others(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    household: Household,
    state_writes: StateWrites,
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    await hass.async_block_till_done()
    state_writes.clear()

    office = await household.add_player_live("Office", model="S39")
    await wait_for(hass, state_is(hass, "sensor.office_group", "Office"))
    await hass.async_block_till_done()
    office_entities = entities_of_players(hass, {office.uuid})
    # Group, next alarm, coordinator, alarm started, alarm playing, alarm
    # snoozed, snooze button (the coordinator-room sensor is disabled).
    assert len(office_entities) == 7
    others = entities_of_players(hass, {p.uuid for p in household.players[:3]})
    assert state_writes.entities() & others == set()
    assert office_entities <= state_writes.entities()


async def test_an_unchanged_device_is_not_updated_in_the_registry(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    household: Household,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    await hass.async_block_till_done()
    registry = dr.async_get(hass)
    written: list[str] = []
    original = registry.async_get_or_create

    def counting(**kwargs: Any) -> dr.DeviceEntry:
        written.extend(uuid for _, uuid in kwargs["identifiers"])
        return original(**kwargs)

    monkeypatch.setattr(registry, "async_get_or_create", counting)
    living, kitchen, bedroom = household.players
    modified = {
        player.uuid: registry.async_get(device_id_of(hass, player.uuid))
        for player in household.players
    }

    sent = notifications_sent(household)
    household.join(kitchen, living)
    await wait_for_notifications(hass, household, sent, 3)
    assert written == []

    sent = notifications_sent(household)
    bedroom.room_name = "Study"
    household.topology_changed()
    await wait_for_notifications(hass, household, sent, 3)
    assert written == [bedroom.uuid]
    device = registry.async_get(device_id_of(hass, bedroom.uuid))
    assert device is not None
    assert device.name == "Study"
    for player in (living, kitchen):
        now = registry.async_get(device_id_of(hass, player.uuid))
        before = modified[player.uuid]
        assert now is not None
        assert before is not None
        assert now.modified_at == before.modified_at


# Alarms ---------------------------------------------------------------------------


async def test_alarm_listeners_hear_their_alarm_and_room_not_its_group(
    hass: HomeAssistant, emulator_household_factory: Any
) -> None:
    household = await emulator_household_factory("singles", players=3, seed=7)
    entry = await set_up(hass, household)
    coordinator = entry.runtime_data.coordinator
    living, kitchen, bedroom = household.players
    in_living, in_bedroom = create_alarm(household, 0), create_alarm(household, 2)
    await wait_for_switch(hass, household, in_bedroom)
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    await hass.async_block_till_done()
    heard: Counter[str] = Counter()
    listeners = {
        "living": AlarmContext(in_living),
        "bedroom": AlarmContext(in_bedroom),
        "bedroom, any alarm": AlarmContext(in_bedroom, any_alarm=True),
    }
    for name, context in listeners.items():
        entry.async_on_unload(
            coordinator.async_add_listener(
                lambda name=name: heard.update([name]), context
            )
        )

    # The living room's group changes: nothing any alarm's entity shows.
    sent = notifications_sent(household)
    household.join(living, kitchen)
    await wait_for_notifications(hass, household, sent, len(household.players))
    await hass.async_block_till_done()
    assert heard == Counter()

    # The living room's alarm changes: its own listener, and the one that
    # shows something of every alarm.
    alarm = household.alarms.get(in_living)
    assert alarm is not None
    household.alarms.update(replace(alarm, start_time="09:45:00"))
    household.alarms_changed()
    await wait_for(hass, lambda: heard["living"] > 0)
    await hass.async_block_till_done()
    assert set(heard) == {"living", "bedroom, any alarm"}

    # The bedroom is renamed: the room of the bedroom's alarm.
    heard.clear()
    sent = notifications_sent(household)
    bedroom.room_name = "Study"
    household.topology_changed()
    await wait_for_notifications(hass, household, sent, len(household.players))
    await hass.async_block_till_done()
    assert set(heard) == {"bedroom", "bedroom, any alarm"}
    await unload(hass, entry)


async def test_one_alarm_list_version_costs_one_list_alarms(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    household: Household,
    list_alarms_calls: list[float],
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    await hass.async_block_till_done()
    list_alarms_calls.clear()

    sent = notifications_sent(household)
    alarm_id = create_alarm(household, 1)
    await wait_for_notifications(hass, household, sent, ALARM_SOURCES)
    await wait_for(hass, lambda: coordinator.data.alarms.get(alarm_id) is not None)
    # Whatever waits out a cooldown would run now.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=5))
    await wait_for(hass, lambda: coordinator._alarm_relist.in_flight() == 0)
    assert len(list_alarms_calls) == 1

    # A version the coordinator holds costs nothing.
    sent = notifications_sent(household)
    for player in household.players:
        player.notify("AlarmClock", ("AlarmListVersion",))
    await wait_for_notifications(hass, household, sent, ALARM_SOURCES)
    assert len(list_alarms_calls) == 1


async def test_an_alarm_change_soon_after_another_shows_at_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    household: Household,
    list_alarms_calls: list[float],
) -> None:
    coordinator = init_integration.runtime_data.coordinator
    alarm_id = create_alarm(household, 0)
    switch = await wait_for_switch(hass, household, alarm_id)
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    await hass.async_block_till_done()
    list_alarms_calls.clear()

    first_change = time.perf_counter()
    toggle_alarm(household, alarm_id)
    await wait_for(hass, state_is(hass, switch, STATE_OFF))
    # The next change comes 0.1 s after the first one.
    await asyncio.sleep(max(0.0, first_change + 0.1 - time.perf_counter()))
    second_change = time.perf_counter()
    toggle_alarm(household, alarm_id)
    await wait_for(hass, state_is(hass, switch, STATE_ON))
    latency = time.perf_counter() - second_change
    # A cooldown of 0.5 s after the first change would hold it back ~0.4 s.
    assert latency < 0.25, latency
    assert len(list_alarms_calls) == 2


async def test_reads_join_per_key_and_a_late_answer_is_dropped() -> None:
    answers: list[asyncio.Future[str | None]] = []
    applied: list[str] = []

    async def read() -> str | None:
        answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        answers.append(answer)
        return await answer

    flights = SingleFlight(
        "test",
        read,
        applied.append,
        lambda coro, name: asyncio.get_running_loop().create_task(coro, name=name),
    )
    first = flights.request("v1")
    assert flights.request("v1") is first
    second = flights.request("v2")
    forced = flights.request(None)
    assert len({first, second, forced}) == 3
    assert flights.in_flight() == 2
    await asyncio.sleep(0)
    assert len(answers) == 3
    # The read started second answers first; the first one's answer is older.
    answers[1].set_result("list 2")
    await second
    answers[0].set_result("list 1")
    await first
    answers[2].set_result(None)  # could not read: nothing applied
    await forced
    assert applied == ["list 2"]
    assert flights.in_flight() == 0
    # Once done, the same key reads again; cancel stops reads in flight.
    again = flights.request("v1")
    assert again is not first
    flights.cancel()
    with pytest.raises(asyncio.CancelledError):
        await again


# Helpers --------------------------------------------------------------------------


async def set_up(hass: HomeAssistant, household: Household) -> MockConfigEntry:
    """Set a household up in Home Assistant."""
    entry = entry_for(household)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def unload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload an entry set up by set_up."""
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def wait_for_switch(
    hass: HomeAssistant, household: Household, alarm_id: int
) -> str:
    """Wait until the alarm's switch exists and is on; return its entity ID."""
    unique_id = alarm_unique_id(household.household_id, alarm_id)
    registry = er.async_get(hass)
    await wait_for(
        hass, lambda: registry.async_get_entity_id("switch", DOMAIN, unique_id)
    )
    entity_id = switch_of(hass, household, alarm_id)
    await wait_for(hass, state_is(hass, entity_id, STATE_ON))
    return entity_id


async def test_the_alarm_calendar_writes_for_alarms_not_for_groups(
    hass: HomeAssistant,
    emulator_household_factory: Any,
    state_writes: StateWrites,
) -> None:
    household = await emulator_household_factory("singles", players=4, seed=12)
    entry = await set_up(hass, household)
    coordinator = entry.runtime_data.coordinator
    first, second, *_ = household.players
    alarm_id = create_alarm(household, 0)
    await wait_for_switch(hass, household, alarm_id)
    await wait_for_subscriptions(hass, coordinator, events_flow=True)
    await hass.async_block_till_done()
    calendar = er.async_get(hass).async_get_entity_id(
        "calendar", DOMAIN, f"{household.household_id}-alarms"
    )
    assert calendar is not None
    state_writes.clear()

    # Its events name the alarms' rooms, never their groups.
    sent = notifications_sent(household)
    household.join(second, first)
    await wait_for_notifications(hass, household, sent, len(household.players))
    assert state_writes.entities()
    assert calendar not in state_writes.entities()

    toggle_alarm(household, alarm_id)
    await wait_for(hass, lambda: calendar in state_writes.entities())
    await unload(hass, entry)


def test_a_household_entity_skips_changes_of_aspects_it_does_not_show() -> None:
    group_only = HouseholdChanges(
        frozenset({"a"}), frozenset(), {"a": frozenset({PlayerAspect.GROUP})}
    )
    assert not group_only.for_household(frozenset())
    assert group_only.for_household(frozenset({PlayerAspect.GROUP}))
    renamed = HouseholdChanges(frozenset({"a"}), frozenset(), {})
    assert renamed.for_household(frozenset())
    assert HouseholdChanges(frozenset(), frozenset({3})).for_household(frozenset())
    assert EVERYTHING.for_household(frozenset())


async def test_topology_events_of_one_loop_turn_share_one_subscription_sync(
    hass: HomeAssistant, emulator_household_factory: Any
) -> None:
    household = await emulator_household_factory("singles", players=3, seed=12)
    entry = await set_up(hass, household)
    events = entry.runtime_data.coordinator.events
    with patch.object(events, "async_sync", wraps=events.async_sync) as sync:
        events.async_request_sync()
        events.async_request_sync()
        assert sync.call_count == 0
        await asyncio.sleep(0)
        assert sync.call_count == 1
        # A sync made meanwhile does what the requested one would have.
        events.async_request_sync()
        events.async_sync()
        await asyncio.sleep(0)
        assert sync.call_count == 2
        # Stopping drops a requested sync.
        events.async_request_sync()
        await unload(hass, entry)
        await asyncio.sleep(0)
        assert sync.call_count == 2
