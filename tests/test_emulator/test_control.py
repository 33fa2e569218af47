"""SOAP control of the emulator: every action, validation, typed outputs."""

from __future__ import annotations

import re

import aiohttp
import pytest
from defusedxml import ElementTree as SafeElementTree

from custom_components.sonos_upnp.upnp.catalog import (
    INTEGER_RANGES,
    SERVICES,
    get_service,
)
from tests.emulator.household import Household
from tests.emulator.player import Player
from tests.emulator.values import default_value, format_value

from .soap_helper import SoapResult, call, envelope

pytestmark = pytest.mark.usefixtures("socket_enabled")


def _valid_overrides(household: Household) -> dict[tuple[str, str], dict[str, str]]:
    """Arguments a real speaker needs beyond typed defaults."""
    other = household.players[1].uuid
    alarm = {
        "StartLocalTime": "07:00:00",
        "Duration": "01:00:00",
        "Recurrence": "DAILY",
        "RoomUUID": household.players[0].uuid,
    }
    return {
        ("AlarmClock", "CreateAlarm"): alarm,
        ("AlarmClock", "UpdateAlarm"): {**alarm, "ID": "1"},
        ("AlarmClock", "DestroyAlarm"): {"ID": "1"},
        ("AlarmClock", "SetTimeNow"): {"DesiredTime": "2026-01-02 03:04:05"},
        ("DeviceProperties", "SetZoneAttributes"): {"DesiredZoneName": "Den"},
        ("GroupManagement", "AddMember"): {"MemberID": other},
        ("GroupManagement", "RemoveMember"): {"MemberID": other},
    } | {
        ("DeviceProperties", action.name): {"Source": "TV"}
        for action in get_service("DeviceProperties").actions
        if action.input("Source") is not None
    }


def _check_type(data_type: str, allowed: tuple[str, ...], text: str) -> None:
    if data_type in INTEGER_RANGES:
        assert re.fullmatch(r"-?\d+", text), text
        low, high = INTEGER_RANGES[data_type]
        assert low <= int(text) <= high
    elif data_type == "boolean":
        assert text in {"0", "1"}
    elif allowed:
        assert text in allowed


async def test_every_action_answers_typed_outputs() -> None:
    # An Amp has every input (TV and line-in), so even autoplay answers.
    household = Household(seed=3)
    player = household.add_player("Living Room", "S16")
    household.add_player("Kitchen")
    async with household:
        await _every_action_answers_typed_outputs(household, player)


async def _every_action_answers_typed_outputs(
    household: Household, player: Player
) -> None:
    overrides = _valid_overrides(household)
    order = [
        (service, action)
        for service in SERVICES
        for action in service.actions
        if (service.name, action.name) != ("AlarmClock", "DestroyAlarm")
    ]
    alarm_clock = next(s for s in SERVICES if s.name == "AlarmClock")
    order.append((alarm_clock, alarm_clock.action("DestroyAlarm")))
    answered = 0
    async with aiohttp.ClientSession() as session:
        for service, action in order:
            args = {
                arg.name: format_value(arg.data_type, default_value(arg))
                for arg in action.inputs
            }
            args |= overrides.get((service.name, action.name), {})
            result = await call(session, player, service.name, action.name, args)
            assert result.status == 200, (service.name, action.name, result.body)
            assert (
                result.response_tag
                == f"{{{service.service_type}}}{action.name}Response"
            )
            assert result.names == [arg.name for arg in action.outputs]
            for arg in action.outputs:
                _check_type(arg.data_type, arg.allowed_values, result.outputs[arg.name])
            answered += 1
    assert answered == 206


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"InstanceID": "0", "Channel": "Master"}, 402),  # missing DesiredVolume
        ({"InstanceID": "0", "Channel": "Master", "DesiredVolume": "loud"}, 402),
        ({"InstanceID": "0", "Channel": "Master", "DesiredVolume": "70000"}, 402),
        ({"InstanceID": "-1", "Channel": "Master", "DesiredVolume": "5"}, 402),
        ({"InstanceID": "0", "Channel": "Middle", "DesiredVolume": "5"}, 402),
    ],
)
async def test_invalid_arguments_fault_402(
    emulator_player, args: dict[str, str], code: int
) -> None:
    async with aiohttp.ClientSession() as session:
        result = await call(
            session, emulator_player, "RenderingControl", "SetVolume", args
        )
    assert result.status == 500
    assert result.error_code == code
    assert result.description == []  # Sonos sends the code only


