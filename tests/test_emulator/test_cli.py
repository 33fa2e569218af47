"""The command line: arguments, output lines, a full start/stop."""

from __future__ import annotations

import asyncio

import pytest

from tests.emulator.__main__ import describe, main, make_household, parse_args, run


def test_arguments_and_loopback_only() -> None:
    args = parse_args(["--players", "5", "--base-port", "0"])
    assert (args.players, args.host, args.scenario) == (5, "127.0.0.1", "singles")
    assert len(make_household(args).players) == 5
    assert len(make_household(parse_args(["--scenario", "home_theater"])).players) == 5
    odd = make_household(parse_args(["--scenario", "real_world_alarms"])).alarms
    assert (len(odd.alarms), len(odd.foreign)) == (5, 3)
    for refused in (
        ["--host", "192.0.2.1"],
        ["--host", "example.org"],
        ["--distinct-hosts", "10.0.0"],
    ):
        with pytest.raises(SystemExit):
            parse_args(refused)
    spread = make_household(
        parse_args(["--players", "3", "--distinct-hosts", "127.0.9"])
    )
    assert [(p.host, p.port) for p in spread.players] == [
        ("127.0.9.2", 1400),
        ("127.0.9.3", 1400),
        ("127.0.9.4", 1400),
    ]


@pytest.mark.usefixtures("socket_enabled")
async def test_run_prints_one_line_per_player(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stop = asyncio.Event()
    stop.set()
    await run(parse_args(["--players", "3", "--seed", "4"]), stop)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Household Sonos_")
    assert len(lines) == 5
    assert lines[-1] == "Ready"  # what script/develop waits for
    for line in lines[1:-1]:
        room, uuid, address = line.rsplit(maxsplit=2)
        assert uuid.startswith("RINCON_")
        assert address.startswith("http://127.0.0.1:")
        assert room.strip()


def test_describe_marks_bonded_players() -> None:
    household = make_household(parse_args(["--scenario", "stereo_pair"]))
    lines = describe(household)
    assert sum(line.endswith("(bonded)") for line in lines) == 1
    assert callable(main)
