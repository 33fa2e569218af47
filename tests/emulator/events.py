"""Values of evented state variables (initial NOTIFY and change events)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from custom_components.sonos_upnp.upnp.catalog import INTEGER_RANGES, get_service

from .xml_tools import last_change

if TYPE_CHECKING:
    from .player import Player

AVT_NS: Final = "urn:schemas-upnp-org:metadata-1-0/AVT/"
RCS_NS: Final = "urn:schemas-upnp-org:metadata-1-0/RCS/"
QUEUE_NS: Final = "urn:schemas-sonos-com:metadata-1-0/Queue/"


def _flag(value: bool) -> str:
    return "1" if value else "0"


def avtransport_last_change(player: Player) -> str:
    """Return the AVTransport LastChange document of a player."""
    coordinator = player.group_coordinator
    alarm_running, snooze_running, restart_pending = (
        player.household.alarm_playback.variables(player)
    )
    return last_change(
        AVT_NS,
        "InstanceID",
        [
            ("TransportState", coordinator.transport_state, None),
            ("CurrentPlayMode", "NORMAL", None),
            ("CurrentCrossfadeMode", "0", None),
            ("NumberOfTracks", "0", None),
            ("CurrentTrack", "0", None),
            ("CurrentSection", "0", None),
            ("CurrentTrackURI", coordinator.current_uri, None),
            ("CurrentTrackDuration", "0:00:00", None),
            ("CurrentTrackMetaData", coordinator.current_uri_metadata, None),
            ("NextTrackURI", "", None),
            ("NextTrackMetaData", "", None),
            ("EnqueuedTransportURI", "", None),
            ("EnqueuedTransportURIMetaData", "", None),
            (
                "PlaybackStorageMedium",
                "NETWORK" if player.current_uri else "NONE",
                None,
            ),
            ("AVTransportURI", player.current_uri, None),
            ("AVTransportURIMetaData", player.current_uri_metadata, None),
            ("CurrentTransportActions", "Set, Stop, Pause, Play", None),
            ("TransportStatus", "OK", None),
            ("SleepTimerGeneration", "0", None),
            ("AlarmRunning", alarm_running, None),
            ("SnoozeRunning", snooze_running, None),
            ("RestartPending", restart_pending, None),
        ],
    )


def rendering_last_change(player: Player) -> str:
    """Return the RenderingControl LastChange document of a player."""
    return last_change(
        RCS_NS,
        "InstanceID",
        [
            ("Volume", str(player.volume), "Master"),
            ("Volume", "100", "LF"),
            ("Volume", "100", "RF"),
            ("Mute", _flag(player.mute), "Master"),
            ("Mute", "0", "LF"),
            ("Mute", "0", "RF"),
            ("Bass", str(player.bass), None),
            ("Treble", str(player.treble), None),
            ("Loudness", _flag(player.loudness), "Master"),
            ("OutputFixed", "0", None),
            ("HeadphoneConnected", "0", None),
            ("SpeakerSize", "3", None),
            ("SubGain", "0", None),
            ("SubCrossover", "0", None),
            ("SubPolarity", "0", None),
            ("SubEnabled", "1", None),
            ("PresetNameList", "FactoryDefaults", None),
        ],
    )


def queue_last_change(player: Player) -> str:
    """Return the Queue LastChange document of a player."""
    return last_change(
        QUEUE_NS,
        "QueueID",
        [
            ("UpdateID", str(player.queue_update_id), None),
            ("Curated", "0", None),
            ("QueueOwnerID", "", None),
        ],
    )


def _specific_values(player: Player, service_name: str) -> dict[str, str]:  # noqa: PLR0911
    household = player.household
    coordinator = player.group_coordinator
    match service_name:
        case "AVTransport":
            return {"LastChange": avtransport_last_change(player)}
        case "RenderingControl":
            return {"LastChange": rendering_last_change(player)}
        case "Queue":
            return {"LastChange": queue_last_change(player)}
        case "ZoneGroupTopology":
            return {
                "ZoneGroupState": household.zone_group_state(),
                "AlarmRunSequence": household.alarm_run_sequence,
                "MuseHouseholdId": household.household_id,
                "ZoneGroupName": coordinator.room_name,
                "ZoneGroupID": household.group_id(coordinator),
                "ZonePlayerUUIDsInGroup": ",".join(
                    p.uuid for p in household.group_members(coordinator)
                ),
            }
        case "AlarmClock":
            clock = household.clock
            return {
                "TimeZone": clock.time_zone,
                "TimeServer": clock.time_server,
                "TimeGeneration": str(clock.time_generation),
                "AlarmListVersion": household.alarms.version,
                "DailyIndexRefreshTime": clock.daily_index_refresh_time,
                "TimeFormat": clock.time_format,
                "DateFormat": clock.date_format,
            }
        case "DeviceProperties":
            return {
                "ZoneName": player.room_name,
                "Icon": player.icon,
                "Configuration": "1",
                "Invisible": _flag(player.invisible),
                "IsZoneBridge": "0",
                "ChannelMapSet": player.channel_map_set,
                "HTSatChanMapSet": player.ht_sat_chan_map_set,
                "ChannelFreq": "2412",
                "SecureRegState": "3",
                "LastChangedPlayState": f"{player.transport_state},,,",
            }
        case "GroupRenderingControl":
            members = household.group_members(coordinator)
            volume = sum(p.volume for p in members) // max(len(members), 1)
            return {
                "GroupMute": _flag(all(p.mute for p in members)),
                "GroupVolume": str(volume),
                "GroupVolumeChangeable": "1",
            }
        case "GroupManagement":
            return {
                "GroupCoordinatorIsLocal": _flag(coordinator is player),
                "LocalGroupUUID": household.group_id(coordinator),
            }
    return {}


def event_values(player: Player, service_name: str) -> dict[str, str]:
    """Return all evented variables of a service: realistic or typed defaults."""
    service = get_service(service_name)
    specific = _specific_values(player, service_name)
    values: dict[str, str] = {}
    for variable in service.state_variables:
        if not variable.evented:
            continue
        if variable.name in specific:
            values[variable.name] = specific[variable.name]
        elif variable.data_type in INTEGER_RANGES or variable.data_type == "boolean":
            values[variable.name] = "0"
        elif variable.allowed_values:
            values[variable.name] = variable.allowed_values[0]
        else:
            values[variable.name] = ""
    return values