@pytest.mark.parametrize(
    ("service", "action", "extra", "outputs"),
    [
        # What SoCo sends: Channel on actions that declare only InstanceID.
        (
            "AVTransport",
            "GetPositionInfo",
            {"Channel": "Master"},
            {"RelTime": "0:00:00"},
        ),
        ("RenderingControl", "GetBass", {"Channel": "Master"}, {"CurrentBass": "4"}),
        ("RenderingControl", "GetTreble", {"Channel": "LF"}, {"CurrentTreble": "-3"}),
        (
            "RenderingControl",
            "GetMute",
            {"Channel": "Master", "X": "1"},
            {"CurrentMute": "0"},
        ),
    ],
)
async def test_undeclared_arguments_are_ignored_like_real_players(
    emulator_player,
    service: str,
    action: str,
    extra: dict[str, str],
    outputs: dict[str, str],
) -> None:
    emulator_player.bass = 4
    emulator_player.treble = -3
    args = {"InstanceID": "0"} | extra
    async with aiohttp.ClientSession() as session:
        result = await call(session, emulator_player, service, action, args)
    assert result.status == 200, result.body
    assert result.outputs.items() >= outputs.items()
    assert result.names == [a.name for a in get_service(service).action(action).outputs]


async def test_unknown_action_and_wrong_header_fault_401(emulator_player) -> None:
    async with aiohttp.ClientSession() as session:
        unknown = await call(session, emulator_player, "RenderingControl", "Explode")
        wrong_type = await call(
            session,
            emulator_player,
            "RenderingControl",
            "GetVolume",
            {"InstanceID": "0", "Channel": "Master"},
            soapaction='"urn:schemas-upnp-org:service:AVTransport:1#GetVolume"',
        )
        garbage = await call(
            session, emulator_player, "RenderingControl", "GetMute", body=b"<<not xml"
        )
        mismatch = await call(
            session,
            emulator_player,
            "RenderingControl",
            "GetMute",
            body=envelope(
                "urn:schemas-upnp-org:service:RenderingControl:1", "GetBass", {}
            ),
        )
    assert [r.error_code for r in (unknown, wrong_type, garbage, mismatch)] == [401] * 4
    assert {r.status for r in (unknown, wrong_type, garbage, mismatch)} == {500}


async def test_volume_mute_and_zone_attributes_keep_state(emulator_player) -> None:
    async with aiohttp.ClientSession() as session:
        await call(
            session,
            emulator_player,
            "RenderingControl",
            "SetVolume",
            {"InstanceID": "0", "Channel": "Master", "DesiredVolume": "37"},
        )
        await call(
            session,
            emulator_player,
            "RenderingControl",
            "SetMute",
            {"InstanceID": "0", "Channel": "Master", "DesiredMute": "1"},
        )
        volume = await call(
            session,
            emulator_player,
            "RenderingControl",
            "GetVolume",
            {"InstanceID": "0", "Channel": "Master"},
        )
        mute = await call(
            session,
            emulator_player,
            "RenderingControl",
            "GetMute",
            {"InstanceID": "0", "Channel": "Master"},
        )
        await call(
            session,
            emulator_player,
            "DeviceProperties",
            "SetZoneAttributes",
            {
                "DesiredZoneName": "Studio",
                "DesiredIcon": "",
                "DesiredConfiguration": "",
                "DesiredTargetRoomName": "",
            },
        )
        zone = await call(
            session, emulator_player, "DeviceProperties", "GetZoneAttributes"
        )
        await call(
            session,
            emulator_player,
            "DeviceProperties",
            "SetLEDState",
            {"DesiredLEDState": "Off"},
        )
        led = await call(session, emulator_player, "DeviceProperties", "GetLEDState")
        household_id = await call(
            session, emulator_player, "DeviceProperties", "GetHouseholdID"
        )
        info = await call(session, emulator_player, "DeviceProperties", "GetZoneInfo")
    assert volume.outputs["CurrentVolume"] == "37"
    assert mute.outputs["CurrentMute"] == "1"
    assert zone.outputs["CurrentZoneName"] == "Studio"
    assert led.outputs["CurrentLEDState"] == "Off"
    assert (
        household_id.outputs["CurrentHouseholdID"]
        == emulator_player.household.household_id
    )
    assert re.fullmatch(
        r"Sonos_[A-Za-z0-9]+", household_id.outputs["CurrentHouseholdID"]
    )
    assert info.outputs["SerialNumber"] == emulator_player.serial
    assert info.outputs["MACAddress"] == emulator_player.mac


