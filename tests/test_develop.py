"""script/develop prepares a Home Assistant that needs no further steps."""

import json
import subprocess
import sys
from pathlib import Path

from homeassistant import config_entries
from homeassistant.components.onboarding.const import STEPS

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


def test_prepare_makes_a_ready_configuration(tmp_path: Path) -> None:
    config = tmp_path / "config"
    result = prepare(config)
    household_id = result.stdout.split("Household ", 1)[1].split()[0]

    yaml = (config / "configuration.yaml").read_text()
    top_level = {line.split(":")[0] for line in yaml.splitlines() if line[:1].isalpha()}
    assert top_level == {"homeassistant", "frontend", "config", "logger"}
    link = config / "custom_components" / "sonos_upnp"
    assert link.resolve() == REPO / "custom_components" / "sonos_upnp"

    storage = config / ".storage"
    http = json.loads((storage / "http").read_text())["data"]
    assert http["stable"]["server_host"] == ["127.0.0.1"]
    assert http["pending"] is None  # nothing left to confirm in the UI
    assert http["yaml_migration_done"] is True
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
