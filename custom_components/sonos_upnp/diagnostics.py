"""Diagnostics: topology, alarms, subscriptions and polling of a household."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .alarm_fields import alarm_diagnostics, unreadable_alarm_diagnostics
from .const import CONF_UDN, DOMAIN
from .coordinator import SonosHouseholdCoordinator, SonosUpnpConfigEntry
from .mac_redaction import MacPseudonyms

# The household ID (also the entry's unique ID) stands for the user's Sonos
# account and serial numbers for the hardware; neither helps with a problem.
# Player UUIDs carry the MAC: MacPseudonyms replaces it everywhere with
# `player<n>`, so topology, alarms and subscriptions still relate.
TO_REDACT = {"household_id", "serial_number", "unique_id"}


def _pseudonyms(coordinator: SonosHouseholdCoordinator) -> MacPseudonyms:
    """Return pseudonyms that number the players alike in every dump."""
    entry_udn = coordinator.config_entry.data.get(CONF_UDN)
    uuids = set(coordinator.data.topology.member_uuids)
    return MacPseudonyms(uuids | ({entry_udn} if entry_udn else set()))


def _subscriptions(coordinator: SonosHouseholdCoordinator) -> list[dict[str, Any]]:
    now = time.monotonic()
    rows = []
    for row in coordinator.events.diagnostics():
        health = asdict(row.pop("health"))
        renew_at = health.pop("renew_at")
        health["seconds_to_renewal"] = (
            round(renew_at - now, 1) if renew_at is not None else None
        )
        rows.append({**row, **health})
    return rows


def _household(coordinator: SonosHouseholdCoordinator) -> dict[str, Any]:
    data = coordinator.data
    return {
        "topology": {
            "groups": [
                {
                    "name": group.name,
                    "coordinator": group.coordinator_uuid,
                    "members": [asdict(player) for player in group.members],
                }
                for group in data.topology.groups
            ],
            "vanished": [asdict(device) for device in data.topology.vanished],
        },
        "alarms": {
            "version": data.alarms.version,
            "alarms": [alarm_diagnostics(alarm) for alarm in data.alarms.alarms],
            # What the list holds that no switch shows (see alarm_problems).
            "unreadable": [
                unreadable_alarm_diagnostics(alarm) for alarm in data.alarms.unreadable
            ],
            "duplicates": [
                alarm_diagnostics(alarm) for alarm in data.alarms.duplicates
            ],
        },
        "unavailable": sorted(data.unavailable),
        "polling": {
            "active": coordinator.update_interval is not None,
            "interval": coordinator.poll_interval.total_seconds(),
            "last_update_success": coordinator.last_update_success,
        },
        "listener": {
            "port": coordinator.listener.port,
        },
        "subscriptions": _subscriptions(coordinator),
        # Each group's alarm state, from its coordinator's AVTransport feed.
        "alarm_playback": coordinator.alarm_playback.diagnostics(),
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SonosUpnpConfigEntry,
) -> dict[str, Any]:
    """Return the household's diagnostics."""
    coordinator = entry.runtime_data.coordinator
    dump = {
        "entry": async_redact_data(
            {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            TO_REDACT,
        ),
        "household": async_redact_data(_household(coordinator), TO_REDACT),
    }
    return dict(_pseudonyms(coordinator).scrub(dump))


async def async_get_device_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SonosUpnpConfigEntry,
    device: DeviceEntry,
) -> dict[str, Any]:
    """Return one player's part of the household's diagnostics."""
    coordinator = entry.runtime_data.coordinator
    uuids = {value for domain, value in device.identifiers if domain == DOMAIN}
    uuid = next(iter(uuids))
    player = coordinator.player(uuid)
    group = coordinator.data.topology.group_of(uuid)
    description = coordinator.descriptions.get(uuid)
    dump = async_redact_data(
        {
            "player": asdict(player) if player else None,
            "available": coordinator.data.is_available(uuid),
            "group": group.name if group else None,
            "description": asdict(description) if description else None,
            "alarms": [
                alarm.alarm_id
                for alarm in coordinator.data.alarms.alarms
                if alarm.room_uuid == uuid
            ],
            "subscriptions": [
                row for row in _subscriptions(coordinator) if row["player"] == uuid
            ],
            "alarm_playback": [
                row
                for row in coordinator.alarm_playback.diagnostics()
                if row["player"]
                in {uuid, coordinator.alarm_playback.group_coordinator_of(uuid)}
            ],
        },
        TO_REDACT,
    )
    return dict(_pseudonyms(coordinator).scrub(dump))