async def test_time_settings_keep_state(emulator_player) -> None:
    async with aiohttp.ClientSession() as session:
        await call(
            session,
            emulator_player,
            "AlarmClock",
            "SetFormat",
            {"DesiredTimeFormat": "12H", "DesiredDateFormat": "MDY"},
        )
        await call(
            session,
            emulator_player,
            "AlarmClock",
            "SetTimeZone",
            {"Index": "7", "AutoAdjustDst": "0"},
        )
        await call(
            session,
            emulator_player,
            "AlarmClock",
            "SetTimeNow",
            {"DesiredTime": "2030-06-01 10:00:00", "TimeZoneForDesiredTime": ""},
        )
        other = emulator_player.household.players[1]
        fmt = await call(session, other, "AlarmClock", "GetFormat")
        zone = await call(session, other, "AlarmClock", "GetTimeZone")
        now = await call(session, other, "AlarmClock", "GetTimeNow")
        bad = await call(
            session,
            emulator_player,
            "AlarmClock",
            "SetTimeNow",
            {"DesiredTime": "tomorrow", "TimeZoneForDesiredTime": ""},
        )
    assert (fmt.outputs["CurrentTimeFormat"], fmt.outputs["CurrentDateFormat"]) == (
        "12H",
        "MDY",
    )
    assert zone.outputs == {"Index": "7", "AutoAdjustDst": "0"}
    assert now.outputs["CurrentLocalTime"].startswith("2030-06-01 10:0")
    assert bad.error_code == 402


async def test_embedded_documents_are_escaped_like_sonos(emulator_player) -> None:
    async with aiohttp.ClientSession() as session:
        result = await call(
            session, emulator_player, "ZoneGroupTopology", "GetZoneGroupState"
        )
    assert (
        b"&lt;ZoneGroupState&gt;&lt;ZoneGroups&gt;&lt;ZoneGroup Coordinator=&quot;"
        in (result.body)
    )


async def test_group_volume_and_mute(emulator_household_factory) -> None:
    household = await emulator_household_factory("groups")
    living, kitchen = household.players[:2]
    living.volume, kitchen.volume = 10, 30
    async with aiohttp.ClientSession() as session:
        await call(
            session,
            kitchen,
            "GroupRenderingControl",
            "SetGroupVolume",
            {"InstanceID": "0", "DesiredVolume": "40"},
        )
        group = await call(
            session,
            living,
            "GroupRenderingControl",
            "GetGroupVolume",
            {"InstanceID": "0"},
        )
        relative = await call(
            session,
            living,
            "GroupRenderingControl",
            "SetRelativeGroupVolume",
            {"InstanceID": "0", "Adjustment": "-5"},
        )
        await call(
            session,
            living,
            "GroupRenderingControl",
            "SetGroupMute",
            {"InstanceID": "0", "DesiredMute": "1"},
        )
        mute = await call(
            session,
            kitchen,
            "GroupRenderingControl",
            "GetGroupMute",
            {"InstanceID": "0"},
        )
    assert group.outputs["CurrentVolume"] == "40"
    assert (living.volume, kitchen.volume) == (25, 45)
    assert relative.outputs["NewVolume"] == "35"
    assert mute.outputs["CurrentMute"] == "1"
    assert household.players[2].mute is False


