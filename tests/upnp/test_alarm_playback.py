"""Alarm variables of AVTransport's LastChange, read liberally."""

from pathlib import Path

import pytest

from custom_components.sonos_upnp.upnp.alarm_playback import (
    AlarmPhase,
    AlarmTransport,
)
from custom_components.sonos_upnp.upnp.events import (
    parse_last_change,
    parse_property_set,
)

CAPTURES = Path(__file__).parents[2].parent / "shared" / "sonos" / "captures"


@pytest.mark.skipif(
    not CAPTURES.is_dir(),
    reason=f"the shared Sonos captures are not available at {CAPTURES}",
)
def test_captured_last_change_is_idle() -> None:
    body = (CAPTURES / "nsd__avtransportlastchange.xml").read_bytes()
    last_change = parse_last_change(parse_property_set(body)["LastChange"])
    transport = AlarmTransport().updated(last_change)
    assert transport == AlarmTransport("0", "0", "0")
    assert transport.phase is AlarmPhase.IDLE
    assert transport.restart_pending_flag is False


@pytest.mark.parametrize(
    ("values", "phase"),
    [
        ({"AlarmRunning": "1", "SnoozeRunning": "0"}, AlarmPhase.RINGING),
        ({"AlarmRunning": "true"}, AlarmPhase.RINGING),
        # Snoozed, whether AlarmRunning stays set during the snooze or not.
        ({"AlarmRunning": "1", "SnoozeRunning": "1"}, AlarmPhase.SNOOZED),
        ({"AlarmRunning": "0", "SnoozeRunning": "1"}, AlarmPhase.SNOOZED),
        ({"AlarmRunning": "0"}, AlarmPhase.IDLE),
        # Unreadable: unknown, not guessed.
        ({"AlarmRunning": "maybe"}, None),
        ({}, None),
    ],
)
def test_phase(values: dict[str, str], phase: AlarmPhase | None) -> None:
    assert AlarmTransport().updated(values).phase is phase


def test_values_are_kept_verbatim_and_absent_ones_stay() -> None:
    transport = AlarmTransport().updated(
        {"AlarmRunning": "maybe", "SnoozeRunning": "0", "RestartPending": "?"}
    )
    assert transport.alarm_running == "maybe"
    assert transport.restart_pending_flag is None
    later = transport.updated({"AlarmRunning": "1", "TransportState": "PLAYING"})
    assert later == AlarmTransport("1", "0", "?")
