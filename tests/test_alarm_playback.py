"""An alarm while it rings: which one, playing or snoozed, snooze and stop."""

import asyncio
from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sonos_upnp.const import DOMAIN
from custom_components.sonos_upnp.upnp.catalog import Service
from tests.common import (
    device_id_of,
    subscription_rows,
    wait_for,
    wait_for_subscriptions,
)
from tests.conftest import entry_for
from tests.emulator.household import Household
from tests.emulator.player import Player
from tests.emulator.pytest_plugin import HouseholdFactory
from tests.test_alarms import add_emulated_alarm
from tests.test_diagnostics import pseudonym


def state_of(hass: HomeAssistant, entity_id: str) -> Any:
    """Return an entity's state object (it must exist)."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


def slug(player: Player) -> str:
    """Return the entity ID prefix of a player's entities."""
    return player.room_name.lower().replace(" ", "_")


class EventLog:
    """Every event an event entity fired, in order, with its data."""

    def __init__(self, hass: HomeAssistant, player: Player) -> None:
        """Record the player's alarm events from now on."""
        self.entity_id = f"event.{slug(player)}_alarm_started"
        self.fired: list[dict[str, Any]] = []
        hass.bus.async_listen("state_changed", self._on_state_changed)

    def _on_state_changed(self, event: Any) -> None:
        if event.data["entity_id"] != self.entity_id:
            return
        new = event.data["new_state"]
        if new is not None and new.attributes.get("event_type"):
            self.fired.append(dict(new.attributes))

    def types(self) -> list[str]:
        """Return the event types fired so far."""
        return [fired["event_type"] for fired in self.fired]


async def setup_household(hass: HomeAssistant, household: Household) -> MockConfigEntry:
    """Set the household up and wait until every subscription delivers."""
    entry = entry_for(household)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await wait_for_subscriptions(hass, entry.runtime_data.coordinator, events_flow=True)
    return entry


@pytest.fixture
async def singles(
    hass: HomeAssistant, emulator_household_factory: HouseholdFactory
) -> AsyncGenerator[tuple[Household, MockConfigEntry]]:
    """Return three standalone rooms, set up in Home Assistant."""
    household = await emulator_household_factory("singles", players=3, seed=11)
    entry = await setup_household(hass, household)
    yield household, entry
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def grouped(
    hass: HomeAssistant, emulator_household_factory: HouseholdFactory
) -> AsyncGenerator[tuple[Household, MockConfigEntry]]:
    """Return Living Room + Kitchen and Bedroom + Office grouped, and 2 singles."""
    household = await emulator_household_factory("groups", seed=12)
    entry = await setup_household(hass, household)
    yield household, entry
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def call(hass: HomeAssistant, action: str, data: dict[str, Any]) -> None:
    """Call one of the integration's actions that return nothing."""
    await hass.services.async_call(DOMAIN, action, data, blocking=True)


def alarm_at(household: Household, room: int, offset: timedelta, **fields: Any) -> int:
    """Create a daily alarm starting offset from now in the room."""
    start = (dt_util.now() + offset).replace(microsecond=0).time()
    return add_emulated_alarm(
        household, room, start_time=start.isoformat(), recurrence="DAILY", **fields
    )


async def wait_for_alarms(
    hass: HomeAssistant, entry: MockConfigEntry, count: int
) -> None:
    """Wait until the integration lists count alarms."""
    coordinator = entry.runtime_data.coordinator
    await wait_for(hass, lambda: len(coordinator.data.alarms.alarms) == count)


async def alarm_now(
    hass: HomeAssistant, household: Household, entry: MockConfigEntry, room: int
) -> int:
    """Create the household's one alarm, starting now in the room; wait for it."""
    alarm_id = alarm_at(household, room, timedelta(0))
    await wait_for_alarms(hass, entry, 1)
    return alarm_id


def avtransport_players(entry: MockConfigEntry) -> set[str]:
    """Return the players whose AVTransport we subscribe to."""
    return {
        row["player"]
        for row in subscription_rows(entry.runtime_data.coordinator)
        if row["service"] == "AVTransport"
    }