async def test_large_bodies_are_read_whole_and_capped(emulator_player) -> None:
    big_metadata = "<DIDL-Lite>" + "x" * 200_000 + "</DIDL-Lite>"
    async with aiohttp.ClientSession() as session:
        accepted = await call(
            session,
            emulator_player,
            "AVTransport",
            "SetAVTransportURI",
            {
                "InstanceID": "0",
                "CurrentURI": "x-file:1",
                "CurrentURIMetaData": big_metadata,
            },
        )
        service = "urn:schemas-upnp-org:service:AVTransport:1"
        huge = envelope(
            service,
            "SetAVTransportURI",
            {"InstanceID": "0", "CurrentURI": "x", "CurrentURIMetaData": "y" * 400_000},
        )
        async with session.post(
            emulator_player.base_url + "/MediaRenderer/AVTransport/Control",
            data=huge,
            headers={"SOAPACTION": f'"{service}#SetAVTransportURI"'},
        ) as response:
            refused = response.status
    assert accepted.status == 200
    assert emulator_player.current_uri_metadata == big_metadata
    assert refused == 413


@pytest.mark.parametrize(
    ("service", "args"),
    [
        (
            "ContentDirectory",
            {
                "ObjectID": "FV:2",
                "BrowseFlag": "BrowseDirectChildren",
                "Filter": "dc:title,res,dc:creator,upnp:artist,upnp:album",
                "StartingIndex": "0",
                "RequestedCount": "100",
                "SortCriteria": "",
            },
        ),
        ("Queue", {"QueueID": "0", "StartingIndex": "0", "RequestedCount": "100"}),
    ],
)
async def test_empty_browse_answers_an_empty_didl_document(
    emulator_player, service: str, args: dict[str, str]
) -> None:
    async with aiohttp.ClientSession() as session:
        result = await call(session, emulator_player, service, "Browse", args)
    assert result.status == 200, result.body
    didl = SafeElementTree.fromstring(result.outputs["Result"])
    assert didl.tag == "{urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/}DIDL-Lite"
    assert len(didl) == 0
    assert (result.outputs["NumberReturned"], result.outputs["TotalMatches"]) == (
        "0",
        "0",
    )


@pytest.mark.parametrize(
    ("model", "tv", "line_in"),
    [
        ("S13", False, False),  # One: neither input
        ("Sub", False, False),
        ("S14", True, False),  # Beam: HDMI
        ("S36", True, False),  # Ray: optical
        ("S39", False, True),  # Era 100: line-in
        ("S6", False, True),  # Play:5: line-in
        ("S16", True, True),  # Amp: both
    ],
)
async def test_autoplay_answers_only_for_the_inputs_a_model_has(
    model: str, tv: bool, line_in: bool
) -> None:
    household = Household(seed=5)
    player = household.add_player("Den", model)
    async with household, aiohttp.ClientSession() as session:

        async def autoplay(action: str, source: str, **args: str) -> SoapResult:
            return await call(
                session, player, "DeviceProperties", action, {**args, "Source": source}
            )

        for source, present in (("TV", tv), ("LineIn", line_in)):
            room = await autoplay("GetAutoplayRoomUUID", source)
            linked = await autoplay("GetAutoplayLinkedZones", source)
            stored = await autoplay("SetAutoplayRoomUUID", source, RoomUUID=player.uuid)
            if not present:
                assert {r.error_code for r in (room, linked, stored)} == {402}
                continue
            assert room.outputs == {"RoomUUID": ""}
            assert linked.outputs == {"IncludeLinkedZones": "1"}
            await autoplay("SetAutoplayLinkedZones", source, IncludeLinkedZones="0")
            await autoplay("SetAutoplayVolume", source, Volume="40")
            await autoplay("SetUseAutoplayVolume", source, UseVolume="1")
            assert (await autoplay("GetAutoplayRoomUUID", source)).outputs == {
                "RoomUUID": player.uuid
            }
            assert (await autoplay("GetAutoplayLinkedZones", source)).outputs == {
                "IncludeLinkedZones": "0"
            }
            assert (await autoplay("GetAutoplayVolume", source)).outputs == {
                "CurrentVolume": "40"
            }
            assert (await autoplay("GetUseAutoplayVolume", source)).outputs == {
                "UseVolume": "1"
            }
        unknown = await autoplay("GetAutoplayRoomUUID", "Bluetooth")
    assert unknown.error_code == 402
