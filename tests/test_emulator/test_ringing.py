"""The emulator plays alarms like a speaker: AVTransport's alarm variables."""

from __future__ import annotations

import aiohttp
import pytest

from custom_components.sonos_upnp.upnp.catalog import get_service
from custom_components.sonos_upnp.upnp.events import parse_last_change
from tests.emulator.alarms import Alarm
from tests.emulator.household import Household
from tests.emulator.player import Player
from tests.emulator.pytest_plugin import HouseholdFactory

from .notify_sink import NotifySink
from .soap_helper import SoapResult, call
from .test_gena import subscribe

pytestmark = pytest.mark.usefixtures("socket_enabled")
AVT = "AVTransport"


def alarm_variables(notify_values: dict[str, str]) -> tuple[str, str, str]:
    """Return AlarmRunning, SnoozeRunning, RestartPending of a NOTIFY."""
    values = parse_last_change(notify_values["LastChange"])
    return values["AlarmRunning"], values["SnoozeRunning"], values["RestartPending"]


async def avt(
    session: aiohttp.ClientSession, player: Player, action: str, **args: str
) -> SoapResult:
    """Call an AVTransport action of instance 0."""
    return await call(session, player, AVT, action, {"InstanceID": "0", **args})


def add_alarm(household: Household, room: int, duration: str) -> int:
    """Create an alarm of the room in the household."""
    alarm = household.alarms.create(
        Alarm(
            id=0,
            start_time="07:00:00",
            duration=duration,
            recurrence="DAILY",
            enabled=True,
            room_uuid=household.players[room].uuid,
        )
    )
    return alarm.id


async def test_alarm_rings_snoozes_restarts_and_stops_for_the_group(
    emulator_household_factory: HouseholdFactory, notify_sink: NotifySink
) -> None:
    household = await emulator_household_factory("groups", seed=3)
    living, kitchen = household.players[:2]
    assert kitchen.group_coordinator is living
    alarm_id = add_alarm(household, 0, "01:00:00")
    async with aiohttp.ClientSession() as session:
        # A member's AVTransport reports its group's (the coordinator's) state.
        await subscribe(
            session, kitchen.base_url + get_service(AVT).event_url, notify_sink.url
        )
        assert alarm_variables((await notify_sink.next()).values) == ("0", "0", "0")

        async with session.post(
            kitchen.base_url + "/emulator/fault",
            json={"fault": "fire_alarm", "alarm_id": alarm_id},
        ) as response:
            assert response.status == 200
        assert alarm_variables((await notify_sink.next()).values) == ("1", "0", "0")
        assert living.transport_state == "PLAYING"

        running = await avt(session, kitchen, "GetRunningAlarmProperties")
        assert running.outputs["AlarmID"] == str(alarm_id)
        assert running.outputs["GroupID"] == household.group_id(living)
        assert running.outputs["LoggedStartTime"]

        # Only the coordinator snoozes.
        refused = await avt(session, kitchen, "SnoozeAlarm", Duration="0:00:01")
        assert refused.error_code == 800
        bad = await avt(session, living, "SnoozeAlarm", Duration="soon")
        assert bad.error_code == 402
        snoozed = await avt(session, living, "SnoozeAlarm", Duration="0:00:01")
        assert snoozed.status == 200
        assert alarm_variables((await notify_sink.next()).values) == ("0", "1", "1")
        assert living.transport_state == "STOPPED"
        again = await avt(session, living, "SnoozeAlarm", Duration="0:00:01")
        assert again.error_code == 701
        # After the snooze it rings again.
        assert alarm_variables((await notify_sink.next()).values) == ("1", "0", "0")
        assert living.transport_state == "PLAYING"

        stopped = await avt(session, living, "Stop")
        assert stopped.status == 200
        assert alarm_variables((await notify_sink.next()).values) == ("0", "0", "0")
        running = await avt(session, kitchen, "GetRunningAlarmProperties")
        assert running.outputs["AlarmID"] == "0"


async def test_duration_ends_the_alarm_and_faults_refuse_properties(
    emulator_household: Household, notify_sink: NotifySink
) -> None:
    player = emulator_household.players[0]
    alarm_id = add_alarm(emulator_household, 0, "00:00:01")
    async with aiohttp.ClientSession() as session:
        await subscribe(
            session, player.base_url + get_service(AVT).event_url, notify_sink.url
        )
        await notify_sink.next()
        emulator_household.fire_alarm(alarm_id)
        assert alarm_variables((await notify_sink.next()).values) == ("1", "0", "0")
        assert alarm_variables((await notify_sink.next()).values) == ("0", "0", "0")
        assert player.transport_state == "STOPPED"

        async with session.post(
            player.base_url + "/emulator/fault",
            json={"fault": "running_alarm_error", "code": 401},
        ) as response:
            assert response.status == 200
        refused = await avt(session, player, "GetRunningAlarmProperties")
        assert refused.error_code == 401
        async with session.post(
            player.base_url + "/emulator/fault",
            json={"fault": "running_alarm_error", "code": None},
        ) as response:
            assert response.status == 200
        answered = await avt(session, player, "GetRunningAlarmProperties")
        assert answered.outputs["AlarmID"] == "0"
