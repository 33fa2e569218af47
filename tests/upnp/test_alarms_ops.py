"""Tests of the alarm operations: a recording fake caller, then an emulated household.

The fake caller checks what the operations send and how they read answers
(the SOAP layer has its own tests). The emulator tests run the same operations
over real HTTP through SonosUpnpClient against the emulated AlarmClock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import aiohttp
import pytest
from aiohttp import web

from custom_components.sonos_upnp.upnp.alarms import (
    Alarm,
    AlarmSettings,
    SoapCaller,
    create_alarm,
    delete_alarm,
    list_alarms,
    update_alarm,
)
from custom_components.sonos_upnp.upnp.catalog import get_service
from custom_components.sonos_upnp.upnp.client import SonosUpnpClient
from custom_components.sonos_upnp.upnp.exceptions import (
    AlarmNotFoundError,
    DuplicateAlarmError,
    UpnpArgumentError,
    UpnpResponseError,
)
from tests.emulator.household import Household

from .conftest import FakeSpeaker, parse_soap_request, soap_response

HOST, PORT = "192.0.2.10", 1400
# DIDL-Lite with quotes, ampersands (raw and as text), non-ASCII, a real line
# break and an escaped one kept as text.
METADATA = (
    '<DIDL-Lite xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/" '
    'xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/">'
    '<item id="R:0/0/7" parentID="R:0/0" restricted="true">'
    "<dc:title>Rock &amp; Roll \"Größte\" Hits 'live' \u2013 日本</dc:title>"
    "<upnp:class>object.item.audioItem.audioBroadcast</upnp:class>"
    "<desc>first&#10;second\nthird\ttab</desc>"
    "</item></DIDL-Lite>"
)
PROGRAM_URI = "x-sonosapi-radio:s24861?sid=254&flags=8224&sn=0&name=Caf%C3%A9"
WIRE_FIELDS = (
    "StartLocalTime",
    "Duration",
    "Recurrence",
    "Enabled",
    "RoomUUID",
    "ProgramURI",
    "ProgramMetaData",
    "PlayMode",
    "Volume",
    "IncludeLinkedZones",
)


def wire(value: object) -> str:
    """Return the text the SOAP layer sends for an argument value."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


class FakeAlarmClock:
    """Answers AlarmClock actions from an in-memory list and records every call."""

    def __init__(self) -> None:
        self.alarms: dict[int, dict[str, object]] = {}
        self.version = 7
        self.next_id = 20
        self.calls: list[tuple[str, str, str, dict[str, object]]] = []
        self.answers: dict[str, dict[str, Any]] = {}

    async def call(
        self,
        host: str,
        port: int,
        service: str,
        action: str,
        args: Mapping[str, object] | None = None,
    ) -> dict[str, Any]:
        assert (host, port, service) == (HOST, PORT, "AlarmClock")
        arguments = dict(args or {})
        self.calls.append((host, service, action, arguments))
        if action in self.answers:
            return self.answers[action]
        match action:
            case "ListAlarms":
                return {
                    "CurrentAlarmList": self._document(),
                    "CurrentAlarmListVersion": f"RINCON_FAKE01400:{self.version}",
                }
            case "CreateAlarm":
                self._refuse_duplicate(arguments, None)
                alarm_id, self.next_id = self.next_id, self.next_id + 1
                self.alarms[alarm_id] = arguments
                self.version += 1
                return {"AssignedID": alarm_id}
            case "UpdateAlarm":
                arguments = dict(arguments)
                target = arguments.pop("ID")
                assert isinstance(target, int)
                if target not in self.alarms:
                    raise AlarmNotFoundError(800, None, service, action)
                self._refuse_duplicate(arguments, target)
                self.alarms[target] = arguments
                self.version += 1
                return {}
            case "DestroyAlarm":
                target = arguments["ID"]
                assert isinstance(target, int)
                if self.alarms.pop(target, None) is None:
                    raise AlarmNotFoundError(800, None, service, action)
                self.version += 1
                return {}
        pytest.fail(f"unexpected action {action}")

    def _refuse_duplicate(self, arguments: dict[str, object], own: int | None) -> None:
        for alarm_id, other in self.alarms.items():
            if alarm_id != own and all(
                other[key] == arguments[key] for key in ("RoomUUID", "StartLocalTime")
            ):
                raise DuplicateAlarmError(
                    801, "Duplicate alarm time", "AlarmClock", "x"
                )

    def _document(self) -> str:
        """Serialise the list the way a speaker does (ElementTree escapes)."""
        root = Element("Alarms")
        for alarm_id, arguments in self.alarms.items():
            attributes = {
                "ID": str(alarm_id),
                "StartTime": arguments["StartLocalTime"],
                "Duration": arguments["Duration"],
                "Recurrence": arguments["Recurrence"],
                "Enabled": arguments["Enabled"],
                "RoomUUID": arguments["RoomUUID"],
                "ProgramURI": arguments["ProgramURI"],
                "ProgramMetaData": arguments["ProgramMetaData"],
                "PlayMode": arguments["PlayMode"],
                "Volume": arguments["Volume"],
                "IncludeLinkedZones": arguments["IncludeLinkedZones"],
                "Unknown": "ignored",
            }
            SubElement(root, "Alarm", {k: wire(v) for k, v in attributes.items()})
        return tostring(root, encoding="unicode")


