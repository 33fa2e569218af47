"""ZoneGroupState, grouping through x-rincon / GroupManagement, scenarios."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from defusedxml import ElementTree as SafeElementTree

from tests.emulator.household import Household

from .soap_helper import call

pytestmark = pytest.mark.usefixtures("socket_enabled")


async def _groups(session, player) -> dict[str, list[str]]:
    result = await call(session, player, "ZoneGroupTopology", "GetZoneGroupState")
    assert result.status == 200
    root = SafeElementTree.fromstring(result.outputs["ZoneGroupState"])
    assert root.tag == "ZoneGroupState"
    assert root.find("VanishedDevices") is not None
    return {
        group.get("Coordinator"): [m.get("UUID") for m in group.iter("ZoneGroupMember")]
        for group in root.find("ZoneGroups")
    }


async def test_join_and_leave_through_x_rincon(emulator_household: Household) -> None:
    living, kitchen, bedroom = emulator_household.players
    async with aiohttp.ClientSession() as session:
        before = await _groups(session, bedroom)
        assert before == {p.uuid: [p.uuid] for p in (living, kitchen, bedroom)}
        joined = await call(
            session,
            kitchen,
            "AVTransport",
            "SetAVTransportURI",
            {
                "InstanceID": "0",
                "CurrentURI": f"x-rincon:{living.uuid}",
                "CurrentURIMetaData": "",
            },
        )
        assert joined.status == 200
        after = await _groups(session, bedroom)
        assert after == {
            living.uuid: [living.uuid, kitchen.uuid],
            bedroom.uuid: [bedroom.uuid],
        }
        attributes = await call(
            session, kitchen, "ZoneGroupTopology", "GetZoneGroupAttributes"
        )
        assert attributes.outputs["CurrentZoneGroupID"].startswith(f"{living.uuid}:")
        assert attributes.outputs["CurrentZonePlayerUUIDsInGroup"] == (
            f"{living.uuid},{kitchen.uuid}"
        )
        assert attributes.outputs["CurrentZoneGroupName"] == living.room_name
        left = await call(
            session,
            kitchen,
            "AVTransport",
            "BecomeCoordinatorOfStandaloneGroup",
            {"InstanceID": "0"},
        )
        assert left.outputs["DelegatedGroupCoordinatorID"] == living.uuid
        assert left.outputs["NewGroupID"].startswith(f"{kitchen.uuid}:")
        assert await _groups(session, living) == before
        added = await call(
            session,
            bedroom,
            "GroupManagement",
            "AddMember",
            {"MemberID": living.uuid, "BootSeq": str(living.boot_seq)},
        )
        assert added.outputs["GroupUUIDJoined"].startswith(f"{bedroom.uuid}:")
        assert (await _groups(session, kitchen))[bedroom.uuid] == [
            bedroom.uuid,
            living.uuid,
        ]
        await call(
            session,
            bedroom,
            "GroupManagement",
            "RemoveMember",
            {"MemberID": living.uuid},
        )
        assert await _groups(session, kitchen) == before


async def test_coordinator_leaving_hands_group_over(emulator_household_factory) -> None:
    household = await emulator_household_factory("groups")
    living, kitchen = household.players[:2]
    async with aiohttp.ClientSession() as session:
        assert (await _groups(session, living))[living.uuid] == [
            living.uuid,
            kitchen.uuid,
        ]
        await call(
            session,
            living,
            "AVTransport",
            "BecomeCoordinatorOfStandaloneGroup",
            {"InstanceID": "0"},
        )
        groups = await _groups(session, living)
    assert groups[living.uuid] == [living.uuid]
    assert groups[kitchen.uuid] == [kitchen.uuid]
    assert len(groups) == 5  # bedroom + office stay grouped


async def test_a_player_set_up_live_is_listed_only_once_it_serves(
    emulator_household: Household,
) -> None:
    """Its port is OS-picked while it starts; never advertise port 0."""
    adding = asyncio.create_task(emulator_household.add_player_live("Office"))
    locations: set[str] = set()
    while not adding.done():
        state = SafeElementTree.fromstring(emulator_household.zone_group_state())
        locations |= {
            member.get("Location", "")
            for member in state.iter("ZoneGroupMember")
            if member.get("ZoneName") == "Office"
        }
        await asyncio.sleep(0)
    office = await adding
    assert office.online
    assert office.port != 0
    assert locations <= {office.location}
    state = SafeElementTree.fromstring(emulator_household.zone_group_state())
    assert office.uuid in {m.get("UUID") for m in state.iter("ZoneGroupMember")}


async def test_stereo_pair_and_home_theater_shapes(emulator_household_factory) -> None:
    pair = await emulator_household_factory("stereo_pair")
    theater = await emulator_household_factory("home_theater")
    async with aiohttp.ClientSession() as session:
        state = await call(
            session, pair.players[2], "ZoneGroupTopology", "GetZoneGroupState"
        )
        root = SafeElementTree.fromstring(state.outputs["ZoneGroupState"])
        members = {m.get("UUID"): m.attrib for m in root.iter("ZoneGroupMember")}
        left, right = pair.players[:2]
        assert members[right.uuid]["Invisible"] == "1"
        assert members[left.uuid]["Invisible"] == "0"
        assert (
            members[left.uuid]["ChannelMapSet"]
            == f"{left.uuid}:LF,LF;{right.uuid}:RF,RF"
        )
        state = await call(
            session, theater.players[4], "ZoneGroupTopology", "GetZoneGroupState"
        )
        root = SafeElementTree.fromstring(state.outputs["ZoneGroupState"])
    soundbar = next(
        m
        for m in root.iter("ZoneGroupMember")
        if m.get("UUID") == theater.players[0].uuid
    )
    satellites = {s.get("UUID"): s.attrib for s in soundbar.iter("Satellite")}
    assert set(satellites) == {p.uuid for p in theater.players[1:4]}
    assert all(s["Invisible"] == "1" for s in satellites.values())
    assert soundbar.get("HTSatChanMapSet").count(";") == 3
    for member in root.iter("ZoneGroupMember"):
        assert member.get("Location").endswith("/xml/device_description.xml")
        assert {
            "SoftwareVersion",
            "SWGen",
            "BootSeq",
            "ZoneName",
            "IsZoneBridge",
        } <= set(member.attrib)


async def test_64_player_household_starts_and_answers(
    emulator_household_factory,
) -> None:
    started = time.perf_counter()
    household = await emulator_household_factory("large64")
    elapsed = time.perf_counter() - started
    print(f"64-player household started in {elapsed:.3f} s")  # noqa: T201
    assert len({p.port for p in household.players}) == 64
    assert len({p.uuid for p in household.players}) == 64
    async with aiohttp.ClientSession() as session:
        for player in household.players:
            result = await call(
                session, player, "DeviceProperties", "GetZoneAttributes"
            )
            assert result.outputs["CurrentZoneName"] == player.room_name
        groups = await _groups(session, household.players[-1])
    assert sum(len(m) for m in groups.values()) == 64


async def test_topology_quirks_through_the_control_endpoint(
    emulator_household: Household,
) -> None:
    living, kitchen, bedroom = emulator_household.players
    async with aiohttp.ClientSession() as session:

        async def fault(payload: dict) -> None:
            async with session.post(
                living.base_url + "/emulator/fault", json=payload
            ) as response:
                assert response.status == 200

        async def state_xml() -> str:
            result = await call(
                session, bedroom, "ZoneGroupTopology", "GetZoneGroupState"
            )
            return result.outputs["ZoneGroupState"]

        await fault({"fault": "leave_out", "target": kitchen.uuid})
        root = SafeElementTree.fromstring(await state_xml())
        members = {m.get("UUID") for m in root.iter("ZoneGroupMember")}
        assert members == {living.uuid, bedroom.uuid}
        assert not list(root.find("VanishedDevices"))  # missing, not vanished
        await fault({"fault": "leave_out", "target": kitchen.uuid, "enabled": False})

        await fault(
            {"fault": "location", "target": kitchen.uuid, "location": bedroom.location}
        )
        await fault({"fault": "location", "target": living.uuid, "location": None})
        root = SafeElementTree.fromstring(await state_xml())
        locations = {
            m.get("UUID"): m.get("Location") for m in root.iter("ZoneGroupMember")
        }
        assert locations == {
            living.uuid: None,
            kitchen.uuid: bedroom.location,
            bedroom.uuid: bedroom.location,
        }

        await fault({"fault": "legacy_topology"})
        root = SafeElementTree.fromstring(await state_xml())
        assert root.tag == "ZoneGroups"
        assert root.find("VanishedDevices") is None
