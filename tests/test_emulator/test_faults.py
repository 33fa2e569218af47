"""Every fault mode of the emulator, observed on the wire."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from defusedxml import ElementTree as SafeElementTree

from custom_components.sonos_upnp.upnp.catalog import get_service
from tests.emulator.household import Household
from tests.emulator.player import Player

from .notify_sink import NotifySink
from .soap_helper import call
from .test_gena import subscribe

pytestmark = pytest.mark.usefixtures("socket_enabled")


async def _boot_seq(session: aiohttp.ClientSession, via: Player, uuid: str) -> int:
    result = await call(session, via, "ZoneGroupTopology", "GetZoneGroupState")
    root = SafeElementTree.fromstring(result.outputs["ZoneGroupState"])
    member = next(m for m in root.iter("ZoneGroupMember") if m.get("UUID") == uuid)
    return int(member.get("BootSeq"))


async def test_reboot_forgets_subscriptions_and_bumps_boot_seq(
    emulator_household: Household, notify_sink: NotifySink
) -> None:
    player, other = emulator_household.players[:2]
    url = player.base_url + get_service("AVTransport").event_url
    async with aiohttp.ClientSession() as session:
        boot_seq = await _boot_seq(session, other, player.uuid)
        sid = (await subscribe(session, url, notify_sink.url)).headers["SID"]
        reboot = asyncio.create_task(player.reboot(outage=0.3))
        await player.wait_online(False)
        with pytest.raises(aiohttp.ClientConnectorError):
            await session.get(player.location)
        await reboot
        async with session.request("SUBSCRIBE", url, headers={"SID": sid}) as renewal:
            assert renewal.status == 412
        assert await _boot_seq(session, other, player.uuid) == boot_seq + 1
        again = await subscribe(session, url, notify_sink.url)
        assert again.status == 200


async def test_offline_refuses_connections_then_comes_back(
    emulator_player: Player,
) -> None:
    port = emulator_player.port
    async with aiohttp.ClientSession() as session:
        await emulator_player.go_offline()
        with pytest.raises(aiohttp.ClientConnectorError):
            await session.get(emulator_player.location)
        await emulator_player.go_online()
        assert emulator_player.port == port
        async with session.get(emulator_player.location) as response:
            assert response.status == 200


async def test_latency_is_added(emulator_player: Player) -> None:
    emulator_player.faults.latency = 0.3
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        result = await call(session, emulator_player, "DeviceProperties", "GetLEDState")
        elapsed = time.perf_counter() - started
    assert result.status == 200
    assert elapsed >= 0.3


async def test_zone_group_state_501_but_event_carries_state(
    emulator_player: Player, notify_sink: NotifySink
) -> None:
    emulator_player.faults.zone_group_state_501 = True
    async with aiohttp.ClientSession() as session:
        result = await call(
            session, emulator_player, "ZoneGroupTopology", "GetZoneGroupState"
        )
        await subscribe(
            session,
            emulator_player.base_url + get_service("ZoneGroupTopology").event_url,
            notify_sink.url,
        )
    assert (result.status, result.error_code) == (500, 501)
    event = await notify_sink.next()
    assert "<ZoneGroups>" in event.values["ZoneGroupState"]


async def test_dropped_events_are_counted(
    emulator_player: Player, notify_sink: NotifySink
) -> None:
    emulator_player.faults.drop_events = True
    async with aiohttp.ClientSession() as session:
        await subscribe(
            session,
            emulator_player.base_url + get_service("RenderingControl").event_url,
            notify_sink.url,
        )
        await call(
            session,
            emulator_player,
            "RenderingControl",
            "SetMute",
            {"InstanceID": "0", "Channel": "Master", "DesiredMute": "1"},
        )
    counters = await emulator_player.gena.wait_for_counters(lambda c: c.dropped >= 2)
    assert (counters.dropped, counters.sent) == (2, 0)
    assert notify_sink.received.empty()


async def test_malformed_and_oversized_answers(emulator_player: Player) -> None:
    emulator_player.faults.malformed_responses = 1
    emulator_player.faults.oversized_responses = 1
    emulator_player.faults.oversized_bytes = 3 * 1024 * 1024
    async with aiohttp.ClientSession() as session:
        url = emulator_player.location
        async with session.get(url) as response:
            garbage = await response.read()
        async with session.get(url) as response:
            huge = await response.read()
        async with session.get(url) as response:
            normal = await response.read()
    with pytest.raises(SafeElementTree.ParseError):
        SafeElementTree.fromstring(garbage)
    assert len(huge) >= 3 * 1024 * 1024
    assert SafeElementTree.fromstring(normal).tag.endswith("root")


async def test_unresponsive_player_answers_nothing(emulator_player: Player) -> None:
    emulator_player.faults.set_unresponsive(True)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await session.get(emulator_player.location)
        emulator_player.faults.set_unresponsive(False)
        async with session.get(emulator_player.location) as response:
            assert response.status == 200


async def test_control_endpoint(
    emulator_household: Household, notify_sink: NotifySink
) -> None:
    player, other = emulator_household.players[:2]
    async with aiohttp.ClientSession() as session:

        async def fault(via: Player, payload: dict) -> tuple[int, dict]:
            async with session.post(
                via.base_url + "/emulator/fault", json=payload
            ) as resp:
                return resp.status, await resp.json()

        status, body = await fault(player, {"fault": "latency", "seconds": 0.25})
        assert status == 200
        assert body["player"]["faults"]["latency"] == 0.25
        assert player.faults.latency == 0.25
        await fault(player, {"fault": "zone_group_state_501"})
        result = await call(session, player, "ZoneGroupTopology", "GetZoneGroupState")
        assert result.error_code == 501
        await fault(player, {"fault": "clear"})
        assert player.faults.latency == 0
        for name, attribute, expected in (
            ("drop_events", "drop_events", True),
            ("malformed", "malformed_responses", 1),
            ("oversized", "oversized_responses", 1),
        ):
            await fault(player, {"fault": name})
            assert getattr(player.faults, attribute) == expected
        await fault(player, {"fault": "clear"})
        assert (await fault(player, {"fault": "explode"}))[0] == 400
        assert (await fault(player, {"nothing": 1}))[0] == 400
        assert (await fault(player, {"fault": "reboot", "target": "RINCON_X"}))[
            0
        ] == 400

        await fault(other, {"fault": "offline", "target": player.uuid})
        await player.wait_online(False)
        with pytest.raises(aiohttp.ClientConnectorError):
            await session.get(player.location)
        await fault(other, {"fault": "online", "target": player.uuid})
        await player.wait_online(True)

        boot_seq = player.boot_seq
        await fault(player, {"fault": "reboot", "outage": 0.5})
        await player.wait_online(False)
        await player.wait_online(True)
        assert player.boot_seq == boot_seq + 1

        await subscribe(
            session,
            other.base_url + get_service("ZoneGroupTopology").event_url,
            notify_sink.url,
        )
        await notify_sink.next()
        await fault(other, {"fault": "fire_alarm"})
        fired = await notify_sink.next()
        assert fired.values["AlarmRunSequence"] == emulator_household.alarm_run_sequence

        async with session.get(other.base_url + "/emulator/state") as response:
            state = await response.json()
    assert state["player"]["uuid"] == other.uuid
    assert state["player"]["subscriptions"][0]["service"] == "ZoneGroupTopology"
    assert state["household"]["household_id"] == emulator_household.household_id
    assert len(state["household"]["players"]) == 3


async def test_silent_reboot_answers_nothing_then_forgets(
    emulator_player: Player, notify_sink: NotifySink
) -> None:
    url = emulator_player.base_url + get_service("AlarmClock").event_url
    boot_seq = emulator_player.boot_seq
    async with aiohttp.ClientSession() as session:
        sid = (await subscribe(session, url, notify_sink.url)).headers["SID"]
        # Started eagerly: the player stops answering before this returns.
        reboot = asyncio.Task(
            emulator_player.reboot(outage=0.5, silent=True),
            loop=asyncio.get_running_loop(),
            eager_start=True,
        )
        assert emulator_player.faults.unresponsive
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await session.get(emulator_player.location)
        await reboot
        async with session.request("SUBSCRIBE", url, headers={"SID": sid}) as renewal:
            assert renewal.status == 412
    assert emulator_player.boot_seq == boot_seq + 1


async def test_vanished_player_leaves_the_topology(
    emulator_household_factory, notify_sink: NotifySink
) -> None:
    household = await emulator_household_factory("groups")
    living, kitchen = household.players[:2]
    observer = household.players[5]
    async with aiohttp.ClientSession() as session:
        await subscribe(
            session,
            observer.base_url + get_service("ZoneGroupTopology").event_url,
            notify_sink.url,
        )
        await notify_sink.next()
        await living.go_offline(vanish=True)
        event = await notify_sink.next()
        root = SafeElementTree.fromstring(event.values["ZoneGroupState"])
        members = {m.get("UUID") for m in root.iter("ZoneGroupMember")}
        assert living.uuid not in members
        assert kitchen.uuid in members  # the group went on without its coordinator
        gone = root.find("VanishedDevices/Device")
        assert (gone.get("UUID"), gone.get("ZoneName")) == (
            living.uuid,
            living.room_name,
        )
        await living.go_online()
        event = await notify_sink.next()
        root = SafeElementTree.fromstring(event.values["ZoneGroupState"])
        assert living.uuid in {m.get("UUID") for m in root.iter("ZoneGroupMember")}
        assert root.find("VanishedDevices/Device") is None


async def test_malformed_and_oversized_events(
    emulator_player: Player, notify_sink: NotifySink
) -> None:
    emulator_player.faults.malformed_events = 1
    emulator_player.faults.oversized_events = 1
    emulator_player.faults.oversized_bytes = 3 * 1024 * 1024
    async with aiohttp.ClientSession() as session:
        await subscribe(
            session,
            emulator_player.base_url + get_service("RenderingControl").event_url,
            notify_sink.url,
        )
        for volume in ("5", "6"):
            await call(
                session,
                emulator_player,
                "RenderingControl",
                "SetVolume",
                {"InstanceID": "0", "Channel": "Master", "DesiredVolume": volume},
            )
    garbage, huge, normal = [await notify_sink.next() for _ in range(3)]
    assert (garbage.seq, huge.seq, normal.seq) == (0, 1, 2)
    assert garbage.values == {}
    with pytest.raises(SafeElementTree.ParseError):
        SafeElementTree.fromstring(garbage.body)
    assert len(huge.body) >= 3 * 1024 * 1024
    assert "LastChange" in normal.values