@pytest.fixture
def fake() -> FakeAlarmClock:
    return FakeAlarmClock()


def _radio(room: str = "RINCON_KITCHEN0001400") -> AlarmSettings:
    return AlarmSettings(
        start_time=dt.time(6, 45),
        room_uuid=room,
        duration=dt.timedelta(minutes=30),
        recurrence="ON_12345",
        program_uri=PROGRAM_URI,
        program_metadata=METADATA,
        play_mode="SHUFFLE_NOREPEAT",
        volume=15,
        include_linked_zones=True,
    )


def test_fake_satisfies_the_protocol(fake: FakeAlarmClock) -> None:
    caller: SoapCaller = fake
    assert caller is fake


async def test_create_then_list(fake: FakeAlarmClock) -> None:
    alarm_id = await create_alarm(fake, HOST, PORT, _radio())
    assert alarm_id == 20
    _, _, action, arguments = fake.calls[-1]
    assert action == "CreateAlarm"
    assert arguments == {
        "StartLocalTime": "06:45:00",
        "Duration": "00:30:00",
        "Recurrence": "ON_12345",
        "Enabled": True,
        "RoomUUID": "RINCON_KITCHEN0001400",
        "ProgramURI": PROGRAM_URI,
        "ProgramMetaData": METADATA,
        "PlayMode": "SHUFFLE_NOREPEAT",
        "Volume": 15,
        "IncludeLinkedZones": True,
    }

    alarms = await list_alarms(fake, HOST, PORT)
    assert alarms.version == "RINCON_FAKE01400:8"
    assert alarms.parsed_version == ("RINCON_FAKE01400", 8)
    listed = alarms.get(20)
    assert listed is not None
    assert dataclasses.replace(listed, raw=MappingProxyType({})) == Alarm(
        alarm_id=20,
        start_time=dt.time(6, 45),
        duration=dt.timedelta(minutes=30),
        recurrence="ON_12345",
        enabled=True,
        room_uuid="RINCON_KITCHEN0001400",
        program_uri=PROGRAM_URI,
        program_metadata=METADATA,
        play_mode="SHUFFLE_NOREPEAT",
        volume=15,
        include_linked_zones=True,
    )


async def test_update_changes_only_the_given_fields(fake: FakeAlarmClock) -> None:
    alarm_id = await create_alarm(fake, HOST, PORT, _radio())
    created = fake.calls[-1][3]
    fake.calls.clear()

    updated = await update_alarm(
        fake, HOST, PORT, alarm_id, volume=40, enabled=False, start_time=dt.time(7)
    )

    assert [action for _, _, action, _ in fake.calls] == ["ListAlarms", "UpdateAlarm"]
    sent = fake.calls[-1][3]
    assert list(sent) == ["ID", *WIRE_FIELDS]
    assert sent["ID"] == alarm_id
    assert {k: v for k, v in sent.items() if wire(v) != wire(created.get(k))} == {
        "ID": alarm_id,
        "StartLocalTime": "07:00:00",
        "Enabled": False,
        "Volume": 40,
    }
    # Byte for byte: the program survives the round trip through the list.
    assert sent["ProgramURI"] == PROGRAM_URI
    assert sent["ProgramMetaData"] == METADATA
    assert updated.program_metadata == METADATA
    assert (updated.alarm_id, updated.volume, updated.enabled, updated.start_time) == (
        alarm_id,
        40,
        False,
        dt.time(7),
    )
    assert (await list_alarms(fake, HOST, PORT)).get(alarm_id) == updated


async def test_update_with_nothing_to_change_resends_the_alarm(
    fake: FakeAlarmClock,
) -> None:
    alarm_id = await create_alarm(fake, HOST, PORT, _radio())
    created = fake.calls[-1][3]
    await update_alarm(fake, HOST, PORT, alarm_id)
    resent = {name: wire(value) for name, value in fake.calls[-1][3].items()}
    assert resent == {"ID": str(alarm_id), **{k: wire(v) for k, v in created.items()}}


async def test_update_refuses_unknown_fields_before_sending(
    fake: FakeAlarmClock,
) -> None:
    alarm_id = await create_alarm(fake, HOST, PORT, _radio())
    fake.calls.clear()
    with pytest.raises(UpnpArgumentError, match="colour"):
        await update_alarm(fake, HOST, PORT, alarm_id, colour="red")
    assert fake.calls == []


