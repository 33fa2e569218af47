"""The HTTP control endpoint of each player: `/emulator/state` and `/emulator/fault`."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from .alarms import AlarmError

if TYPE_CHECKING:
    from .player import Player

DEFAULT_OUTAGE: Final = 0.2


def add_routes(app: web.Application, player: Player) -> None:
    """Register the control endpoint on a player's app."""

    async def state(_request: web.Request) -> web.Response:
        return web.json_response(
            {"player": player.to_json(), "household": player.household.to_json()}
        )

    async def fault(request: web.Request) -> web.Response:
        try:
            payload = json.loads(await request.read())
            if not isinstance(payload, dict):
                raise TypeError("payload must be an object")
            apply_fault(player, payload)
        except (ValueError, TypeError, KeyError, AlarmError) as err:
            return web.json_response({"error": str(err)}, status=400)
        return web.json_response({"ok": True, "player": player.to_json()})

    app.router.add_get("/emulator/state", state)
    app.router.add_post("/emulator/fault", fault)


def _target(player: Player, payload: dict[str, Any]) -> Player:
    uuid = payload.get("target")
    if uuid is None:
        return player
    target = player.household.player_by_uuid(str(uuid))
    if target is None:
        raise KeyError(f"no player {uuid!r} in this household")
    return target


def apply_fault(player: Player, payload: dict[str, Any]) -> None:
    """Apply one fault described as JSON (see README.md for the names)."""
    target = _target(player, payload)
    faults = target.faults
    household = target.household
    match payload["fault"]:
        case "reboot":
            outage = float(payload.get("outage", DEFAULT_OUTAGE))
            silent = bool(payload.get("silent", False))
            household.spawn(
                target.reboot(outage, silent=silent), f"emulator reboot {target.uuid}"
            )
        case "offline":
            duration = payload.get("duration")
            household.spawn(
                _offline_for(
                    target,
                    None if duration is None else float(duration),
                    vanish=bool(payload.get("vanish", False)),
                ),
                f"emulator offline {target.uuid}",
            )
        case "online":
            household.spawn(target.go_online(), f"emulator online {target.uuid}")
        case "latency":
            faults.latency = float(payload["seconds"])
        case "drop_events":
            faults.drop_events = bool(payload.get("enabled", True))
        case "zone_group_state_501":
            faults.zone_group_state_501 = bool(payload.get("enabled", True))
        case "malformed":
            faults.malformed_responses = int(payload.get("count", 1))
        case "oversized":
            faults.oversized_responses = int(payload.get("count", 1))
            if "bytes" in payload:
                faults.oversized_bytes = int(payload["bytes"])
        case "malformed_events":
            faults.malformed_events = int(payload.get("count", 1))
        case "oversized_events":
            faults.oversized_events = int(payload.get("count", 1))
            if "bytes" in payload:
                faults.oversized_bytes = int(payload["bytes"])
        case "unresponsive":
            faults.set_unresponsive(bool(payload.get("enabled", True)))
        case "fire_alarm":
            alarm_id = payload.get("alarm_id")
            household.fire_alarm(
                int(alarm_id) if alarm_id is not None else None, room=target
            )
        case "running_alarm_error":
            code = payload.get("code", 401)
            household.alarm_playback.running_alarm_error = (
                int(code) if code is not None else None
            )
        case "leave_out":
            if payload.get("enabled", True):
                household.left_out.add(target.uuid)
            else:
                household.left_out.discard(target.uuid)
            household.topology_changed()
        case "location":
            household.locations[target.uuid] = payload["location"]
            household.topology_changed()
        case "legacy_topology":
            household.legacy_topology = bool(payload.get("enabled", True))
            household.topology_changed()
        case "clear":
            faults.clear()
        case other:
            raise ValueError(f"unknown fault {other!r}")


async def _offline_for(player: Player, duration: float | None, *, vanish: bool) -> None:
    """Go offline; come back after duration seconds (None: stay away)."""
    await player.go_offline(vanish=vanish)
    if duration is not None:
        await asyncio.sleep(duration)
        await player.go_online()
