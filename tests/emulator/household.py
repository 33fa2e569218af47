"""A household: players sharing an ID, alarms, a clock and a topology."""

from __future__ import annotations

import asyncio
import random
import string
import time
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Self
from xml.etree.ElementTree import Element, SubElement

from custom_components.sonos_upnp.upnp.catalog import MODELS, Model

from .alarms import AlarmList
from .gena import NotifyTap
from .player import Player
from .ringing import AlarmPlayback
from .xml_tools import to_text

DEFAULT_HOST: Final = "127.0.0.1"
SONOS_PORT: Final = 1400
SONOS_OUI: Final = (0x48, 0xA6, 0xB8)
MODELS_BY_CODE: Final = {model.model: model for model in MODELS}
DEFAULT_NOTIFY_TIMEOUT: Final = 2.0


@dataclass(slots=True)
class Clock:
    """Household time settings (AlarmClock time, zone and format actions)."""

    time_zone: str = "ffc40a000503000003000502ffc4"
    utc_offset_minutes: int = 60
    time_server: str = "0.sonostime.pool.ntp.org,1.sonostime.pool.ntp.org"
    time_generation: int = 1
    time_zone_index: int = 20
    auto_adjust_dst: bool = True
    time_format: str = "24H"
    date_format: str = "DMY"
    daily_index_refresh_time: str = "02:00:00"
    offset: float = 0.0
    """Seconds between the household's clock (SetTimeNow) and the real one."""


ROOM_ICONS: Final = {
    "living": "living",
    "kitchen": "kitchen",
    "bedroom": "bedroom",
    "office": "office",
    "bathroom": "bathroom",
    "dining": "dining",
    "garage": "garage",
    "patio": "patio",
    "den": "den",
    "library": "library",
    "tv": "tvroom",
}


def room_icon(room_name: str) -> str:
    """Return a plausible room icon for a room name (living room by default)."""
    words = room_name.lower().split()
    icon = next((ROOM_ICONS[w] for w in words if w in ROOM_ICONS), "living")
    return f"x-rincon-roomicon:{icon}"


def model_by_code(code: str) -> Model:
    """Return a catalog model by its code (S13, S14, Sub...)."""
    try:
        return MODELS_BY_CODE[code]
    except KeyError:
        raise ValueError(f"unknown model {code!r}: {sorted(MODELS_BY_CODE)}") from None