async def test_exact_alarm_of_two_close_together(
    hass: HomeAssistant, singles: tuple[Household, MockConfigEntry]
) -> None:
    """Inference would name the first alarm; the speaker names the second."""
    household, entry = singles
    kitchen = household.players[1]
    first = alarm_at(household, 1, timedelta(0))
    second = alarm_at(
        household, 1, timedelta(minutes=2), program_uri="x-rincon-buzzer:1"
    )
    await wait_for_alarms(hass, entry, 2)
    playing = f"binary_sensor.{slug(kitchen)}_alarm_playing"
    assert state_of(hass, playing).state == STATE_OFF
    log = EventLog(hass, kitchen)

    household.fire_alarm(second)
    await wait_for(hass, lambda: log.types() == ["alarm_started"])
    fired = log.fired[0]
    assert fired["alarm_id"] == second != first
    assert fired["source"] == "speaker"
    assert fired["program_uri"] == "x-rincon-buzzer:1"
    assert fired["logged_start_time"]
    assert fired["after_snooze"] is False
    state = state_of(hass, playing)
    assert state.state == STATE_ON
    assert state.attributes["alarm_id"] == second
    assert state.attributes["started"] == fired["logged_start_time"]
    assert state.attributes["alarm_source"] == "speaker"
    # Only the kitchen rings.
    assert state_of(hass, "binary_sensor.living_room_alarm_playing").state == STATE_OFF
    # One event, though AlarmRunSequence moved as well.
    await hass.async_block_till_done()
    assert log.types() == ["alarm_started"]


async def test_grouped_rooms_all_hear_the_alarm(
    hass: HomeAssistant, grouped: tuple[Household, MockConfigEntry]
) -> None:
    household, entry = grouped
    living, kitchen, bedroom = household.players[:3]
    # Every room's AVTransport is subscribed, members' too.
    assert avtransport_players(entry) == {p.uuid for p in household.visible_players}
    alarm_id = await alarm_now(hass, household, entry, 0)
    logs = {
        player.uuid: EventLog(hass, player) for player in (living, kitchen, bedroom)
    }

    household.fire_alarm(alarm_id)
    await wait_for(
        hass,
        lambda: all(
            logs[p.uuid].types() == ["alarm_started"] for p in (living, kitchen)
        ),
    )
    for player in (living, kitchen):
        assert logs[player.uuid].fired[0]["alarm_id"] == alarm_id
        assert logs[player.uuid].fired[0]["source"] == "speaker"
        assert (
            state_of(hass, f"binary_sensor.{slug(player)}_alarm_playing").state
            == STATE_ON
        )
    assert logs[bedroom.uuid].fired == []
    assert state_of(hass, "binary_sensor.bedroom_alarm_playing").state == STATE_OFF


async def test_fallback_when_the_speaker_does_not_name_the_alarm(
    hass: HomeAssistant, singles: tuple[Household, MockConfigEntry]
) -> None:
    household, entry = singles
    kitchen = household.players[1]
    alarm_id = alarm_at(household, 1, timedelta(minutes=-1))
    await wait_for_alarms(hass, entry, 1)
    household.alarm_playback.running_alarm_error = 401
    log = EventLog(hass, kitchen)

    household.fire_alarm(alarm_id)
    await wait_for(hass, lambda: log.types() == ["alarm_started"])
    assert log.fired[0]["alarm_id"] == alarm_id
    assert log.fired[0]["source"] == "start_time"
    assert log.fired[0]["logged_start_time"] is None
    state = state_of(hass, f"binary_sensor.{slug(kitchen)}_alarm_playing")
    assert state.state == STATE_ON
    assert state.attributes["alarm_source"] == "start_time"


