"""GENA on the emulator: subscribe, initial event, renew, expiry, ordering."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
import pytest_socket
from defusedxml import ElementTree as SafeElementTree

from custom_components.sonos_upnp.upnp.catalog import SERVICES, get_service
from tests.emulator.household import Household

from .notify_sink import NotifySink
from .soap_helper import call

pytestmark = pytest.mark.usefixtures("socket_enabled")


async def subscribe(
    session: aiohttp.ClientSession,
    url: str,
    callback: str,
    timeout: str | None = "Second-300",
) -> aiohttp.ClientResponse:
    headers = {"CALLBACK": f"<{callback}>", "NT": "upnp:event"}
    if timeout:
        headers["TIMEOUT"] = timeout
    async with session.request("SUBSCRIBE", url, headers=headers) as response:
        await response.read()
        return response


async def test_every_service_sends_initial_event(
    emulator_player, notify_sink: NotifySink
) -> None:
    async with aiohttp.ClientSession() as session:
        sids = {}
        for service in SERVICES:
            response = await subscribe(
                session, emulator_player.base_url + service.event_url, notify_sink.url
            )
            assert response.status == 200
            assert response.headers["SID"].startswith("uuid:")
            assert response.headers["TIMEOUT"] == "Second-300"
            sids[response.headers["SID"]] = service
    events = {}
    for _ in SERVICES:
        notify = await notify_sink.next()
        assert notify.seq == 0
        assert notify.headers["NT"] == "upnp:event"
        assert notify.headers["NTS"] == "upnp:propchange"
        assert notify.headers["Content-Type"].startswith("text/xml")
        events[sids[notify.headers["SID"]].name] = notify.values
    for service in SERVICES:
        evented = [v.name for v in service.state_variables if v.evented]
        assert list(events[service.name]) == evented
    household = emulator_player.household
    zgs = SafeElementTree.fromstring(events["ZoneGroupTopology"]["ZoneGroupState"])
    assert len(list(zgs.iter("ZoneGroupMember"))) == len(household.players)
    assert events["AlarmClock"]["AlarmListVersion"] == household.alarms.version
    assert events["DeviceProperties"]["ZoneName"] == emulator_player.room_name
    avt = SafeElementTree.fromstring(events["AVTransport"]["LastChange"])
    assert avt.tag == "{urn:schemas-upnp-org:metadata-1-0/AVT/}Event"
    state = avt.find("*/{urn:schemas-upnp-org:metadata-1-0/AVT/}TransportState")
    assert state.get("val") == "STOPPED"
    rcs = SafeElementTree.fromstring(events["RenderingControl"]["LastChange"])
    volume = rcs.find(
        "*/{urn:schemas-upnp-org:metadata-1-0/RCS/}Volume[@channel='Master']"
    )
    assert volume.get("val") == str(emulator_player.volume)
    queue = SafeElementTree.fromstring(events["Queue"]["LastChange"])
    assert queue.tag == "{urn:schemas-sonos-com:metadata-1-0/Queue/}Event"


async def test_changes_are_evented_in_order_with_seq(
    emulator_player, notify_sink: NotifySink
) -> None:
    service = get_service("RenderingControl")
    async with aiohttp.ClientSession() as session:
        await subscribe(
            session, emulator_player.base_url + service.event_url, notify_sink.url
        )
        assert (await notify_sink.next()).seq == 0
        for volume in range(1, 11):
            await call(
                session,
                emulator_player,
                "RenderingControl",
                "SetVolume",
                {"InstanceID": "0", "Channel": "Master", "DesiredVolume": str(volume)},
            )
    seen = []
    for _ in range(10):
        notify = await notify_sink.next()
        rcs = SafeElementTree.fromstring(notify.values["LastChange"])
        master = rcs.find(
            "*/{urn:schemas-upnp-org:metadata-1-0/RCS/}Volume[@channel='Master']"
        )
        seen.append((notify.seq, int(master.get("val"))))
    assert seen == [(n, n) for n in range(1, 11)]
    assert emulator_player.gena.counters.sent == 11


async def test_topology_and_alarm_changes_event_every_player(
    emulator_household: Household, notify_sink: NotifySink
) -> None:
    topology = get_service("ZoneGroupTopology")
    alarm_clock = get_service("AlarmClock")
    living, kitchen, _bedroom = emulator_household.players
    async with aiohttp.ClientSession() as session:
        for player in emulator_household.players:
            for service in (topology, alarm_clock):
                await subscribe(
                    session, player.base_url + service.event_url, notify_sink.url
                )
        for _ in range(6):
            assert (await notify_sink.next()).seq == 0
        await call(
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
        topology_events = [await notify_sink.next() for _ in range(3)]
        for event in topology_events:
            assert event.seq == 1
            groups = SafeElementTree.fromstring(event.values["ZoneGroupState"])
            coordinators = [g.get("Coordinator") for g in groups.iter("ZoneGroup")]
            assert coordinators.count(living.uuid) == 1
            assert len(coordinators) == 2
        created = await call(
            session,
            living,
            "AlarmClock",
            "CreateAlarm",
            {
                "StartLocalTime": "07:00:00",
                "Duration": "00:30:00",
                "Recurrence": "WEEKDAYS",
                "Enabled": "1",
                "RoomUUID": living.uuid,
                "ProgramURI": "x-rincon-buzzer:0",
                "ProgramMetaData": "",
                "PlayMode": "NORMAL",
                "Volume": "25",
                "IncludeLinkedZones": "0",
            },
        )
        assert created.status == 200
        alarm_events = [await notify_sink.next() for _ in range(3)]
    assert {tuple(e.values) for e in alarm_events} == {("AlarmListVersion",)}
    assert {e.values["AlarmListVersion"] for e in alarm_events} == {
        emulator_household.alarms.version
    }
    before = emulator_household.alarm_run_sequence
    emulator_household.fire_alarm()
    fired = [await notify_sink.next() for _ in range(3)]
    assert {e.values["AlarmRunSequence"] for e in fired} == {
        emulator_household.alarm_run_sequence
    }
    assert emulator_household.alarm_run_sequence != before
    assert living.transport_state == "PLAYING"


async def test_each_player_notifies_from_its_own_address(
    emulator_household_factory, notify_sink: NotifySink
) -> None:
    """A real player's NOTIFYs leave from its own IP (listeners check it)."""
    household = await emulator_household_factory(
        "singles", players=3, distinct_hosts=True
    )
    rendering = get_service("RenderingControl")
    async with aiohttp.ClientSession() as session:
        sids = {}
        for player in household.players:
            response = await subscribe(
                session, player.base_url + rendering.event_url, notify_sink.url
            )
            sids[response.headers["SID"]] = player.host
    initial = [await notify_sink.next() for _ in household.players]
    assert {n.headers["SID"]: n.remote for n in initial} == sids
    assert len(set(sids.values())) == 3
    last = household.players[-1]
    last.volume = 61
    household.rendering_changed(last)
    changed = await notify_sink.next()
    assert (changed.seq, changed.remote) == (1, last.host)


