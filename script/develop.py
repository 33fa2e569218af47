"""Run Home Assistant with this integration and an emulated Sonos household.

Started by script/develop inside the test environment. It:
  1. starts an emulated household (tests.emulator) on 127.0.0.1,
  2. prepares a Home Assistant configuration directory (config/ by default)
     that loads what the integration and the UI need (recorder, history and
     logbook included) and nothing that multicasts: no default_config, no
     discovery, the loopback adapter as the only network adapter,
  3. on first use creates the login dev / dev and a config entry for the
     emulated household, using Home Assistant's own code for the storage,
  4. runs Home Assistant at http://127.0.0.1:8123 until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime
from hashlib import sha256
from ipaddress import ip_address
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

import ifaddr
from homeassistant import config_entries
from homeassistant.components.http import HTTP_SCHEMA
from homeassistant.components.http import config as http_config
from homeassistant.components.network import const as network_const
from homeassistant.components.onboarding import STORAGE_KEY as ONBOARDING_KEY
from homeassistant.components.onboarding import STORAGE_VERSION as ONBOARDING_VERSION
from homeassistant.components.onboarding.const import STEPS as ONBOARDING_STEPS

REPO = Path(__file__).resolve().parent.parent
DOMAIN = "sonos_upnp"
LOGIN = ("dev", "dev")
CONFIGURATION_YAML = """\
# Written by script/develop. Only what the integration needs is loaded, and
# nothing that multicasts: no default_config, so no SSDP, zeroconf, DHCP,
# Bluetooth or USB discovery. To let Home Assistant discover real speakers,
# add `ssdp:` and enable your network adapter (Settings > System > Network).
# script/develop stores two settings where Home Assistant keeps them: the web
# server on 127.0.0.1 only (.storage/http) and the loopback adapter as the
# only network adapter (.storage/core.network), so the mDNS resolver Home
# Assistant's HTTP client starts joins no multicast group.
homeassistant:
  name: Sonos UPnP development
  latitude: 52.37
  longitude: 4.89
  elevation: 0
  unit_system: metric
  currency: EUR
  country: NL
  time_zone: Europe/Amsterdam

frontend:
config:
# History and logbook in the UI; the recorder keeps them in
# home-assistant_v2.db (SQLite) in this directory.
recorder:
history:
logbook:
# Home Assistant compresses its HTTP responses with isal when it is
# installed; without it aiohttp warns that it falls back to zlib.
isal:
logger:
  default: info
  logs:
    custom_components.sonos_upnp: debug
    # Home Assistant always loads camera and tts (which loads ffmpeg). This
    # environment has neither the ffmpeg program nor libturbojpeg, and nothing
    # here needs them; each would log an ERROR with a traceback at every start.
    haffmpeg: critical
    homeassistant.components.camera.img_util: critical
"""
# configuration.yaml as earlier versions of this script wrote it: replaced
# by the current one unless it was edited.
EARLIER_CONFIGURATION_YAML_SHA256 = frozenset(
    {"a044f4fe6f605163756eaf8ae521608b43f95eae133336b306432048fda4cba7"}
)


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "config")
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant")
    parser.add_argument("--scenario", default="groups", help="emulated household")
    parser.add_argument("--players", type=int, default=4, help="for --scenario singles")
    parser.add_argument("--base-port", type=int, default=21400, help="first player")
    parser.add_argument("--seed", type=int, default=1, help="fixed identities")
    parser.add_argument(
        "--no-emulator",
        action="store_true",
        help="run Home Assistant only; add real speakers in the UI",
    )
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="prepare config/ (and print the household), do not run Home Assistant",
    )
    return parser.parse_args()


def start_emulator(
    args: argparse.Namespace,
) -> tuple[subprocess.Popen[str], str, str, str]:
    """Start the household; return the process, its ID, a player's UUID and URL."""
    command = [
        sys.executable,
        "-m",
        "tests.emulator",
        "--scenario",
        args.scenario,
        "--players",
        str(args.players),
        "--base-port",
        str(args.base_port),
        "--seed",
        str(args.seed),
    ]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    lines = []
    while (line := process.stdout.readline()) and line.strip() != "Ready":
        lines.append(line.rstrip())
    household = re.match(r"Household (\S+)", lines[0]) if lines else None
    player = re.search(r"(RINCON_\w+)\s+(http://\S+)", "\n".join(lines[1:]))
    if household is None or player is None:
        process.terminate()
        sys.exit("the emulator did not start:\n" + "\n".join(lines))
    print("Emulated household:\n  " + "\n  ".join(lines), flush=True)
    return process, household.group(1), player.group(1), player.group(2)