async def test_snooze_restart_and_stop_through_actions(
    hass: HomeAssistant, singles: tuple[Household, MockConfigEntry]
) -> None:
    household, entry = singles
    kitchen = household.players[1]
    alarm_id = await alarm_now(hass, household, entry, 1)
    log = EventLog(hass, kitchen)
    playing = f"binary_sensor.{slug(kitchen)}_alarm_playing"
    snoozed = f"binary_sensor.{slug(kitchen)}_alarm_snoozed"
    household.fire_alarm(alarm_id)
    await wait_for(hass, lambda: state_of(hass, playing).state == STATE_ON)
    assert state_of(hass, snoozed).state == STATE_OFF

    device_id = device_id_of(hass, kitchen.uuid)
    await call(hass, "snooze_alarm", {"device_id": device_id, "duration": 1})
    ringing = household.alarm_playback.of(kitchen)
    assert ringing is not None
    assert ringing.snoozed
    await wait_for(hass, lambda: state_of(hass, snoozed).state == STATE_ON)
    assert state_of(hass, playing).state == STATE_OFF
    assert state_of(hass, snoozed).attributes["restart_pending"] is True
    assert state_of(hass, snoozed).attributes["alarm_id"] == alarm_id
    assert log.types() == ["alarm_started", "alarm_snoozed"]
    assert log.fired[1]["alarm_id"] == alarm_id

    # The speaker plays it again after the snooze.
    await wait_for(hass, lambda: len(log.fired) == 3)
    assert log.fired[2]["event_type"] == "alarm_started"
    assert log.fired[2]["after_snooze"] is True
    assert log.fired[2]["alarm_id"] == alarm_id
    assert state_of(hass, playing).state == STATE_ON

    await call(hass, "stop_alarm", {"device_id": device_id})
    assert household.alarm_playback.of(kitchen) is None
    assert kitchen.transport_state == "STOPPED"
    await wait_for(hass, lambda: log.types()[-1:] == ["alarm_stopped"])
    assert log.fired[-1]["alarm_id"] == alarm_id
    assert state_of(hass, playing).state == STATE_OFF
    assert state_of(hass, snoozed).state == STATE_OFF


async def test_alarm_duration_ends_it(
    hass: HomeAssistant, singles: tuple[Household, MockConfigEntry]
) -> None:
    household, entry = singles
    bedroom = household.players[2]
    alarm_id = alarm_at(household, 2, timedelta(0), duration="00:00:01")
    await wait_for_alarms(hass, entry, 1)
    log = EventLog(hass, bedroom)
    household.fire_alarm(alarm_id)
    await wait_for(hass, lambda: log.types() == ["alarm_started", "alarm_stopped"])
    assert state_of(hass, "binary_sensor.bedroom_alarm_playing").state == STATE_OFF


async def test_button_snoozes_for_the_default_duration(
    hass: HomeAssistant, grouped: tuple[Household, MockConfigEntry]
) -> None:
    household, entry = grouped
    living, kitchen = household.players[:2]
    alarm_id = await alarm_now(hass, household, entry, 0)
    household.fire_alarm(alarm_id)
    await wait_for(
        hass,
        lambda: state_of(hass, "binary_sensor.kitchen_alarm_playing").state == STATE_ON,
    )
    # A member's button snoozes its group's alarm on the coordinator.
    await hass.services.async_call(
        "button",
        "press",
        {ATTR_ENTITY_ID: "button.kitchen_snooze_alarm"},
        blocking=True,
    )
    ringing = household.alarm_playback.of(living)
    assert ringing is not None
    assert ringing.snoozed
    assert ringing.timer is not None
    remaining = ringing.timer.when() - asyncio.get_running_loop().time()
    assert 590 < remaining <= 600
    await wait_for(
        hass,
        lambda: (
            state_of(hass, "binary_sensor.living_room_alarm_snoozed").state == STATE_ON
        ),
    )
    household.alarm_playback.end(living)
    await wait_for(
        hass,
        lambda: (
            state_of(hass, "binary_sensor.kitchen_alarm_snoozed").state == STATE_OFF
        ),
    )
    assert kitchen.group_coordinator is living