async def test_renew_unsubscribe_and_header_errors(
    emulator_player, notify_sink: NotifySink
) -> None:
    url = emulator_player.base_url + get_service("DeviceProperties").event_url
    async with aiohttp.ClientSession() as session:
        first = await subscribe(session, url, notify_sink.url, timeout="Second-99999")
        assert first.headers["TIMEOUT"] == "Second-3600"
        sid = first.headers["SID"]
        default = await subscribe(session, url, notify_sink.url, timeout=None)
        assert default.headers["TIMEOUT"] == "Second-3600"

        async def request(
            method: str, headers: dict[str, str]
        ) -> aiohttp.ClientResponse:
            async with session.request(method, url, headers=headers) as response:
                await response.read()
                return response

        renewed = await request("SUBSCRIBE", {"SID": sid, "TIMEOUT": "Second-120"})
        assert (renewed.status, renewed.headers["SID"], renewed.headers["TIMEOUT"]) == (
            200,
            sid,
            "Second-120",
        )
        assert (await request("SUBSCRIBE", {"SID": "uuid:nope"})).status == 412
        mixed = {"SID": sid, "NT": "upnp:event", "CALLBACK": f"<{notify_sink.url}>"}
        assert (await request("SUBSCRIBE", mixed)).status == 400
        assert (await request("SUBSCRIBE", {"NT": "upnp:event"})).status == 412
        wrong_nt = {"NT": "upnp:other", "CALLBACK": f"<{notify_sink.url}>"}
        assert (await request("SUBSCRIBE", wrong_nt)).status == 412
        assert (await request("UNSUBSCRIBE", {"SID": "uuid:nope"})).status == 412
        assert (await request("UNSUBSCRIBE", {})).status == 412
        assert (
            await request("UNSUBSCRIBE", {"SID": sid, "NT": "upnp:event"})
        ).status == 400
        assert (await request("UNSUBSCRIBE", {"SID": sid})).status == 200
        assert (await request("SUBSCRIBE", {"SID": sid})).status == 412
    assert sid not in emulator_player.gena.subscriptions


