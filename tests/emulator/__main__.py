"""Run an emulated household until Ctrl-C.

`python -m tests.emulator --players N [--host H] [--base-port P] [--scenario NAME]`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import sys

from .household import SONOS_PORT, Household
from .scenarios import SCENARIOS, build_household


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.emulator", description="Run an emulated Sonos household."
    )
    parser.add_argument("--players", type=int, default=3, help="players (singles)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument(
        "--base-port", type=int, default=0, help="first port (0: let the OS pick)"
    )
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="singles")
    parser.add_argument("--seed", type=int, default=None, help="fixed identities")
    parser.add_argument(
        "--distinct-hosts",
        metavar="PREFIX",
        default=None,
        help="put players on PREFIX.2, PREFIX.3, ... port 1400 (e.g. 127.0.1)",
    )
    parser.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow --host to be an address other than loopback",
    )
    args = parser.parse_args(argv)
    hosts = [args.host]
    if args.distinct_hosts:
        hosts.append(f"{args.distinct_hosts}.2")
    for host in hosts:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            parser.error(f"not an IP address: {host}")
        if not loopback and not args.allow_non_loopback:
            parser.error("addresses must be loopback (or --allow-non-loopback)")
    return args


def make_household(args: argparse.Namespace) -> Household:
    """Build the household the command line asks for."""
    kwargs: dict[str, object] = {
        "host": args.host,
        "base_port": args.base_port,
        "seed": args.seed,
    }
    if args.scenario == "singles":
        kwargs["players"] = args.players
    household = build_household(args.scenario, **kwargs)
    if args.distinct_hosts:
        for index, player in enumerate(household.players, start=2):
            player.host = f"{args.distinct_hosts}.{index}"
            player.port = SONOS_PORT
    return household


def describe(household: Household) -> list[str]:
    """Return one line per player: room, UUID, address."""
    return [
        f"{player.room_name:<16} {player.uuid}  {player.base_url}"
        + ("  (bonded)" if player.invisible else "")
        for player in household.players
    ]


async def run(args: argparse.Namespace, stop: asyncio.Event) -> None:
    """Start the household, print it, wait for stop."""
    household = make_household(args)
    async with household:
        print(f"Household {household.household_id}")  # noqa: T201
        for line in describe(household):
            print(line)  # noqa: T201
        print("Ready", flush=True)  # noqa: T201
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args, asyncio.Event()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