async def test_update_refuses_bad_values_before_sending(fake: FakeAlarmClock) -> None:
    alarm_id = await create_alarm(fake, HOST, PORT, _radio())
    fake.calls.clear()
    with pytest.raises(UpnpArgumentError):
        await update_alarm(fake, HOST, PORT, alarm_id, volume=500)
    with pytest.raises(UpnpArgumentError):
        await update_alarm(fake, HOST, PORT, alarm_id, recurrence="ON_8")
    assert [action for _, _, action, _ in fake.calls] == ["ListAlarms", "ListAlarms"]


async def test_update_unknown_alarm(fake: FakeAlarmClock) -> None:
    with pytest.raises(AlarmNotFoundError) as caught:
        await update_alarm(fake, HOST, PORT, 999, volume=10)
    assert (caught.value.code, caught.value.service, caught.value.action) == (
        800,
        "AlarmClock",
        "UpdateAlarm",
    )
    assert [action for _, _, action, _ in fake.calls] == ["ListAlarms"]


async def test_duplicate_and_missing_faults_pass_through(fake: FakeAlarmClock) -> None:
    await create_alarm(fake, HOST, PORT, _radio())
    with pytest.raises(DuplicateAlarmError):
        await create_alarm(fake, HOST, PORT, _radio())
    other = await create_alarm(fake, HOST, PORT, _radio("RINCON_BEDROOM00001400"))
    with pytest.raises(DuplicateAlarmError):
        await update_alarm(fake, HOST, PORT, other, room_uuid="RINCON_KITCHEN0001400")
    await delete_alarm(fake, HOST, PORT, other)
    assert fake.calls[-1][2:] == ("DestroyAlarm", {"ID": other})
    with pytest.raises(AlarmNotFoundError):
        await delete_alarm(fake, HOST, PORT, other)
    assert [a.alarm_id for a in (await list_alarms(fake, HOST, PORT)).alarms] == [20]


@pytest.mark.parametrize(
    ("action", "answer"),
    [
        ("ListAlarms", {}),
        ("ListAlarms", {"CurrentAlarmList": "<Alarms/>"}),
        ("ListAlarms", {"CurrentAlarmList": 5, "CurrentAlarmListVersion": "R:1"}),
        (
            "ListAlarms",
            {"CurrentAlarmList": "<Oops/>", "CurrentAlarmListVersion": "R:1"},
        ),
        ("CreateAlarm", {}),
        ("CreateAlarm", {"AssignedID": "20"}),
        ("CreateAlarm", {"AssignedID": True}),
    ],
)
async def test_bad_answers(
    fake: FakeAlarmClock, action: str, answer: dict[str, Any]
) -> None:
    fake.answers[action] = answer
    operation = (
        list_alarms(fake, HOST, PORT)
        if action == "ListAlarms"
        else create_alarm(fake, HOST, PORT, _radio())
    )
    with pytest.raises(UpnpResponseError):
        await operation


# --- over real HTTP against an emulated household ------------------------------------


@pytest.fixture
def client(http_session: aiohttp.ClientSession) -> SonosUpnpClient:
    return SonosUpnpClient(http_session, timeout=5)


async def test_emulated_household_alarm_lifecycle(
    emulator_household: Household, client: SonosUpnpClient
) -> None:
    kitchen, bedroom = emulator_household.players[:2]
    host, port = kitchen.host, kitchen.port
    before = await list_alarms(client, host, port)
    assert before.alarms == ()
    start = before.parsed_version
    assert start is not None

    alarm_id = await create_alarm(client, host, port, _radio(kitchen.uuid))
    listed = await list_alarms(client, host, port)
    created = listed.get(alarm_id)
    assert created is not None
    assert created.program_metadata == METADATA
    assert created.program_uri == PROGRAM_URI
    assert listed.parsed_version == (start.household_part, start.counter + 1)

    # Alarms belong to the household: another player lists the same one.
    assert (await list_alarms(client, bedroom.host, bedroom.port)).alarms == (created,)

    updated = await update_alarm(
        client, bedroom.host, bedroom.port, alarm_id, volume=33, recurrence="WEEKENDS"
    )
    relisted = await list_alarms(client, host, port)
    assert relisted.get(alarm_id) == updated
    assert updated.program_metadata == METADATA  # byte for byte over the wire
    assert updated.program_uri == PROGRAM_URI
    assert (updated.volume, updated.recurrence, updated.duration) == (
        33,
        "WEEKENDS",
        dt.timedelta(minutes=30),
    )
    # What the emulator stored is what was sent, independently of our parser.
    (stored,) = emulator_household.alarms.alarms
    assert (stored.program_metadata, stored.volume, stored.start_time) == (
        METADATA,
        33,
        "06:45:00",
    )

    await delete_alarm(client, host, port, alarm_id)
    final = await list_alarms(client, host, port)
    assert final.alarms == ()
    assert final.parsed_version == (start.household_part, start.counter + 3)


