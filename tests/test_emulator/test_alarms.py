"""The household-wide alarm list over SOAP: create, update, destroy, errors."""

from __future__ import annotations

import aiohttp
import pytest
from defusedxml import ElementTree as SafeElementTree

from tests.emulator.household import Household
from tests.emulator.pytest_plugin import HouseholdFactory

from .soap_helper import call

pytestmark = pytest.mark.usefixtures("socket_enabled")


def _alarm_args(room: str, start: str = "07:00:00", **extra: str) -> dict[str, str]:
    return {
        "StartLocalTime": start,
        "Duration": "01:00:00",
        "Recurrence": "DAILY",
        "Enabled": "1",
        "RoomUUID": room,
        "ProgramURI": "x-rincon-buzzer:0",
        "ProgramMetaData": "",
        "PlayMode": "NORMAL",
        "Volume": "20",
        "IncludeLinkedZones": "0",
    } | extra


async def _list(session, player) -> tuple[list[dict[str, str]], str]:
    result = await call(session, player, "AlarmClock", "ListAlarms")
    root = SafeElementTree.fromstring(result.outputs["CurrentAlarmList"])
    assert root.tag == "Alarms"
    return [dict(a.attrib) for a in root], result.outputs["CurrentAlarmListVersion"]


async def test_alarm_state_machine(emulator_household: Household) -> None:
    first, second = emulator_household.players[:2]
    room = first.uuid
    async with aiohttp.ClientSession() as session:
        alarms, version0 = await _list(session, first)
        assert alarms == []
        owner, number = version0.rsplit(":", 1)
        assert owner.startswith("RINCON_")
        created = await call(
            session, first, "AlarmClock", "CreateAlarm", _alarm_args(room)
        )
        alarm_id = created.outputs["AssignedID"]
        alarms, version1 = await _list(session, second)  # household-wide
        assert version1 == f"{owner}:{int(number) + 1}"
        assert alarms == [
            {
                "ID": alarm_id,
                "StartTime": "07:00:00",
                "Duration": "01:00:00",
                "Recurrence": "DAILY",
                "Enabled": "1",
                "RoomUUID": room,
                "ProgramURI": "x-rincon-buzzer:0",
                "ProgramMetaData": "",
                "PlayMode": "NORMAL",
                "Volume": "20",
                "IncludeLinkedZones": "0",
            }
        ]
        duplicate = await call(
            session, second, "AlarmClock", "CreateAlarm", _alarm_args(room)
        )
        assert (duplicate.status, duplicate.error_code) == (500, 801)
        other_room = await call(
            session, second, "AlarmClock", "CreateAlarm", _alarm_args(second.uuid)
        )
        assert other_room.status == 200
        later = await call(
            session, first, "AlarmClock", "CreateAlarm", _alarm_args(room, "08:30:00")
        )
        clash = await call(
            session,
            first,
            "AlarmClock",
            "UpdateAlarm",
            {"ID": later.outputs["AssignedID"]} | _alarm_args(room, "07:00:00"),
        )
        assert clash.error_code == 801
        updated = await call(
            session,
            first,
            "AlarmClock",
            "UpdateAlarm",
            {"ID": alarm_id} | _alarm_args(room, "06:45:00", Recurrence="ON_135"),
        )
        assert updated.status == 200
        alarms, version = await _list(session, first)
        assert version == f"{owner}:{int(number) + 4}"
        mine = next(a for a in alarms if a["ID"] == alarm_id)
        assert (mine["StartTime"], mine["Recurrence"]) == ("06:45:00", "ON_135")
        for action, args in (
            ("UpdateAlarm", {"ID": "999"} | _alarm_args(room, "05:00:00")),
            ("DestroyAlarm", {"ID": "999"}),
        ):
            missing = await call(session, first, "AlarmClock", action, args)
            assert missing.error_code == 800
        for bad in ("ON_7", "SOMETIMES", "ON_"):
            refused = await call(
                session,
                first,
                "AlarmClock",
                "CreateAlarm",
                _alarm_args(room, "09:00:00", Recurrence=bad),
            )
            assert refused.error_code == 402, bad
        bad_time = await call(
            session, first, "AlarmClock", "CreateAlarm", _alarm_args(room, "25:00:00")
        )
        assert bad_time.error_code == 402
        destroyed = await call(
            session, second, "AlarmClock", "DestroyAlarm", {"ID": alarm_id}
        )
        assert destroyed.status == 200
        alarms, version = await _list(session, first)
        assert alarm_id not in {a["ID"] for a in alarms}
        assert version == f"{owner}:{int(number) + 5}"
    assert len(emulator_household.alarms.alarms) == 2