async def test_subscription_expires_when_not_renewed(
    emulator_player, notify_sink: NotifySink
) -> None:
    url = emulator_player.base_url + get_service("RenderingControl").event_url
    async with aiohttp.ClientSession() as session:
        response = await subscribe(session, url, notify_sink.url, timeout="Second-1")
        sid = response.headers["SID"]
        task = emulator_player.gena.subscriptions[sid].task
        await notify_sink.next()
        async with asyncio.timeout(5):
            await task
        assert sid not in emulator_player.gena.subscriptions
        async with session.request("SUBSCRIBE", url, headers={"SID": sid}) as renewal:
            assert renewal.status == 412


async def test_unreachable_callback_is_counted_not_raised(emulator_player) -> None:
    url = emulator_player.base_url + get_service("RenderingControl").event_url
    async with aiohttp.ClientSession() as session:
        # A port nobody listens on: take one from the OS and close it again.
        probe = await asyncio.start_server(lambda _r, _w: None, "127.0.0.1", 0)
        port = probe.sockets[0].getsockname()[1]
        probe.close()
        await probe.wait_closed()
        await subscribe(session, url, f"http://127.0.0.1:{port}/x")
        await subscribe(session, url, "http://192.0.2.1:1400/never")  # not loopback
    counters = await emulator_player.gena.wait_for_counters(lambda c: c.failed >= 2)
    assert (counters.sent, counters.failed) == (0, 2)


async def test_64_players_all_event_a_topology_change(
    emulator_household_factory, notify_sink: NotifySink
) -> None:
    household = await emulator_household_factory("large64")
    topology = get_service("ZoneGroupTopology")
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(
            *(
                subscribe(session, p.base_url + topology.event_url, notify_sink.url)
                for p in household.players
            )
        )
    initial = [await notify_sink.next() for _ in household.players]
    assert {n.seq for n in initial} == {0}
    household.join(household.players[-1], household.players[-2])
    changed = [await notify_sink.next() for _ in household.players]
    assert {n.seq for n in changed} == {1}
    assert {n.headers["SID"] for n in changed} == {n.headers["SID"] for n in initial}
    last = household.players[-1].uuid
    for notify in changed:
        groups = SafeElementTree.fromstring(notify.values["ZoneGroupState"])
        assert last not in {g.get("Coordinator") for g in groups.iter("ZoneGroup")}


async def test_a_player_on_a_new_address_notifies_from_it(
    emulator_household_factory, notify_sink: NotifySink
) -> None:
    household = await emulator_household_factory(
        "singles", players=2, distinct_hosts=True
    )
    player, other = household.players
    rendering = get_service("RenderingControl")
    async with aiohttp.ClientSession() as session:
        await subscribe(session, player.base_url + rendering.event_url, notify_sink.url)
    assert (await notify_sink.next()).remote == player.host
    # A new DHCP lease: the player's address changes under its subscription.
    await player.go_offline()
    player.host = other.host.rsplit(".", 1)[0] + ".99"
    pytest_socket.socket_allow_hosts(
        ["127.0.0.1", *(p.host for p in household.players)], allow_unix_socket=True
    )
    await player.go_online()
    household.rendering_changed(player)
    assert (await notify_sink.next()).remote == player.host