async def test_emulated_household_faults(
    emulator_household: Household, client: SonosUpnpClient
) -> None:
    kitchen, bedroom = emulator_household.players[:2]
    host, port = kitchen.host, kitchen.port
    first = await create_alarm(
        client, host, port, AlarmSettings(dt.time(7), kitchen.uuid)
    )

    # 801: the room already has an alarm at that time.
    with pytest.raises(DuplicateAlarmError) as duplicate:
        await create_alarm(client, host, port, AlarmSettings(dt.time(7), kitchen.uuid))
    assert (duplicate.value.code, duplicate.value.action) == (801, "CreateAlarm")
    second = await create_alarm(
        client, host, port, AlarmSettings(dt.time(7), bedroom.uuid)
    )
    with pytest.raises(DuplicateAlarmError):
        await update_alarm(client, host, port, second, room_uuid=kitchen.uuid)

    # 800 from the speaker: destroying an alarm twice.
    await delete_alarm(client, host, port, second)
    with pytest.raises(AlarmNotFoundError) as missing:
        await delete_alarm(client, host, port, second)
    assert (missing.value.code, missing.value.action) == (800, "DestroyAlarm")
    # 800 found locally: updating an alarm the list does not hold.
    with pytest.raises(AlarmNotFoundError):
        await update_alarm(client, host, port, second, volume=5)

    (remaining,) = (await list_alarms(client, host, port)).alarms
    assert remaining.alarm_id == first
    assert (remaining.program_uri, remaining.volume) == ("x-rincon-buzzer:0", 20)


# --- byte for byte on the wire --------------------------------------------------------

# What other clients leave in a household: SoCo writes an empty Duration for
# "no duration" and play modes the SCPD does not list; text with entities,
# spaces and non-ASCII must come back exactly as it was.
ODD_ALARM = {
    "ID": "14",
    "StartTime": "06:30:00",
    "Duration": "",
    "Recurrence": "ON_113",
    "Enabled": "true",
    "RoomUUID": "RINCON_KITCHEN0001400",
    "ProgramURI": PROGRAM_URI,
    "ProgramMetaData": METADATA.replace("\n", " ").replace("\t", " "),
    "PlayMode": "SHUFFLE_REPEAT_ONE",
    "Volume": "020",
    "IncludeLinkedZones": "0",
}


async def test_update_resends_what_the_speaker_listed_byte_for_byte(
    fake_speaker: FakeSpeaker, client: SonosUpnpClient
) -> None:
    service = get_service("AlarmClock")
    document = Element("Alarms")
    SubElement(document, "Alarm", ODD_ALARM)

    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        action = parse_soap_request(body).action
        outputs = (
            [
                ("CurrentAlarmList", tostring(document, encoding="unicode")),
                ("CurrentAlarmListVersion", "RINCON_FAKE01400:3"),
            ]
            if action == "ListAlarms"
            else []
        )
        return web.Response(
            body=soap_response(service.service_type, action, outputs),
            content_type="text/xml",
        )

    fake_speaker.handler = handler
    host, port = fake_speaker.host, fake_speaker.port

    (listed,) = (await list_alarms(client, host, port)).alarms
    assert (listed.duration, listed.volume, listed.play_mode) == (
        None,
        20,
        "SHUFFLE_REPEAT_ONE",
    )
    updated = await update_alarm(client, host, port, 14, enabled=False)

    sent = parse_soap_request(fake_speaker.requests[-1].body)
    assert sent.action == "UpdateAlarm"
    listed_attributes = {
        ("StartLocalTime" if name == "StartTime" else name): value
        for name, value in ODD_ALARM.items()
    }
    assert sent.arguments == list({**listed_attributes, "Enabled": "0"}.items())
    assert updated.enabled is False
    assert updated.raw == {**ODD_ALARM, "Enabled": "0"}


async def test_a_change_is_checked_but_the_odd_rest_is_not(
    fake: FakeAlarmClock,
) -> None:
    fake.alarms[3] = {
        ("StartLocalTime" if name == "StartTime" else name): value
        for name, value in ODD_ALARM.items()
        if name != "ID"
    }
    with pytest.raises(UpnpArgumentError, match="play_mode"):
        await update_alarm(fake, HOST, PORT, 3, play_mode="REPEAT_ONE")
    updated = await update_alarm(fake, HOST, PORT, 3, volume=35)
    assert updated.volume == 35
    assert updated.raw["PlayMode"] == "SHUFFLE_REPEAT_ONE"
    assert updated.raw["Duration"] == ""
    assert fake.alarms[3]["Volume"] == 35
    assert fake.alarms[3]["Recurrence"] == "ON_113"