async def test_households_side_by_side_are_independent(
    emulator_household_factory,
) -> None:
    one = await emulator_household_factory("singles", players=2)
    two = await emulator_household_factory("singles", players=2)
    assert one.household_id != two.household_id
    async with aiohttp.ClientSession() as session:
        await call(
            session,
            one.players[0],
            "AlarmClock",
            "CreateAlarm",
            _alarm_args(one.players[0].uuid),
        )
        alarms_two, _ = await _list(session, two.players[0])
        alarms_one, _ = await _list(session, one.players[1])
    assert (len(alarms_one), len(alarms_two)) == (1, 0)


async def test_real_world_alarms_are_served_and_taken_back(
    emulator_household_factory: HouseholdFactory,
) -> None:
    household = await emulator_household_factory("real_world_alarms", seed=3)
    player = household.players[0]
    async with aiohttp.ClientSession() as session:
        alarms, _ = await _list(session, player)
        by_id = [(alarm.get("ID"), alarm.get("StartTime")) for alarm in alarms]
        assert by_id == [
            ("1", "06:00:00"),
            ("2", "06:30:00"),
            ("3", "07:00:00"),
            ("4", "07:30:00"),
            ("5", "08:00:00"),
            ("2", "09:00:00"),  # a second alarm with ID 2
            (None, "10:00:00"),  # no ID
            ("8", None),  # no StartTime
        ]
        odd = {alarm["ID"]: alarm for alarm in alarms[:5]}
        assert odd["1"]["Duration"] == ""
        assert (odd["2"]["PlayMode"], odd["3"]["PlayMode"]) == (
            "REPEAT_ONE",
            "SHUFFLE_REPEAT_ONE",
        )
        assert (odd["4"]["Recurrence"], odd["5"]["Recurrence"]) == (
            "ON_1135",
            "EVERY_OTHER_DAY",
        )

        # A player takes back what it stores, changed in one field only.
        for alarm_id, alarm in odd.items():
            sent = {name: value for name, value in alarm.items() if name != "ID"}
            sent["StartLocalTime"] = sent.pop("StartTime")
            sent["Enabled"] = "0" if alarm["Enabled"] == "1" else "1"
            result = await call(
                session, player, "AlarmClock", "UpdateAlarm", {"ID": alarm_id} | sent
            )
            assert result.status == 200, alarm_id
        # A recurrence it does not know is refused for new alarms and changes.
        room = player.uuid
        refused = await call(
            session,
            player,
            "AlarmClock",
            "CreateAlarm",
            _alarm_args(room, "11:00:00", Recurrence="EVERY_OTHER_DAY"),
        )
        assert refused.error_code == 402
        changed = await call(
            session,
            player,
            "AlarmClock",
            "UpdateAlarm",
            {"ID": "1"} | _alarm_args(room, "06:00:00", Recurrence="EVERY_OTHER_DAY"),
        )
        assert changed.error_code == 402
        # SoCo's play modes and "no duration" are fine for new alarms too.
        created = await call(
            session,
            player,
            "AlarmClock",
            "CreateAlarm",
            _alarm_args(room, "11:00:00", Duration="", PlayMode="REPEAT_ONE"),
        )
        assert created.status == 200
        assert created.outputs["AssignedID"] == "9"
    assert [alarm.enabled for alarm in household.alarms.alarms[:5]] == [
        False,
        False,
        True,
        False,
        False,
    ]