async def test_nothing_to_snooze_or_stop(
    hass: HomeAssistant, singles: tuple[Household, MockConfigEntry]
) -> None:
    household, _entry = singles
    device_id = device_id_of(hass, household.players[0].uuid)
    for action, data in (
        ("snooze_alarm", {"device_id": device_id}),
        ("stop_alarm", {"device_id": device_id}),
    ):
        with pytest.raises(ServiceValidationError) as caught:
            await call(hass, action, data)
        assert caught.value.translation_key == "no_alarm_playing"
        assert "Living Room" in str(caught.value)
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            "button",
            "press",
            {ATTR_ENTITY_ID: "button.living_room_snooze_alarm"},
            blocking=True,
        )
    assert caught.value.translation_key == "no_alarm_playing"
    assert household.players[0].transport_state == "STOPPED"


@pytest.mark.parametrize("duration", [0, 86400])
async def test_snooze_duration_is_validated(
    hass: HomeAssistant, singles: tuple[Household, MockConfigEntry], duration: int
) -> None:
    household, entry = singles
    alarm_id = await alarm_now(hass, household, entry, 0)
    household.fire_alarm(alarm_id)
    await wait_for(
        hass,
        lambda: (
            state_of(hass, "binary_sensor.living_room_alarm_playing").state == STATE_ON
        ),
    )
    with pytest.raises(ServiceValidationError) as caught:
        await call(
            hass,
            "snooze_alarm",
            {
                "device_id": device_id_of(hass, household.players[0].uuid),
                "duration": duration,
            },
        )
    assert caught.value.translation_key == "snooze_duration_out_of_range"
    ringing = household.alarm_playback.of(household.players[0])
    assert ringing is not None
    assert not ringing.snoozed


def subscription_requests(household: Household) -> tuple[int, int]:
    """Return the SUBSCRIBEs (not renewals) and UNSUBSCRIBEs players answered."""
    return (
        sum(p.gena.requests.subscribe for p in household.players),
        sum(p.gena.requests.unsubscribe for p in household.players),
    )


def speaker_sids(household: Household) -> dict[str, set[str]]:
    """Return the subscriptions each player holds, by player."""
    return {p.uuid: set(p.gena.subscriptions) for p in household.players}


class SeenStates:
    """Every state some entities go through, from now on."""

    def __init__(self, hass: HomeAssistant, entity_ids: list[str]) -> None:
        """Listen to the entities' state changes."""
        self.seen: dict[str, list[str]] = {entity_id: [] for entity_id in entity_ids}

        @callback
        def changed(event: Event[EventStateChangedData]) -> None:
            if (new := event.data["new_state"]) is not None:
                self.seen[event.data["entity_id"]].append(new.state)

        self.unsub = async_track_state_change_event(hass, entity_ids, changed)


def alarm_entities(player: Player) -> list[str]:
    """Return the entities of a player that show its group's alarm playback."""
    prefix = slug(player)
    return [
        f"binary_sensor.{prefix}_alarm_playing",
        f"binary_sensor.{prefix}_alarm_snoozed",
        f"button.{prefix}_snooze_alarm",
    ]