class Household:
    """Players of one household, their shared state and their servers.

    Build it (add_player, bond_stereo_pair, bond_home_theater, group), then
    `await start()` (or `async with`), and `await stop()` at the end.
    """

    def __init__(
        self,
        *,
        household_id: str | None = None,
        host: str = DEFAULT_HOST,
        base_port: int = 0,
        seed: int | None = None,
        notify_timeout: float = DEFAULT_NOTIFY_TIMEOUT,
    ) -> None:
        """Create an empty household (ports: base_port + i, or OS-picked)."""
        self._random = random.Random(seed)  # noqa: S311 - test identities
        token = "".join(
            self._random.choices(string.ascii_letters + string.digits, k=22)
        )
        self.household_id = household_id or f"Sonos_{token}"
        self.host = host
        self.base_port = base_port
        self.notify_timeout = notify_timeout
        self.notify_tap: NotifyTap | None = None
        """Opt-in: hold NOTIFYs to chosen listeners, note when each was sent."""
        self.players: list[Player] = []
        self.alarms = AlarmList(owner_uuid="")
        self.clock = Clock()
        self.alarm_run_number = 0
        self.alarm_playback = AlarmPlayback()
        self.topology_version = 0
        # Topology quirks real households show (see README.md).
        self.left_out: set[str] = set()
        """Players missing from ZoneGroupState without a VanishedDevices entry."""
        self.locations: dict[str, str | None] = {}
        """Location attributes other than a player's own (None: no Location)."""
        self.legacy_topology = False
        """Send the pre-2019 shape: a bare <ZoneGroups> root, no VanishedDevices."""
        self._group_ids: dict[str, str] = {}
        self._group_counter = self._random.randrange(1, 1000)
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- building ---------------------------------------------------------

    def _new_mac(self) -> str:
        used = {player.mac for player in self.players}
        while True:
            octets = (*SONOS_OUI, *(self._random.randrange(256) for _ in range(3)))
            mac = ":".join(f"{octet:02X}" for octet in octets)
            if mac not in used:
                return mac

    def add_player(
        self,
        room_name: str,
        model: str = "S13",
        *,
        host: str | None = None,
        port: int | None = None,
    ) -> Player:
        """Add a standalone player (call before start)."""
        mac = self._new_mac()
        index = len(self.players)
        if port is None:
            port = self.base_port + index if self.base_port else 0
        player = Player(
            self,
            uuid=f"RINCON_{mac.replace(':', '')}01400",
            mac=mac,
            room_name=room_name,
            model=model_by_code(model),
            host=host or self.host,
            port=port,
            boot_seq=self._random.randrange(5, 200),
        )
        player.icon = room_icon(room_name)
        self.players.append(player)
        if not self.alarms.owner_uuid:
            self.alarms.owner_uuid = player.uuid
        return player

    def bond_stereo_pair(self, left: Player, right: Player) -> None:
        """Make right the invisible right channel of left (a stereo pair)."""
        channel_map = f"{left.uuid}:LF,LF;{right.uuid}:RF,RF"
        right.bonded_to = left
        right.room_name = left.room_name
        for player in (left, right):
            player.channel_map_set = channel_map
        self.topology_changed()

    def bond_home_theater(
        self,
        primary: Player,
        *,
        sub: Player | None = None,
        surrounds: tuple[Player, Player] | None = None,
    ) -> None:
        """Attach a sub and/or rear surrounds to a soundbar as satellites."""
        parts = [f"{primary.uuid}:LF,RF"]
        if sub is not None:
            parts.append(f"{sub.uuid}:SW")
        if surrounds is not None:
            parts += [f"{surrounds[0].uuid}:LR", f"{surrounds[1].uuid}:RR"]
        primary.ht_sat_chan_map_set = ";".join(parts)
        for satellite, channel in (
            (sub, "SW"),
            *(zip(surrounds, ("LR", "RR"), strict=True) if surrounds else ()),
        ):
            if satellite is None:
                continue
            satellite.bonded_to = primary
            satellite.is_satellite = True
            satellite.room_name = primary.room_name
            satellite.ht_sat_chan_map_set = (
                f"{primary.uuid}:LF,RF;{satellite.uuid}:{channel}"
            )
        self.topology_changed()

    def group(self, coordinator: Player, *members: Player) -> None:
        """Put members into coordinator's group."""
        for member in members:
            self.join(member, coordinator)

    # -- look-ups ---------------------------------------------------------

    def player_by_uuid(self, uuid: str) -> Player | None:
        """Return the player with that UUID, if it belongs to this household."""
        return next((p for p in self.players if p.uuid == uuid), None)

    def player_by_room(self, room_name: str) -> Player:
        """Return the (visible) player of a room."""
        return next(
            p for p in self.players if p.room_name == room_name and not p.invisible
        )

    @property
    def visible_players(self) -> list[Player]:
        """Return the players that are rooms of their own (not bonded parts)."""
        return [p for p in self.players if not p.invisible]

    def group_members(self, coordinator: Player) -> list[Player]:
        """Return all players of a group (coordinator first, bonded parts too)."""
        members = [p for p in self.players if p.group_coordinator is coordinator]
        members.sort(key=lambda p: p is not coordinator)
        return members

    def group_id(self, coordinator: Player) -> str:
        """Return the ID of the group a coordinator leads."""
        if coordinator.uuid not in self._group_ids:
            self._group_counter += 1
            self._group_ids[coordinator.uuid] = (
                f"{coordinator.uuid}:{self._group_counter}"
            )
        return self._group_ids[coordinator.uuid]

    # -- grouping ---------------------------------------------------------

    def _hand_over(self, player: Player) -> None:
        """Before player leaves its group, pass coordination to another member."""
        if player.coordinator is not player:
            return
        others = [
            p
            for p in self.visible_players
            if p.coordinator is player and p is not player
        ]
        if others:
            successor = others[0]
            for other in others:
                other.coordinator = successor
            self._group_ids.pop(successor.uuid, None)
            self.alarm_playback.hand_over(player, successor)
        self._group_ids.pop(player.uuid, None)

    def join(self, player: Player, target: Player) -> None:
        """Make player a member of target's group (x-rincon / AddMember)."""
        coordinator = target.group_coordinator
        player = player.bonded_to or player
        if player.group_coordinator is coordinator:
            return
        alarm_variables = self._alarm_variables()
        self._hand_over(player)
        player.coordinator = coordinator
        self.topology_changed()
        self._event_alarm_variables_changed(alarm_variables)

    def leave(self, player: Player) -> None:
        """Make player a standalone group (BecomeCoordinatorOfStandaloneGroup)."""
        player = player.bonded_to or player
        alone = player.coordinator is player and not any(
            p.coordinator is player for p in self.visible_players if p is not player
        )
        if alone:
            return
        alarm_variables = self._alarm_variables()
        self._hand_over(player)
        player.coordinator = player
        self.topology_changed()
        self._event_alarm_variables_changed(alarm_variables)

    def _alarm_variables(self) -> dict[str, tuple[str, str, str]]:
        return {p.uuid: self.alarm_playback.variables(p) for p in self.visible_players}

    def _event_alarm_variables_changed(
        self, before: dict[str, tuple[str, str, str]]
    ) -> None:
        """Event AVTransport on the players whose group's alarm state differs.

        A player events every change of its evented variables; a regrouped
        member reports its new group's alarm variables.
        """
        for player in self.visible_players:
            if before.get(player.uuid) != self.alarm_playback.variables(player):
                player.notify("AVTransport")

    def vanish(self, player: Player) -> None:
        """Drop an offline player from the topology (VanishedDevices)."""
        player.vanished = True
        player.last_seen = int(time.time())
        self._hand_over(player)
        player.coordinator = player
        self.topology_changed()

    def reappear(self, player: Player) -> None:
        """Bring a vanished player back into the topology, standalone."""
        player.vanished = False
        self.topology_changed()

    async def add_player_live(self, room_name: str, model: str = "S13") -> Player:
        """Set up a new player in a running household (it joins standalone).

        The others list it only once it serves: before that its port may not
        be known yet (0), and a real player is not listed before it is on
        the network.
        """
        player = self.add_player(room_name, model)
        self.players.remove(player)
        try:
            await player.start()
        finally:
            self.players.append(player)
        self.topology_changed()
        return player

    async def move_player_to(self, player: Player, other: Household) -> None:
        """Move a player to another household (reset, then set up there).

        The reset makes it forget its subscriptions; it joins standalone.
        """
        self._hand_over(player)
        self.players.remove(player)
        await player.gena.forget()
        player.household = other
        player.coordinator = player
        player.boot_seq += 1
        other.players.append(player)
        self.topology_changed()
        other.topology_changed()

    async def remove_player(self, player: Player) -> None:
        """Take a player out of the household for good (factory reset)."""
        self._hand_over(player)
        self.players.remove(player)
        await player.close()
        self.topology_changed()

    # -- documents --------------------------------------------------------

    def _member_attributes(self, player: Player) -> dict[str, str]:
        location = self.locations.get(player.uuid, player.location)
        attributes = {
            "UUID": player.uuid,
            "Location": location or "",
            "ZoneName": player.room_name,
            "Icon": player.icon,
            "Configuration": "1",
            "Invisible": "1" if player.invisible else "0",
            "IsZoneBridge": "0",
            "SoftwareVersion": player.software_version,
            "SWGen": str(player.model.software_generation),
            "MinCompatibleVersion": "76.0-00000",
            "LegacyCompatibleVersion": "58.0-00000",
        }
        if location is None:
            del attributes["Location"]
        if player.channel_map_set:
            attributes["ChannelMapSet"] = player.channel_map_set
        if player.ht_sat_chan_map_set:
            attributes["HTSatChanMapSet"] = player.ht_sat_chan_map_set
        attributes |= {
            "BootSeq": str(player.boot_seq),
            "TVConfigurationError": "0",
            "HdmiCecAvailable": "0",
            "WirelessMode": "0",
            "WirelessLeafOnly": "0",
            "ChannelFreq": "2412",
            "BehindWifiExtender": "0",
            "WifiEnabled": "1",
            "EthLink": "1",
            "Orientation": "0",
            "RoomCalibrationState": "4",
            "SecureRegState": "3",
            "VoiceConfigState": "0",
            "MicEnabled": "0",
            "AirPlayEnabled": "0",
            "IdleState": "1",
            "MoreInfo": "",
            "SSLPort": "1443",
            "HHSSLPort": "1843",
        }
        return attributes

    def zone_group_state(self) -> str:
        """Return the current ZoneGroupState document (unescaped)."""
        root = Element("ZoneGroupState")
        groups = SubElement(root, "ZoneGroups")
        for coordinator in self.visible_players:
            if (
                coordinator.coordinator is not coordinator
                or coordinator.vanished
                or coordinator.uuid in self.left_out
            ):
                continue
            group = SubElement(
                groups,
                "ZoneGroup",
                {"Coordinator": coordinator.uuid, "ID": self.group_id(coordinator)},
            )
            for member in self.group_members(coordinator):
                if member.is_satellite or member.vanished:
                    continue  # satellites are nested under their primary
                if member.uuid in self.left_out:
                    continue
                element = SubElement(
                    group, "ZoneGroupMember", self._member_attributes(member)
                )
                for satellite in self.players:
                    if (
                        satellite.is_satellite
                        and satellite.bonded_to is member
                        and not satellite.vanished
                    ):
                        SubElement(
                            element, "Satellite", self._member_attributes(satellite)
                        )
        if self.legacy_topology:
            return to_text(groups)
        vanished = SubElement(root, "VanishedDevices")
        for player in self.players:
            if player.vanished:
                SubElement(
                    vanished,
                    "Device",
                    {
                        "UUID": player.uuid,
                        "ZoneName": player.room_name,
                        "Reason": "powered off",
                        "LastSeen": str(player.last_seen),
                    },
                )
        return to_text(root)

    @property
    def alarm_run_sequence(self) -> str:
        """Return AlarmRunSequence (`<uuid>:<bootseq>:<n>`)."""
        owner = self.players[0] if self.players else None
        if owner is None:
            return ""
        return f"{owner.uuid}:{owner.boot_seq}:{self.alarm_run_number}"

    # -- events -----------------------------------------------------------

    def topology_changed(self) -> None:
        """Event the new topology on every player of the household."""
        self.topology_version += 1
        for player in self.players:
            player.notify("ZoneGroupTopology")
            player.notify("GroupManagement")

    def alarms_changed(self) -> None:
        """Event the new AlarmListVersion on every player."""
        for player in self.players:
            player.notify("AlarmClock", ("AlarmListVersion",))

    def clock_changed(self) -> None:
        """Event the time settings on every player."""
        for player in self.players:
            player.notify("AlarmClock")

    def transport_changed(self, player: Player) -> None:
        """Event AVTransport on the player's group."""
        for member in self.group_members(player.group_coordinator):
            member.notify("AVTransport")
            member.notify("DeviceProperties", ("LastChangedPlayState",))

    def rendering_changed(self, player: Player) -> None:
        """Event RenderingControl on the player and group volume on its group."""
        player.notify("RenderingControl")
        for member in self.group_members(player.group_coordinator):
            member.notify("GroupRenderingControl")

    def bump_alarm_run_sequence(self) -> None:
        """Change AlarmRunSequence (an alarm started) and event it everywhere."""
        self.alarm_run_number += 1
        for player in self.players:
            player.notify("ZoneGroupTopology", ("AlarmRunSequence",))

    def fire_alarm(
        self, alarm_id: int | None = None, room: Player | None = None
    ) -> None:
        """Make an alarm go off now: its room plays and AlarmRunSequence moves."""
        alarm = None
        if alarm_id is not None:
            alarm = self.alarms.get(alarm_id)
        elif self.alarms.alarms:
            alarm = next(
                (
                    a
                    for a in self.alarms.alarms
                    if room is None or a.room_uuid == room.uuid
                ),
                None,
            )
        target = room
        if alarm is not None:
            target = self.player_by_uuid(alarm.room_uuid) or room
        if target is not None:
            coordinator = target.group_coordinator
            if alarm is not None:
                coordinator.current_uri = alarm.program_uri
                coordinator.current_uri_metadata = alarm.program_metadata
                target.volume = alarm.volume
                self.alarm_playback.start(coordinator, alarm)
            coordinator.transport_state = "PLAYING"
            self.transport_changed(coordinator)
        self.bump_alarm_run_sequence()

    # -- running ----------------------------------------------------------

    def spawn(
        self, coroutine: Coroutine[Any, Any, Any], name: str
    ) -> asyncio.Task[Any]:
        """Run a background job (a scheduled fault) owned by the household."""
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def start(self) -> None:
        """Start every player's server concurrently."""
        results = await asyncio.gather(
            *(player.start() for player in self.players), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            await self.stop()
            raise errors[0]

    async def stop(self) -> None:
        """Stop servers, subscriptions, NOTIFY sessions and background jobs."""
        self.alarm_playback.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(player.close() for player in self.players))

    async def __aenter__(self) -> Self:
        """Start the household."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the household."""
        await self.stop()

    def to_json(self) -> dict[str, Any]:
        """Return the household's state as JSON-able data."""
        return {
            "household_id": self.household_id,
            "alarm_list_version": self.alarms.version,
            "alarms": [alarm.to_json() for alarm in self.alarms.alarms],
            "foreign_alarms": list(self.alarms.foreign),
            "alarm_run_sequence": self.alarm_run_sequence,
            "topology_version": self.topology_version,
            "groups": {
                self.group_id(c): [p.uuid for p in self.group_members(c)]
                for c in self.visible_players
                if c.coordinator is c
            },
            "players": [
                {"uuid": p.uuid, "room_name": p.room_name, "location": p.location}
                for p in self.players
            ],
        }


def household_from_rooms(rooms: Iterable[str], **kwargs: Any) -> Household:
    """Return a household of standalone players named after rooms."""
    household = Household(**kwargs)
    for room in rooms:
        household.add_player(room)
    return household
