"""The emulator's documents against payloads captured from real players.

Reads ../shared/sonos/captures (skips where that folder is absent).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import aiohttp
import pytest
from defusedxml import ElementTree as SafeElementTree

from tests.emulator.household import Household

from .soap_helper import call

CAPTURES = Path(__file__).parents[2] / ".." / "shared" / "sonos" / "captures"
pytestmark = [
    pytest.mark.usefixtures("socket_enabled"),
    pytest.mark.skipif(
        not CAPTURES.is_dir(), reason=f"captures folder {CAPTURES} is absent"
    ),
]
DEVICE = "{urn:schemas-upnp-org:device-1-0}"


def _capture(name: str) -> str:
    return (CAPTURES / name).read_text(encoding="utf-8")


def _inner(document: str, tag: str) -> str:
    match = re.search(rf"<{tag}>(.*)</{tag}>", document, re.DOTALL)
    assert match, tag
    return html.unescape(match.group(1)).strip()


async def test_zone_group_state_has_the_real_attributes(
    emulator_household_factory,
) -> None:
    real = SafeElementTree.fromstring(
        _inner(
            _capture("nst__zone-group.GroupState.ChannelMapSet.home-theater.xml"),
            "ZoneGroupState",
        )
    )
    household: Household = await emulator_household_factory("home_theater")
    async with aiohttp.ClientSession() as session:
        result = await call(
            session, household.players[4], "ZoneGroupTopology", "GetZoneGroupState"
        )
    ours = SafeElementTree.fromstring(result.outputs["ZoneGroupState"])
    assert ours.tag == real.tag == "ZoneGroupState"
    assert [c.tag for c in ours] == [c.tag for c in real]
    for tag in ("ZoneGroupMember", "Satellite"):
        real_attributes = set(next(real.iter(tag)).attrib)
        our_attributes = set(next(ours.iter(tag)).attrib)
        assert real_attributes <= our_attributes, real_attributes - our_attributes


async def test_alarm_list_has_the_real_attributes(emulator_household) -> None:
    real = SafeElementTree.fromstring(
        _inner(_capture("nst__alarm-service.ListAlarms.xml"), "CurrentAlarmList")
    )
    player = emulator_household.players[0]
    async with aiohttp.ClientSession() as session:
        created = await call(
            session,
            player,
            "AlarmClock",
            "CreateAlarm",
            {
                "StartLocalTime": "07:00:00",
                "Duration": "01:00:00",
                "Recurrence": "DAILY",
                "Enabled": "1",
                "RoomUUID": player.uuid,
                "ProgramURI": "x-rincon-buzzer:0",
                "ProgramMetaData": "",
                "PlayMode": "NORMAL",
                "Volume": "20",
                "IncludeLinkedZones": "0",
            },
        )
        assert created.status == 200
        result = await call(session, player, "AlarmClock", "ListAlarms")
    ours = SafeElementTree.fromstring(result.outputs["CurrentAlarmList"])
    assert list(next(ours.iter("Alarm")).attrib) == list(
        next(real.iter("Alarm")).attrib
    )
    real_version = _inner(
        _capture("nst__alarm-service.ListAlarms.xml"), "CurrentAlarmListVersion"
    )
    pattern = r"RINCON_[0-9A-F]+:\d+"
    assert re.fullmatch(pattern, real_version)
    assert re.fullmatch(pattern, result.outputs["CurrentAlarmListVersion"])


async def test_device_description_has_the_real_elements(emulator_player) -> None:
    # The capture carries template placeholders (#DEACTIVATION...#) as text.
    real = SafeElementTree.fromstring(_capture("nst__device_description.xml").encode())
    async with (
        aiohttp.ClientSession() as session,
        session.get(emulator_player.location) as response,
    ):
        ours = SafeElementTree.fromstring(await response.read())
    essential = {
        "deviceType", "friendlyName", "manufacturer", "modelNumber", "modelName",
        "softwareVersion", "swGen", "hardwareVersion", "serialNum", "UDN",
        "roomName", "displayName", "serviceList", "deviceList", "MACAddress",
    }  # fmt: skip
    real_tags = {c.tag.removeprefix(DEVICE) for c in real.find(f"{DEVICE}device")}
    our_tags = {c.tag.removeprefix(DEVICE) for c in ours.find(f"{DEVICE}device")}
    assert essential <= real_tags
    assert essential <= our_tags
    real_subdevices = [
        d.findtext(f"{DEVICE}deviceType")
        for d in real.find(f"{DEVICE}device/{DEVICE}deviceList")
    ]
    our_subdevices = [
        d.findtext(f"{DEVICE}deviceType")
        for d in ours.find(f"{DEVICE}device/{DEVICE}deviceList")
    ]
    assert our_subdevices == real_subdevices


@pytest.mark.parametrize(
    ("capture", "service"),
    [
        ("nst__alarmclock.event.xml", "AlarmClock"),
        ("nst__deviceproperties.event.xml", "DeviceProperties"),
    ],
)
def test_evented_variables_cover_the_real_events(
    emulator_household, capture: str, service: str
) -> None:
    real = SafeElementTree.fromstring(_capture(capture).encode())
    real_names = {child.tag for prop in real for child in prop}
    ours = set(emulator_household.players[0].event_values(service))
    assert real_names <= ours, real_names - ours