def write_json(path: Path, data: object) -> None:
    """Write a Home Assistant storage file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def prepare_config(config: Path, port: int) -> None:
    """Create the configuration directory on first use."""
    config.mkdir(parents=True, exist_ok=True)
    yaml = config / "configuration.yaml"
    if (
        not yaml.exists()
        or sha256(yaml.read_bytes()).hexdigest() in EARLIER_CONFIGURATION_YAML_SHA256
    ):
        yaml.write_text(CONFIGURATION_YAML)
    write_http_config(config, port)
    if not (config / ".storage" / network_const.STORAGE_KEY).exists():
        write_network_config(config)
    link = config / "custom_components" / DOMAIN
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO / "custom_components" / DOMAIN)
    onboarding = config / ".storage" / ONBOARDING_KEY
    if not onboarding.exists():
        write_json(
            onboarding,
            {
                "version": ONBOARDING_VERSION,
                "minor_version": 1,
                "key": ONBOARDING_KEY,
                "data": {"done": list(ONBOARDING_STEPS)},
            },
        )
    if not (config / ".storage" / "auth_provider.homeassistant").exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "homeassistant",
                "--script",
                "auth",
                "--config",
                str(config),
                "add",
                *LOGIN,
            ],
            check=True,
        )


def write_http_config(config: Path, port: int) -> None:
    """Make 127.0.0.1:port the confirmed web server configuration.

    Home Assistant 2026.10 keeps this in storage; YAML `http:` is deprecated
    and would be staged as a trial that reverts unless confirmed in the UI.
    """
    settings = HTTP_SCHEMA({"server_host": ["127.0.0.1"], "server_port": port})
    settings.update(
        {
            http_config.HTTP_CONFIG_CREATED_AT: datetime.now(UTC).isoformat(),
            http_config.HTTP_CONFIG_ERROR: None,
            http_config.HTTP_CONFIG_ERROR_MESSAGE: None,
        }
    )
    write_json(
        config / ".storage" / http_config.STORAGE_KEY,
        {
            "version": http_config.STORAGE_VERSION,
            "minor_version": http_config.STORAGE_MINOR_VERSION,
            "key": http_config.STORAGE_KEY,
            "data": {
                http_config.KEY_STABLE: settings,
                http_config.KEY_PENDING: None,
                http_config.KEY_YAML_MIGRATION_DONE: True,
            },
        },
    )


def loopback_adapters() -> list[str]:
    """Return the names of the network adapters that carry 127.0.0.1."""
    return sorted(
        adapter.nice_name
        for adapter in ifaddr.get_adapters()
        if any(
            isinstance(ip.ip, str) and ip_address(ip.ip).is_loopback
            for ip in adapter.ips
        )
    )


def write_network_config(config: Path) -> None:
    """Enable the loopback adapter only in Home Assistant's network settings.

    Any aiohttp session Home Assistant makes starts an mDNS resolver, which
    joins the mDNS multicast group on every enabled adapter but loopback.
    Written once: an adapter enabled later in the UI (for SSDP) stays.
    """
    write_json(
        config / ".storage" / network_const.STORAGE_KEY,
        {
            "version": network_const.STORAGE_VERSION,
            "minor_version": 1,
            "key": network_const.STORAGE_KEY,
            "data": {network_const.ATTR_CONFIGURED_ADAPTERS: loopback_adapters()},
        },
    )


def add_household_entry(config: Path, household_id: str, udn: str, url: str) -> None:
    """Add a config entry for the household, or point the existing one at it."""
    path = config / ".storage" / config_entries.STORAGE_KEY
    stored = (
        json.loads(path.read_text())
        if path.exists()
        else {
            "version": config_entries.STORAGE_VERSION,
            "minor_version": config_entries.STORAGE_VERSION_MINOR,
            "key": config_entries.STORAGE_KEY,
            "data": {"entries": []},
        }
    )
    entries = stored["data"]["entries"]
    address = urlsplit(url)
    for existing in entries:
        if existing["domain"] == DOMAIN and existing["unique_id"] == household_id:
            # Same household, maybe on other ports this time.
            existing["data"].update(host=address.hostname, port=address.port, udn=udn)
            write_json(path, stored)
            return
    entry = config_entries.ConfigEntry(
        data={"host": address.hostname, "port": address.port, "udn": udn},
        discovery_keys=MappingProxyType({}),
        domain=DOMAIN,
        minor_version=1,
        options={},
        source=config_entries.SOURCE_USER,
        subentries_data=None,
        title="Sonos (emulated household)",
        unique_id=household_id,
        version=1,
    )
    entries.append(json.loads(json.dumps(entry.as_dict(), default=str)))
    write_json(path, stored)


def main() -> int:
    """Prepare everything, run Home Assistant, stop the emulator at the end."""
    args = parse_args()
    config = args.config.resolve()
    prepare_config(config, args.port)
    emulator = None
    if not args.no_emulator:
        emulator, household_id, udn, url = start_emulator(args)
        add_household_entry(config, household_id, udn, url)
    print(
        f"\nHome Assistant: http://127.0.0.1:{args.port}  (login {'/'.join(LOGIN)})",
        flush=True,
    )
    try:
        if not args.prepare_only:
            hass = subprocess.Popen(
                [sys.executable, "-m", "homeassistant", "--config", str(config)]
            )
            signal.signal(signal.SIGTERM, lambda *_: hass.terminate())
            try:
                hass.wait()
            except KeyboardInterrupt:
                hass.send_signal(signal.SIGINT)
                hass.wait()
    finally:
        if emulator is not None:
            emulator.terminate()
            emulator.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
