"""Stateful action handlers; every other action answers typed defaults."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from .alarms import Alarm, AlarmError
from .autoplay import AutoplaySettings
from .ringing import clock_seconds
from .values import Value

if TYPE_CHECKING:
    from .player import Player

type Args = Mapping[str, Value]
type Outputs = Mapping[str, Value] | None
type Handler = Callable[["Player", Args], Outputs]

ACTION_FAILED: Final = 501
INVALID_ARGS: Final = 402
# What a real player answers for an empty list (Browse of the favorites, an
# empty queue): a DIDL-Lite document with no items, never an empty string.
EMPTY_DIDL: Final = (
    '<DIDL-Lite xmlns:dc="http://purl.org/dc/elements/1.1/"'
    ' xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/"'
    ' xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/"'
    ' xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/"></DIDL-Lite>'
)
TRANSITION_NOT_AVAILABLE: Final = 701
NOT_A_COORDINATOR: Final = 800
HANDLERS: dict[tuple[str, str], Handler] = {}


class UpnpFaultError(Exception):
    """Answer the action with this UPnP error code."""

    def __init__(self, code: int) -> None:
        """Keep the code."""
        super().__init__(code)
        self.code = code


def _handles(service: str, action: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[(service, action)] = handler
        return handler

    return register


def _str(args: Args, name: str) -> str:
    return str(args[name])


def _int(args: Args, name: str) -> int:
    value = args[name]
    assert isinstance(value, int)
    return int(value)


def _bool(args: Args, name: str) -> bool:
    return bool(args[name])


def _is_master(args: Args) -> bool:
    """Only the Master channel has state; LF/RF stay at their defaults."""
    return args.get("Channel", "Master") == "Master"


# -- AlarmClock -------------------------------------------------------------


def _alarm_from(args: Args, alarm_id: int) -> Alarm:
    return Alarm(
        id=alarm_id,
        start_time=_str(args, "StartLocalTime"),
        duration=_str(args, "Duration"),
        recurrence=_str(args, "Recurrence"),
        enabled=_bool(args, "Enabled"),
        room_uuid=_str(args, "RoomUUID"),
        program_uri=_str(args, "ProgramURI"),
        program_metadata=_str(args, "ProgramMetaData"),
        play_mode=_str(args, "PlayMode"),
        volume=_int(args, "Volume"),
        include_linked_zones=_bool(args, "IncludeLinkedZones"),
    )


@_handles("AlarmClock", "CreateAlarm")
def _create_alarm(player: Player, args: Args) -> Outputs:
    try:
        alarm = player.household.alarms.create(_alarm_from(args, 0))
    except AlarmError as err:
        raise UpnpFaultError(err.code) from None
    player.household.alarms_changed()
    return {"AssignedID": alarm.id}


@_handles("AlarmClock", "UpdateAlarm")
def _update_alarm(player: Player, args: Args) -> Outputs:
    try:
        player.household.alarms.update(_alarm_from(args, _int(args, "ID")))
    except AlarmError as err:
        raise UpnpFaultError(err.code) from None
    player.household.alarms_changed()
    return None


@_handles("AlarmClock", "DestroyAlarm")
def _destroy_alarm(player: Player, args: Args) -> Outputs:
    try:
        player.household.alarms.destroy(_int(args, "ID"))
    except AlarmError as err:
        raise UpnpFaultError(err.code) from None
    player.household.alarms_changed()
    return None


@_handles("AlarmClock", "ListAlarms")
def _list_alarms(player: Player, _args: Args) -> Outputs:
    alarms = player.household.alarms
    return {
        "CurrentAlarmList": alarms.to_xml(),
        "CurrentAlarmListVersion": alarms.version,
    }


def _now(player: Player) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=player.household.clock.offset)


@_handles("AlarmClock", "GetTimeNow")
def _get_time_now(player: Player, _args: Args) -> Outputs:
    clock = player.household.clock
    now = _now(player)
    local = now + timedelta(minutes=clock.utc_offset_minutes)
    return {
        "CurrentUTCTime": now.strftime("%Y-%m-%d %H:%M:%S"),
        "CurrentLocalTime": local.strftime("%Y-%m-%d %H:%M:%S"),
        "CurrentTimeZone": clock.time_zone,
        "CurrentTimeGeneration": clock.time_generation,
    }


@_handles("AlarmClock", "SetTimeNow")
def _set_time_now(player: Player, args: Args) -> Outputs:
    try:
        wanted = datetime.strptime(  # noqa: DTZ007 - a local wall-clock time
            _str(args, "DesiredTime"), "%Y-%m-%d %H:%M:%S"
        )
    except ValueError:
        raise UpnpFaultError(INVALID_ARGS) from None
    clock = player.household.clock
    utc = wanted.replace(tzinfo=UTC) - timedelta(minutes=clock.utc_offset_minutes)
    clock.offset = (utc - datetime.now(UTC)).total_seconds()
    clock.time_generation += 1
    player.household.clock_changed()
    return None


@_handles("AlarmClock", "GetTimeZone")
def _get_time_zone(player: Player, _args: Args) -> Outputs:
    clock = player.household.clock
    return {"Index": clock.time_zone_index, "AutoAdjustDst": clock.auto_adjust_dst}


@_handles("AlarmClock", "GetTimeZoneAndRule")
def _get_time_zone_and_rule(player: Player, _args: Args) -> Outputs:
    clock = player.household.clock
    return {
        "Index": clock.time_zone_index,
        "AutoAdjustDst": clock.auto_adjust_dst,
        "CurrentTimeZone": clock.time_zone,
    }


@_handles("AlarmClock", "GetTimeZoneRule")
def _get_time_zone_rule(player: Player, _args: Args) -> Outputs:
    return {"TimeZone": player.household.clock.time_zone}


@_handles("AlarmClock", "SetTimeZone")
def _set_time_zone(player: Player, args: Args) -> Outputs:
    clock = player.household.clock
    clock.time_zone_index = _int(args, "Index")
    clock.auto_adjust_dst = _bool(args, "AutoAdjustDst")
    player.household.clock_changed()
    return None


@_handles("AlarmClock", "GetFormat")
def _get_format(player: Player, _args: Args) -> Outputs:
    clock = player.household.clock
    return {
        "CurrentTimeFormat": clock.time_format,
        "CurrentDateFormat": clock.date_format,
    }


@_handles("AlarmClock", "SetFormat")
def _set_format(player: Player, args: Args) -> Outputs:
    clock = player.household.clock
    clock.time_format = _str(args, "DesiredTimeFormat")
    clock.date_format = _str(args, "DesiredDateFormat")
    player.household.clock_changed()
    return None


@_handles("AlarmClock", "GetTimeServer")
def _get_time_server(player: Player, _args: Args) -> Outputs:
    return {"CurrentTimeServer": player.household.clock.time_server}


@_handles("AlarmClock", "SetTimeServer")
def _set_time_server(player: Player, args: Args) -> Outputs:
    player.household.clock.time_server = _str(args, "DesiredTimeServer")
    player.household.clock_changed()
    return None


@_handles("AlarmClock", "GetDailyIndexRefreshTime")
def _get_refresh(player: Player, _args: Args) -> Outputs:
    return {
        "CurrentDailyIndexRefreshTime": player.household.clock.daily_index_refresh_time
    }


@_handles("AlarmClock", "SetDailyIndexRefreshTime")
def _set_refresh(player: Player, args: Args) -> Outputs:
    player.household.clock.daily_index_refresh_time = _str(
        args, "DesiredDailyIndexRefreshTime"
    )
    player.household.clock_changed()
    return None


@_handles("AlarmClock", "GetHouseholdTimeAtStamp")
def _time_at_stamp(player: Player, _args: Args) -> Outputs:
    return {"HouseholdUTCTime": _now(player).strftime("%Y-%m-%d %H:%M:%S")}


# -- ZoneGroupTopology ------------------------------------------------------


@_handles("ZoneGroupTopology", "GetZoneGroupState")
def _zone_group_state(player: Player, _args: Args) -> Outputs:
    if player.faults.zone_group_state_501:
        raise UpnpFaultError(ACTION_FAILED)
    return {"ZoneGroupState": player.household.zone_group_state()}


@_handles("ZoneGroupTopology", "GetZoneGroupAttributes")
def _zone_group_attributes(player: Player, _args: Args) -> Outputs:
    household = player.household
    coordinator = player.group_coordinator
    return {
        "CurrentZoneGroupName": coordinator.room_name,
        "CurrentZoneGroupID": household.group_id(coordinator),
        "CurrentZonePlayerUUIDsInGroup": ",".join(
            p.uuid for p in household.group_members(coordinator)
        ),
        "CurrentMuseHouseholdId": household.household_id,
    }


@_handles("ZoneGroupTopology", "ReportAlarmStartedRunning")
def _alarm_started(player: Player, _args: Args) -> Outputs:
    player.household.bump_alarm_run_sequence()
    return None


# -- grouping (AVTransport / GroupManagement) -------------------------------


@_handles("AVTransport", "SetAVTransportURI")
def _set_uri(player: Player, args: Args) -> Outputs:
    uri = _str(args, "CurrentURI")
    household = player.household
    if uri.startswith("x-rincon:"):
        target = household.player_by_uuid(uri.removeprefix("x-rincon:"))
        if target is None or target is player or player.invisible:
            raise UpnpFaultError(INVALID_ARGS)
        household.join(player, target)
        return None
    if player.group_coordinator is not player:
        household.leave(player)
    player.current_uri = uri
    player.current_uri_metadata = _str(args, "CurrentURIMetaData")
    player.transport_state = "STOPPED"
    household.transport_changed(player)
    return None


@_handles("AVTransport", "BecomeCoordinatorOfStandaloneGroup")
def _standalone(player: Player, _args: Args) -> Outputs:
    household = player.household
    old_coordinator = player.group_coordinator
    household.leave(player)
    delegated = old_coordinator if old_coordinator is not player else player
    return {
        "DelegatedGroupCoordinatorID": delegated.uuid,
        "NewGroupID": household.group_id(player),
    }


@_handles("AVTransport", "Play")
def _play(player: Player, _args: Args) -> Outputs:
    return _transport(player, "PLAYING")


@_handles("AVTransport", "Pause")
def _pause(player: Player, _args: Args) -> Outputs:
    return _transport(player, "PAUSED_PLAYBACK")


@_handles("AVTransport", "Stop")
def _stop(player: Player, _args: Args) -> Outputs:
    playback = player.household.alarm_playback
    if player.group_coordinator is player and playback.of(player) is not None:
        playback.end(player)  # stopping playback ends the alarm
        return None
    return _transport(player, "STOPPED")


@_handles("AVTransport", "GetRunningAlarmProperties")
def _running_alarm(player: Player, _args: Args) -> Outputs:
    playback = player.household.alarm_playback
    if playback.running_alarm_error is not None:
        raise UpnpFaultError(playback.running_alarm_error)
    ringing = playback.of(player)
    if ringing is None:
        return {"AlarmID": 0, "GroupID": "", "LoggedStartTime": ""}
    return {
        "AlarmID": ringing.alarm_id,
        "GroupID": ringing.group_id,
        "LoggedStartTime": ringing.logged_start_time,
    }


@_handles("AVTransport", "SnoozeAlarm")
def _snooze(player: Player, args: Args) -> Outputs:
    if player.group_coordinator is not player:
        raise UpnpFaultError(NOT_A_COORDINATOR)
    playback = player.household.alarm_playback
    ringing = playback.of(player)
    if ringing is None:
        # Not known from a speaker; the emulator accepts and ignores it.
        return None
    seconds = clock_seconds(_str(args, "Duration"))
    if seconds is None or seconds <= 0:
        raise UpnpFaultError(INVALID_ARGS)
    if ringing.snoozed:
        raise UpnpFaultError(TRANSITION_NOT_AVAILABLE)
    playback.snooze(player, seconds)
    return None


def _transport(player: Player, state: str) -> Outputs:
    coordinator = player.group_coordinator
    if coordinator is not player:
        # Sonos: transport commands must go to the group coordinator.
        raise UpnpFaultError(701)
    player.transport_state = state
    player.household.transport_changed(player)
    return None


@_handles("AVTransport", "GetTransportInfo")
def _transport_info(player: Player, _args: Args) -> Outputs:
    return {
        "CurrentTransportState": player.group_coordinator.transport_state,
        "CurrentTransportStatus": "OK",
        "CurrentSpeed": "1",
    }


@_handles("AVTransport", "GetMediaInfo")
def _media_info(player: Player, _args: Args) -> Outputs:
    return {
        "CurrentURI": player.current_uri,
        "CurrentURIMetaData": player.current_uri_metadata,
        "PlayMedium": "NETWORK" if player.current_uri else "NONE",
        "MediaDuration": "NOT_IMPLEMENTED",
        "WriteStatus": "NOT_IMPLEMENTED",
    }


@_handles("AVTransport", "GetPositionInfo")
def _position_info(player: Player, _args: Args) -> Outputs:
    coordinator = player.group_coordinator
    return {
        "TrackURI": coordinator.current_uri,
        "TrackMetaData": coordinator.current_uri_metadata,
        "TrackDuration": "0:00:00",
        "RelTime": "0:00:00",
        "AbsTime": "NOT_IMPLEMENTED",
        "RelCount": 2147483647,
        "AbsCount": 2147483647,
    }


@_handles("GroupManagement", "AddMember")
def _add_member(player: Player, args: Args) -> Outputs:
    household = player.household
    member = household.player_by_uuid(_str(args, "MemberID"))
    if member is None or member is player or member.invisible:
        raise UpnpFaultError(INVALID_ARGS)
    household.join(member, player)
    return {
        "CurrentTransportSettings": "0,0,0",
        "CurrentURI": player.group_coordinator.current_uri,
        "GroupUUIDJoined": household.group_id(player.group_coordinator),
        "ResetVolumeAfter": False,
        "VolumeAVTransportURI": "",
    }


@_handles("GroupManagement", "RemoveMember")
def _remove_member(player: Player, args: Args) -> Outputs:
    household = player.household
    member = household.player_by_uuid(_str(args, "MemberID"))
    if member is None or member.group_coordinator is not player.group_coordinator:
        raise UpnpFaultError(INVALID_ARGS)
    household.leave(member)
    return None


# -- DeviceProperties -------------------------------------------------------


@_handles("DeviceProperties", "GetZoneAttributes")
def _zone_attributes(player: Player, _args: Args) -> Outputs:
    return {
        "CurrentZoneName": player.room_name,
        "CurrentIcon": player.icon,
        "CurrentConfiguration": "1",
        "CurrentTargetRoomName": player.room_name,
    }


@_handles("DeviceProperties", "SetZoneAttributes")
def _set_zone_attributes(player: Player, args: Args) -> Outputs:
    name = _str(args, "DesiredZoneName")
    if not name:
        raise UpnpFaultError(INVALID_ARGS)
    player.room_name = name
    if icon := _str(args, "DesiredIcon"):
        player.icon = icon
    player.notify("DeviceProperties", ("ZoneName", "Icon"))
    player.household.topology_changed()
    return None


@_handles("DeviceProperties", "GetLEDState")
def _led_state(player: Player, _args: Args) -> Outputs:
    return {"CurrentLEDState": player.led_state}


@_handles("DeviceProperties", "SetLEDState")
def _set_led_state(player: Player, args: Args) -> Outputs:
    player.led_state = _str(args, "DesiredLEDState")
    return None


@_handles("DeviceProperties", "GetButtonLockState")
def _button_lock(player: Player, _args: Args) -> Outputs:
    return {"CurrentButtonLockState": player.button_lock_state}


@_handles("DeviceProperties", "SetButtonLockState")
def _set_button_lock(player: Player, args: Args) -> Outputs:
    player.button_lock_state = _str(args, "DesiredButtonLockState")
    return None


@_handles("DeviceProperties", "GetHouseholdID")
def _household_id(player: Player, _args: Args) -> Outputs:
    return {"CurrentHouseholdID": player.household.household_id}


@_handles("DeviceProperties", "GetZoneInfo")
def _zone_info(player: Player, _args: Args) -> Outputs:
    return {
        "SerialNumber": player.serial,
        "SoftwareVersion": player.software_version,
        "DisplaySoftwareVersion": player.display_version,
        "HardwareVersion": player.hardware_version,
        "IPAddress": player.host,
        "MACAddress": player.mac,
        "CopyrightInfo": "© 2004-2026 Sonos, Inc. All Rights Reserved.",
        "ExtraInfo": "",
        "HTAudioIn": 0,
        "Flags": 0,
    }


def _autoplay(player: Player, args: Args) -> AutoplaySettings:
    """Return the settings of the source asked for; 402 for a missing input."""
    settings = player.autoplay.get(_str(args, "Source"))
    if settings is None:
        raise UpnpFaultError(INVALID_ARGS)
    return settings


@_handles("DeviceProperties", "GetAutoplayRoomUUID")
def _get_autoplay_room(player: Player, args: Args) -> Outputs:
    return {"RoomUUID": _autoplay(player, args).room_uuid}


@_handles("DeviceProperties", "SetAutoplayRoomUUID")
def _set_autoplay_room(player: Player, args: Args) -> Outputs:
    _autoplay(player, args).room_uuid = _str(args, "RoomUUID")
    return None


@_handles("DeviceProperties", "GetAutoplayLinkedZones")
def _get_autoplay_linked(player: Player, args: Args) -> Outputs:
    return {"IncludeLinkedZones": _autoplay(player, args).include_linked_zones}


@_handles("DeviceProperties", "SetAutoplayLinkedZones")
def _set_autoplay_linked(player: Player, args: Args) -> Outputs:
    _autoplay(player, args).include_linked_zones = _bool(args, "IncludeLinkedZones")
    return None


@_handles("DeviceProperties", "GetAutoplayVolume")
def _get_autoplay_volume(player: Player, args: Args) -> Outputs:
    return {"CurrentVolume": _autoplay(player, args).volume}


@_handles("DeviceProperties", "SetAutoplayVolume")
def _set_autoplay_volume(player: Player, args: Args) -> Outputs:
    volume = _int(args, "Volume")
    if volume > 100:
        raise UpnpFaultError(INVALID_ARGS)
    _autoplay(player, args).volume = volume
    return None


@_handles("DeviceProperties", "GetUseAutoplayVolume")
def _get_use_autoplay_volume(player: Player, args: Args) -> Outputs:
    return {"UseVolume": _autoplay(player, args).use_volume}


@_handles("DeviceProperties", "SetUseAutoplayVolume")
def _set_use_autoplay_volume(player: Player, args: Args) -> Outputs:
    _autoplay(player, args).use_volume = _bool(args, "UseVolume")
    return None


# -- ContentDirectory / Queue -------------------------------------------------


@_handles("ContentDirectory", "Browse")
def _browse(_player: Player, _args: Args) -> Outputs:
    # Nothing is stored (favorites, library, playlists): every list is empty.
    return {"Result": EMPTY_DIDL, "NumberReturned": 0, "TotalMatches": 0}


@_handles("Queue", "Browse")
def _browse_queue(player: Player, _args: Args) -> Outputs:
    return {
        "Result": EMPTY_DIDL,
        "NumberReturned": 0,
        "TotalMatches": 0,
        "UpdateID": player.queue_update_id,
    }


# -- RenderingControl / GroupRenderingControl --------------------------------


@_handles("RenderingControl", "GetVolume")
def _get_volume(player: Player, args: Args) -> Outputs:
    return {"CurrentVolume": player.volume if _is_master(args) else 100}


@_handles("RenderingControl", "SetVolume")
def _set_volume(player: Player, args: Args) -> Outputs:
    volume = _int(args, "DesiredVolume")
    if volume > 100:
        raise UpnpFaultError(INVALID_ARGS)
    if not _is_master(args):
        return None
    player.volume = volume
    player.household.rendering_changed(player)
    return None


@_handles("RenderingControl", "SetRelativeVolume")
def _set_relative_volume(player: Player, args: Args) -> Outputs:
    if not _is_master(args):
        return {"NewVolume": 100}
    player.volume = max(0, min(100, player.volume + _int(args, "Adjustment")))
    player.household.rendering_changed(player)
    return {"NewVolume": player.volume}


@_handles("RenderingControl", "GetMute")
def _get_mute(player: Player, args: Args) -> Outputs:
    return {"CurrentMute": player.mute and _is_master(args)}


@_handles("RenderingControl", "SetMute")
def _set_mute(player: Player, args: Args) -> Outputs:
    if not _is_master(args):
        return None
    player.mute = _bool(args, "DesiredMute")
    player.household.rendering_changed(player)
    return None


@_handles("RenderingControl", "GetBass")
def _get_bass(player: Player, _args: Args) -> Outputs:
    return {"CurrentBass": player.bass}


@_handles("RenderingControl", "SetBass")
def _set_bass(player: Player, args: Args) -> Outputs:
    player.bass = max(-10, min(10, _int(args, "DesiredBass")))
    player.household.rendering_changed(player)
    return None


@_handles("RenderingControl", "GetTreble")
def _get_treble(player: Player, _args: Args) -> Outputs:
    return {"CurrentTreble": player.treble}


@_handles("RenderingControl", "SetTreble")
def _set_treble(player: Player, args: Args) -> Outputs:
    player.treble = max(-10, min(10, _int(args, "DesiredTreble")))
    player.household.rendering_changed(player)
    return None


@_handles("RenderingControl", "GetLoudness")
def _get_loudness(player: Player, args: Args) -> Outputs:
    return {"CurrentLoudness": player.loudness and _is_master(args)}


@_handles("RenderingControl", "SetLoudness")
def _set_loudness(player: Player, args: Args) -> Outputs:
    if not _is_master(args):
        return None
    player.loudness = _bool(args, "DesiredLoudness")
    player.household.rendering_changed(player)
    return None


@_handles("GroupRenderingControl", "GetGroupVolume")
def _group_volume(player: Player, _args: Args) -> Outputs:
    members = player.household.group_members(player.group_coordinator)
    return {"CurrentVolume": sum(p.volume for p in members) // max(len(members), 1)}


@_handles("GroupRenderingControl", "GetGroupMute")
def _group_mute(player: Player, _args: Args) -> Outputs:
    members = player.household.group_members(player.group_coordinator)
    return {"CurrentMute": all(p.mute for p in members)}


def _set_group_volume_to(player: Player, volume: int) -> None:
    """Move every member's volume by the same amount towards a group volume."""
    household = player.household
    members = household.group_members(player.group_coordinator)
    current = sum(p.volume for p in members) // max(len(members), 1)
    delta = volume - current
    for member in members:
        member.volume = max(0, min(100, member.volume + delta))
        household.rendering_changed(member)


@_handles("GroupRenderingControl", "SetGroupVolume")
def _set_group_volume(player: Player, args: Args) -> Outputs:
    volume = _int(args, "DesiredVolume")
    if volume > 100:
        raise UpnpFaultError(INVALID_ARGS)
    _set_group_volume_to(player, volume)
    return None


@_handles("GroupRenderingControl", "SetRelativeGroupVolume")
def _set_relative_group_volume(player: Player, args: Args) -> Outputs:
    members = player.household.group_members(player.group_coordinator)
    current = sum(p.volume for p in members) // max(len(members), 1)
    target = max(0, min(100, current + _int(args, "Adjustment")))
    _set_group_volume_to(player, target)
    return {"NewVolume": target}


@_handles("GroupRenderingControl", "SetGroupMute")
def _set_group_mute(player: Player, args: Args) -> Outputs:
    household = player.household
    for member in household.group_members(player.group_coordinator):
        member.mute = _bool(args, "DesiredMute")
        household.rendering_changed(member)
    return None
