"""When a player the household no longer lists loses its device.

A player can be absent from a topology for many harmless reasons: asleep,
unplugged to move rooms, listed without a Location, or dropped by old
firmware that has no VanishedDevices. Its device (with the user's names,
areas and customisations) stays until the player has been absent from every
topology for DEVICE_GRACE_PERIOD. The time it went missing is kept with the
entry, so restarts do not start the count again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Final

DEVICE_GRACE_PERIOD: Final = timedelta(days=30)


def missing_from_data(data: object) -> dict[str, datetime]:
    """Read when players went missing from entry data; skip anything malformed."""
    if not isinstance(data, Mapping):
        return {}
    missing: dict[str, datetime] = {}
    for uuid, value in data.items():
        if not isinstance(uuid, str) or not isinstance(value, str):
            continue
        try:
            since = datetime.fromisoformat(value)
        except ValueError:
            continue
        if since.tzinfo is not None:
            missing[uuid] = since
    return missing


def missing_to_data(missing: Mapping[str, datetime]) -> dict[str, str]:
    """Return the missing-since times as JSON-able entry data."""
    return {uuid: since.isoformat() for uuid, since in sorted(missing.items())}


def track_missing(
    missing: Mapping[str, datetime],
    kept: Iterable[str],
    present: frozenset[str],
    now: datetime,
) -> dict[str, datetime]:
    """Return when each kept but absent player went missing (now if just now)."""
    return {
        uuid: missing.get(uuid, now) for uuid in sorted(kept) if uuid not in present
    }


def let_go(
    missing: Mapping[str, datetime], now: datetime, grace: timedelta
) -> set[str]:
    """Return the players absent for longer than the grace period."""
    return {uuid for uuid, since in missing.items() if now - since >= grace}
