"""SonosUpnpClient against the emulated household (tests/emulator).

The emulator is built from the catalog with its own parsing, so these tests
check the client and the emulator against each other over real HTTP.
"""

from collections.abc import AsyncIterator

import aiohttp
import pytest

from custom_components.sonos_upnp.upnp.catalog import (
    INTEGER_RANGES,
    SERVICES,
    SERVICES_BY_NAME,
)
from custom_components.sonos_upnp.upnp.catalog_types import Action, Argument, Service
from custom_components.sonos_upnp.upnp.client import SonosUpnpClient
from custom_components.sonos_upnp.upnp.exceptions import (
    AlarmNotFoundError,
    DuplicateAlarmError,
    UpnpConnectionError,
    UpnpError,
    UpnpResponseError,
)
from tests.emulator.household import Household
from tests.emulator.player import Player

from .conftest import sample_input

ALARM = {
    "StartLocalTime": "07:30:00",
    "Duration": "00:30:00",
    "Recurrence": "ON_1245",
    "Enabled": True,
    "ProgramURI": "x-rincon-buzzer:0",
    "ProgramMetaData": "",
    "PlayMode": "SHUFFLE_NOREPEAT",
    "Volume": 25,
    "IncludeLinkedZones": False,
}
# Run after the actions that create what they remove.
LAST = {("AlarmClock", "DestroyAlarm"), ("GroupManagement", "RemoveMember")}


@pytest.fixture
async def amp_household(socket_enabled: None) -> AsyncIterator[Household]:
    """Three players, the first an Amp: it has a TV input and a line-in, so
    its autoplay actions answer too (players without the input refuse them)."""
    household = Household(seed=2)
    for room, model in (("Living Room", "S16"), ("Kitchen", "S13"), ("Den", "S18")):
        household.add_player(room, model)
    async with household:
        yield household


@pytest.fixture
async def client(socket_enabled: None) -> AsyncIterator[SonosUpnpClient]:
    async with aiohttp.ClientSession() as session:
        yield SonosUpnpClient(session, timeout=5.0)


def _assert_typed(argument: Argument, value: object) -> None:
    if argument.data_type in INTEGER_RANGES:
        low, high = INTEGER_RANGES[argument.data_type]
        assert type(value) is int, argument
        assert low <= value <= high, argument
    elif argument.data_type == "boolean":
        assert type(value) is bool, argument
    else:
        assert type(value) is str, argument


def _arguments(
    service: Service, action: Action, household: Household, state: dict[str, int]
) -> dict[str, object]:
    """Valid arguments, with real values where the emulator keeps state."""
    args = {a.name: sample_input(a, 2)[0] for a in action.inputs}
    owner, member = household.players[0], household.players[1]
    match service.name, action.name:
        case "AlarmClock", "CreateAlarm":
            args |= ALARM | {"RoomUUID": owner.uuid}
        case "AlarmClock", "UpdateAlarm":
            args |= ALARM | {"RoomUUID": owner.uuid, "ID": state["alarm"]}
        case "AlarmClock", "DestroyAlarm":
            args["ID"] = state["alarm"]
        case "AlarmClock", "SetTimeNow":
            args["DesiredTime"] = "2026-11-21 13:00:00"
        case "GroupManagement", "AddMember" | "RemoveMember":
            args["MemberID"] = member.uuid
        case "DeviceProperties", _ if "Source" in args:
            args["Source"] = "TV"
    return args


async def test_every_action_on_an_emulated_player(
    amp_household: Household, client: SonosUpnpClient
) -> None:
    """All 206 catalog actions answer typed outputs through SonosUpnpClient.call."""
    emulator_household = amp_household
    player = emulator_household.players[0]
    state: dict[str, int] = {}
    ordered = sorted(
        ((s, a) for s in SERVICES for a in s.actions),
        key=lambda pair: (pair[0].name, pair[1].name) in LAST,
    )
    called = []
    for service, action in ordered:
        args = _arguments(service, action, emulator_household, state)
        outputs = await client.call(
            player.host, player.port, service.name, action.name, args
        )
        assert list(outputs) == [a.name for a in action.outputs]
        for argument in action.outputs:
            _assert_typed(argument, outputs[argument.name])
        if action.name == "CreateAlarm":
            state["alarm"] = outputs["AssignedID"]
        called.append(f"{service.name}.{action.name}")
    assert len(set(called)) == 206
    assert player.requests_served >= 206
    # The state the calls changed is visible in the emulator.
    assert emulator_household.alarms.alarms == ()
    assert (
        emulator_household.players[1].group_coordinator is emulator_household.players[1]
    )