async def test_a_group_change_moves_no_subscription(
    hass: HomeAssistant, grouped: tuple[Household, MockConfigEntry]
) -> None:
    household, entry = grouped
    living, kitchen, bedroom = household.players[:3]
    requests = subscription_requests(household)
    sids = speaker_sids(household)
    states = SeenStates(hass, alarm_entities(kitchen) + alarm_entities(bedroom))

    household.join(bedroom, living)  # Office coordinates its group alone now
    household.leave(kitchen)  # Kitchen coordinates itself
    await wait_for(
        hass, lambda: state_of(hass, "sensor.kitchen_group").state == "Kitchen"
    )
    await wait_for(
        hass,
        lambda: state_of(hass, "sensor.bedroom_group").state == "Living Room + 1",
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    # Counted on the speakers: not one SUBSCRIBE or UNSUBSCRIBE, same SIDs.
    assert subscription_requests(household) == requests
    assert speaker_sids(household) == sids
    assert avtransport_players(entry) == {p.uuid for p in household.visible_players}
    # Neither room's alarm entities were unavailable for a moment.
    assert states.seen == {entity_id: [] for entity_id in states.seen}
    for entity_id in alarm_entities(kitchen) + alarm_entities(bedroom):
        assert state_of(hass, entity_id).state != STATE_UNAVAILABLE
    assert state_of(hass, "binary_sensor.kitchen_alarm_playing").state == STATE_OFF
    states.unsub()


async def test_a_room_joining_a_ringing_group_shows_its_alarm(
    hass: HomeAssistant, grouped: tuple[Household, MockConfigEntry]
) -> None:
    household, entry = grouped
    living, _kitchen, bedroom = household.players[:3]
    alarm_id = await alarm_now(hass, household, entry, 0)
    household.fire_alarm(alarm_id)
    playing = f"binary_sensor.{slug(bedroom)}_alarm_playing"
    await wait_for(
        hass,
        lambda: (
            state_of(hass, "binary_sensor.living_room_alarm_playing").state == STATE_ON
        ),
    )
    assert state_of(hass, playing).state == STATE_OFF
    states = SeenStates(hass, alarm_entities(living))

    # The bedroom follows another coordinator now: it shows that group's
    # alarm. The living room still coordinates; its alarm shows as before.
    household.join(bedroom, living)
    await wait_for(hass, lambda: state_of(hass, playing).state == STATE_ON)
    await hass.async_block_till_done()
    assert state_of(hass, playing).attributes["alarm_id"] == alarm_id
    assert states.seen == {entity_id: [] for entity_id in states.seen}
    states.unsub()


async def test_a_room_leaving_a_ringing_group_shows_its_own_state(
    hass: HomeAssistant, grouped: tuple[Household, MockConfigEntry]
) -> None:
    household, entry = grouped
    kitchen = household.players[1]
    alarm_id = await alarm_now(hass, household, entry, 0)
    log = EventLog(hass, kitchen)
    household.fire_alarm(alarm_id)
    playing = "binary_sensor.kitchen_alarm_playing"
    await wait_for(hass, lambda: log.types() == ["alarm_started"])
    assert state_of(hass, playing).state == STATE_ON
    states = SeenStates(hass, alarm_entities(kitchen))

    # The alarm keeps ringing in the living room; the kitchen stops playing.
    household.leave(kitchen)
    await wait_for(hass, lambda: state_of(hass, playing).state == STATE_OFF)
    await hass.async_block_till_done()
    assert STATE_UNAVAILABLE not in [
        state for seen in states.seen.values() for state in seen
    ]
    # Off at once, or (the topology event first) on until the kitchen's own
    # AVTransport event comes: never unknown.
    assert states.seen[playing][-1:] == [STATE_OFF]
    assert set(states.seen[playing]) <= {STATE_ON, STATE_OFF}
    assert state_of(hass, "binary_sensor.living_room_alarm_playing").state == STATE_ON
    # Leaving a group is no alarm of the room's starting or stopping.
    assert log.types() == ["alarm_started"]
    states.unsub()


async def test_a_member_taking_over_a_ringing_group_names_its_alarm(
    hass: HomeAssistant, grouped: tuple[Household, MockConfigEntry]
) -> None:
    household, entry = grouped
    living, kitchen = household.players[:2]
    alarm_id = await alarm_now(hass, household, entry, 0)
    log = EventLog(hass, kitchen)
    household.fire_alarm(alarm_id)
    playing = "binary_sensor.kitchen_alarm_playing"
    await wait_for(hass, lambda: log.types() == ["alarm_started"])
    states = SeenStates(hass, alarm_entities(kitchen))

    # The coordinator leaves: the kitchen coordinates and plays on. Its own
    # transport said "ringing" while a member; now it is asked which alarm.
    household.leave(living)
    await wait_for(
        hass,
        lambda: (
            state_of(hass, "binary_sensor.living_room_alarm_playing").state == STATE_OFF
        ),
    )
    await wait_for(
        hass,
        lambda: (
            state_of(hass, playing).state == STATE_ON
            and state_of(hass, playing).attributes.get("alarm_id") == alarm_id
        ),
    )
    await hass.async_block_till_done()
    assert kitchen.group_coordinator is kitchen
    assert state_of(hass, playing).attributes["alarm_source"] == "speaker"
    assert STATE_UNAVAILABLE not in [
        state for seen in states.seen.values() for state in seen
    ]
    # The group rang on: no second alarm_started.
    assert log.types().count("alarm_started") == 1
    states.unsub()


async def test_a_members_own_values_never_show_for_its_group(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    grouped: tuple[Household, MockConfigEntry],
) -> None:
    household, entry = grouped
    living, kitchen = household.players[:2]
    alarm_id = await alarm_now(hass, household, entry, 0)
    household.fire_alarm(alarm_id)
    playing = "binary_sensor.kitchen_alarm_playing"
    await wait_for(hass, lambda: state_of(hass, playing).state == STATE_ON)
    # The kitchen's own AVTransport goes stale: it last said "ringing".
    kitchen.faults.drop_events = True

    household.alarm_playback.end(living)
    # The group shows its coordinator's state.
    await wait_for(hass, lambda: state_of(hass, playing).state == STATE_OFF)
    assert state_of(hass, "binary_sensor.living_room_alarm_playing").state == STATE_OFF
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    rows = {row["player"]: row for row in diagnostics["household"]["alarm_playback"]}
    assert rows[pseudonym(household, kitchen.uuid)]["alarm_running"] == "1"
    assert rows[pseudonym(household, kitchen.uuid)]["shown_for_group"] is False
    assert rows[pseudonym(household, living.uuid)]["alarm_running"] == "0"
    assert rows[pseudonym(household, living.uuid)]["shown_for_group"] is True


async def test_a_members_failing_avtransport_leaves_its_group_known(
    hass: HomeAssistant, emulator_household_factory: HouseholdFactory
) -> None:
    household = await emulator_household_factory("groups", seed=12)
    living, kitchen = household.players[:2]
    real_handle = kitchen.gena.handle

    async def refuse_avtransport(
        request: web.Request, service: Service
    ) -> web.StreamResponse:
        if service.name == "AVTransport" and request.method == "SUBSCRIBE":
            return web.Response(status=500)
        return await real_handle(request, service)

    kitchen.gena.handle = refuse_avtransport  # type: ignore[method-assign]
    entry = entry_for(household)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    coordinator = entry.runtime_data.coordinator
    await wait_for(
        hass,
        lambda: any(
            row["failing"]
            for row in subscription_rows(coordinator)
            if row["player"] == kitchen.uuid and row["service"] == "AVTransport"
        ),
    )
    alarm_id = await alarm_now(hass, household, entry, 0)
    playing = "binary_sensor.kitchen_alarm_playing"
    assert state_of(hass, playing).state == STATE_OFF

    # The kitchen follows its coordinator's ringing all the same.
    household.fire_alarm(alarm_id)
    await wait_for(hass, lambda: state_of(hass, playing).state == STATE_ON)
    for entity_id in alarm_entities(kitchen):
        assert state_of(hass, entity_id).state != STATE_UNAVAILABLE
    assert living.group_coordinator is living
    kitchen.gena.handle = real_handle  # type: ignore[method-assign]
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_unknown_state_is_unavailable_and_diagnostics_show_feeds(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    singles: tuple[Household, MockConfigEntry],
) -> None:
    household, entry = singles
    living = household.players[0]
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    rows = [
        row
        for row in diagnostics["household"]["subscriptions"]
        if row["service"] == "AVTransport"
    ]
    assert len(rows) == 3
    assert all(row["events_seen"] for row in rows)
    playback = diagnostics["household"]["alarm_playback"]
    assert len(playback) == 3
    assert {row["phase"] for row in playback} == {"idle"}
    assert {row["alarm_running"] for row in playback} == {"0"}

    device = dr.async_get(hass).async_get(device_id_of(hass, living.uuid))
    assert device is not None
    device_dump = await get_diagnostics_for_device(hass, hass_client, entry, device)
    assert [row["phase"] for row in device_dump["alarm_playback"]] == ["idle"]
    assert {row["service"] for row in device_dump["subscriptions"]} >= {"AVTransport"}

    # Without AVTransport events nobody knows whether the alarm plays.
    coordinator = entry.runtime_data.coordinator
    coordinator.alarm_playback.async_forget(living.uuid)
    await hass.async_block_till_done()
    assert (
        state_of(hass, "binary_sensor.living_room_alarm_playing").state
        == STATE_UNAVAILABLE
    )
    assert state_of(hass, "button.living_room_snooze_alarm").state == STATE_UNAVAILABLE
    assert state_of(hass, "binary_sensor.kitchen_alarm_playing").state == STATE_OFF
    assert DOMAIN in entry.domain


async def test_subscribed_while_ringing_names_the_alarm_without_an_event(
    hass: HomeAssistant, emulator_household_factory: HouseholdFactory
) -> None:
    household = await emulator_household_factory("singles", players=2, seed=13)
    kitchen = household.players[1]
    alarm_id = alarm_at(household, 1, timedelta(hours=-2))
    household.fire_alarm(alarm_id)
    log = EventLog(hass, kitchen)
    entry = await setup_household(hass, household)
    playing = f"binary_sensor.{slug(kitchen)}_alarm_playing"
    await wait_for(
        hass,
        lambda: state_of(hass, playing).attributes.get("alarm_id") == alarm_id,
    )
    assert state_of(hass, playing).state == STATE_ON
    assert state_of(hass, playing).attributes["alarm_source"] == "speaker"
    assert log.fired == []
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_rooms_without_avtransport_events_infer_from_alarm_run_sequence(
    hass: HomeAssistant, emulator_household_factory: HouseholdFactory
) -> None:
    """Today's inference stays for a group whose AVTransport events are missing."""
    household = await emulator_household_factory("singles", players=3, seed=14)
    kitchen = household.players[1]
    alarm_id = alarm_at(household, 1, timedelta(0))
    kitchen.faults.drop_events = True
    log = EventLog(hass, kitchen)
    entry = entry_for(household)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    await wait_for(hass, lambda: len(coordinator.data.alarms.alarms) == 1)
    await wait_for_subscriptions(hass, coordinator)
    playing = f"binary_sensor.{slug(kitchen)}_alarm_playing"
    assert state_of(hass, playing).state == STATE_UNAVAILABLE
    # The other players event AlarmRunSequence.
    await wait_for(
        hass,
        lambda: all(
            row["events_seen"]
            for row in subscription_rows(coordinator)
            if row["player"] != kitchen.uuid
        ),
    )

    household.fire_alarm(alarm_id)
    await wait_for(hass, lambda: log.types() == ["alarm_started"])
    assert log.fired[0]["alarm_id"] == alarm_id
    assert log.fired[0]["source"] == "start_time"
    assert state_of(hass, playing).state == STATE_UNAVAILABLE
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_speaker_trouble_is_a_home_assistant_error(
    hass: HomeAssistant, singles: tuple[Household, MockConfigEntry]
) -> None:
    household, entry = singles
    kitchen = household.players[1]
    alarm_id = await alarm_now(hass, household, entry, 1)
    household.fire_alarm(alarm_id)
    playing = f"binary_sensor.{slug(kitchen)}_alarm_playing"
    await wait_for(hass, lambda: state_of(hass, playing).state == STATE_ON)
    await kitchen.go_offline()
    device_id = device_id_of(hass, kitchen.uuid)
    for action, data in (
        ("snooze_alarm", {"device_id": device_id}),
        ("stop_alarm", {"device_id": device_id}),
    ):
        with pytest.raises(HomeAssistantError) as caught:
            await call(hass, action, data)
        assert not isinstance(caught.value, ServiceValidationError)
        assert caught.value.translation_key == "cannot_connect"
    await kitchen.go_online()
