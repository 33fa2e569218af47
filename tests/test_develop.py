"""script/develop prepares a Home Assistant that needs no further steps."""

import json
import subprocess
import sys
from ipaddress import ip_address
from pathlib import Path

from homeassistant import config_entries
from homeassistant.components.onboarding.const import STEPS
from homeassistant.util.yaml import load_yaml_dict

REPO = Path(__file__).resolve().parent.parent


def prepare(config: Path) -> subprocess.CompletedProcess[str]:
    """Run script/develop.py --prepare-only on its own emulated household."""
    return subprocess.run(
        [
            sys.executable,
            "script/develop.py",
            "--config",
            str(config),
            "--prepare-only",
            "--base-port",
            "0",
            "--seed",
            "5",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def host_adapters() -> dict[str, list[str]]:
    """Return the host's network adapters and their addresses.

    Asked in a process of its own: the test harness replaces ifaddr's answer.
    """
    program = (
        "import ifaddr, json; print(json.dumps({a.nice_name: "
        "[i.ip if isinstance(i.ip, str) else i.ip[0] for i in a.ips] "
        "for a in ifaddr.get_adapters()}))"
    )
    listing = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    adapters: dict[str, list[str]] = json.loads(listing.stdout)
    return adapters


def test_prepare_makes_a_ready_configuration(tmp_path: Path) -> None:
    config = tmp_path / "config"
    result = prepare(config)
    household_id = result.stdout.split("Household ", 1)[1].split()[0]

    configuration = load_yaml_dict(str(config / "configuration.yaml"))
    # The UI's history and logbook, nothing that discovers (and multicasts).
    assert set(configuration) == {
        "homeassistant",
        "frontend",
        "config",
        "recorder",
        "history",
        "logbook",
        "isal",
        "logger",
    }
    assert configuration["recorder"] is None  # SQLite in config/
    # Errors of what this environment lacks (ffmpeg, libturbojpeg) stay quiet.
    assert configuration["logger"]["logs"] == {
        "custom_components.sonos_upnp": "debug",
        "haffmpeg": "critical",
        "homeassistant.components.camera.img_util": "critical",
    }
    link = config / "custom_components" / "sonos_upnp"
    assert link.resolve() == REPO / "custom_components" / "sonos_upnp"

    storage = config / ".storage"
    http = json.loads((storage / "http").read_text())["data"]
    assert http["stable"]["server_host"] == ["127.0.0.1"]
    assert http["pending"] is None  # nothing left to confirm in the UI
    assert http["yaml_migration_done"] is True
    network = json.loads((storage / "core.network").read_text())["data"]
    adapters = host_adapters()
    assert network["configured_adapters"]
    for name in network["configured_adapters"]:
        assert adapters[name]
        assert all(ip_address(address).is_loopback for address in adapters[name])
    onboarding = json.loads((storage / "onboarding").read_text())
    assert onboarding["data"]["done"] == list(STEPS)
    users = json.loads((storage / "auth_provider.homeassistant").read_text())
    assert [user["username"] for user in users["data"]["users"]] == ["dev"]

    stored = json.loads((storage / config_entries.STORAGE_KEY).read_text())
    assert stored["version"] == config_entries.STORAGE_VERSION
    assert stored["minor_version"] == config_entries.STORAGE_VERSION_MINOR
    (entry,) = stored["data"]["entries"]
    assert entry["domain"] == "sonos_upnp"
    assert entry["unique_id"] == household_id
    assert entry["data"]["host"] == "127.0.0.1"
    assert entry["data"]["udn"].startswith("RINCON_")
    assert entry["data"]["port"] > 0

    # A second run keeps the entry and the login, pointed at the new ports.
    second = prepare(config)
    port = int(second.stdout.split("http://127.0.0.1:", 1)[1].split()[0])
    stored = json.loads((storage / config_entries.STORAGE_KEY).read_text())
    (entry,) = stored["data"]["entries"]
    assert entry["unique_id"] == household_id
    assert entry["data"]["port"] == port


# configuration.yaml as script/develop wrote it before it loaded the recorder.
EARLIER_YAML = """\
# Written by script/develop. Only what the integration needs is loaded:
# default_config would start SSDP and zeroconf, which multicast on every
# interface. To let Home Assistant discover real speakers, add `ssdp:`.
# The web server listens on 127.0.0.1 only: script/develop stores that as the
# confirmed HTTP configuration (.storage/http), where Home Assistant keeps it.
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
logger:
  default: info
  logs:
    custom_components.sonos_upnp: debug
"""


def test_prepare_updates_an_unedited_earlier_configuration(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    yaml = config / "configuration.yaml"
    yaml.write_text(EARLIER_YAML)
    prepare(config)
    assert "recorder" in load_yaml_dict(str(yaml))

    # An edited configuration stays as it is, and so do the network settings.
    edited = "homeassistant:\nfrontend:\nssdp:\n"
    yaml.write_text(edited)
    network = config / ".storage" / "core.network"
    network.write_text(network.read_text().replace('"lo"', '"eth0"'))
    kept = network.read_text()
    prepare(config)
    assert yaml.read_text() == edited
    assert network.read_text() == kept