async def test_state_round_trips(
    emulator_household: Household, client: SonosUpnpClient
) -> None:
    player = emulator_household.players[0]
    host, port = player.host, player.port
    await client.call(
        host,
        port,
        "RenderingControl",
        "SetVolume",
        {"Channel": "Master", "DesiredVolume": 37},
    )
    await client.call(
        host,
        port,
        "RenderingControl",
        "SetMute",
        {"Channel": "Master", "DesiredMute": "true"},
    )
    assert (player.volume, player.mute) == (37, True)
    assert await client.call(
        host, port, "RenderingControl", "GetVolume", {"Channel": "Master"}
    ) == {"CurrentVolume": 37}
    assert await client.call(
        host, port, "RenderingControl", "GetMute", {"Channel": "Master"}
    ) == {"CurrentMute": True}
    assert await client.household_id(host, port) == emulator_household.household_id
    attributes = await client.call(host, port, "DeviceProperties", "GetZoneAttributes")
    assert attributes["CurrentZoneName"] == player.room_name


async def test_description_and_scpds_of_an_emulated_player(
    emulator_player: Player, client: SonosUpnpClient
) -> None:
    host, port = emulator_player.host, emulator_player.port
    description = await client.device_description(host, port)
    assert description.udn == emulator_player.uuid
    assert description.room_name == emulator_player.room_name
    assert description.model_number == emulator_player.model.model
    assert description.software_version == emulator_player.software_version
    by_type = {s.service_type: s for s in SERVICES}
    assert description.services
    for described in description.services:
        service = by_type[described.service_type]
        assert described.control_url == service.control_url
        actions = await client.scpd_actions(host, port, service.name)
        assert [a.name for a in actions] == list(service.action_names)
        for parsed, action in zip(actions, service.actions, strict=True):
            assert [(a.name, a.data_type) for a in parsed.inputs] == [
                (a.name, a.data_type) for a in action.inputs
            ]
            assert [(a.name, a.data_type) for a in parsed.outputs] == [
                (a.name, a.data_type) for a in action.outputs
            ]


async def test_alarm_faults_from_the_emulator(
    emulator_household: Household, client: SonosUpnpClient
) -> None:
    player = emulator_household.players[0]
    host, port = player.host, player.port
    alarm = ALARM | {"RoomUUID": player.uuid}
    created = await client.call(host, port, "AlarmClock", "CreateAlarm", alarm)
    assert [a.id for a in emulator_household.alarms.alarms] == [created["AssignedID"]]
    with pytest.raises(DuplicateAlarmError) as duplicate:
        await client.call(host, port, "AlarmClock", "CreateAlarm", alarm)
    assert (duplicate.value.code, duplicate.value.label) == (
        801,
        "Duplicate alarm time",
    )
    with pytest.raises(AlarmNotFoundError) as missing:
        await client.call(host, port, "AlarmClock", "DestroyAlarm", {"ID": 999})
    assert missing.value.code == 800
    with pytest.raises(AlarmNotFoundError):
        await client.call(host, port, "AlarmClock", "UpdateAlarm", alarm | {"ID": 999})
    with pytest.raises(UpnpError) as invalid:
        await client.call(
            host, port, "AlarmClock", "CreateAlarm", alarm | {"StartLocalTime": "7am"}
        )
    assert type(invalid.value) is UpnpError
    assert (invalid.value.code, invalid.value.label) == (402, "Invalid args")


async def test_zone_group_state_501(
    emulator_player: Player, client: SonosUpnpClient
) -> None:
    emulator_player.faults.zone_group_state_501 = True
    with pytest.raises(UpnpError) as err:
        await client.call(
            emulator_player.host,
            emulator_player.port,
            "ZoneGroupTopology",
            "GetZoneGroupState",
        )
    assert (err.value.code, err.value.label) == (501, "Action failed")
    assert SERVICES_BY_NAME["ZoneGroupTopology"].action("GetZoneGroupState")


async def test_malformed_and_oversized_answers(
    emulator_player: Player, socket_enabled: None
) -> None:
    host, port = emulator_player.host, emulator_player.port
    async with aiohttp.ClientSession() as session:
        client = SonosUpnpClient(session, timeout=5.0, max_body_bytes=64 * 1024)
        emulator_player.faults.malformed_responses = 1
        with pytest.raises(UpnpResponseError):
            await client.call(host, port, "DeviceProperties", "GetHouseholdID")
        emulator_player.faults.oversized_responses = 1
        emulator_player.faults.oversized_bytes = 256 * 1024
        with pytest.raises(UpnpResponseError, match="exceeds 65536"):
            await client.call(host, port, "DeviceProperties", "GetHouseholdID")
        # The faults were one-shot: the next call works.
        assert await client.household_id(host, port)


async def test_unresponsive_and_offline_players(
    emulator_player: Player, socket_enabled: None
) -> None:
    host, port = emulator_player.host, emulator_player.port
    async with aiohttp.ClientSession() as session:
        client = SonosUpnpClient(session, timeout=0.2)
        emulator_player.faults.set_unresponsive(True)
        with pytest.raises(UpnpConnectionError, match="timed out"):
            await client.household_id(host, port)
        emulator_player.faults.set_unresponsive(False)
        emulator_player.faults.clear()
        await emulator_player.go_offline()
        with pytest.raises(UpnpConnectionError, match=f"{host}:{port}"):
            await client.household_id(host, port)
        await emulator_player.go_online()
        assert await client.household_id(host, port)
