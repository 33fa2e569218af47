"""Home Assistant loads the integration."""

import json
from pathlib import Path

import pytest
from homeassistant.const import __version__ as ha_version
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict

from custom_components.sonos_upnp.const import DOMAIN

PACKAGE = Path(__file__).parent.parent / "custom_components" / DOMAIN


async def test_runs_on_target_home_assistant() -> None:
    assert ha_version == "2026.10.4"


async def test_integration_is_found_as_custom(hass: HomeAssistant) -> None:
    integration = await async_get_integration(hass, DOMAIN)
    assert not integration.is_built_in
    assert integration.config_flow is True
    assert integration.iot_class == "local_push"
    assert integration.integration_type == "hub"
    assert integration.manifest["ssdp"] == [
        {"st": "urn:schemas-upnp-org:device:ZonePlayer:1"}
    ]
    assert integration.file_path == PACKAGE


async def test_setup_component(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    assert DOMAIN in hass.config.components


async def test_yaml_configuration_is_refused_with_an_error(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    assert await async_setup_component(hass, DOMAIN, {DOMAIN: {"host": "x"}})
    assert "does not support YAML setup" in caplog.text


def test_brand_icon_is_a_256px_png() -> None:
    data = (PACKAGE / "brand" / "icon.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20]), int.from_bytes(data[20:24])
    assert (width, height) == (256, 256)


def test_translations_are_valid_json() -> None:
    strings = json.loads((PACKAGE / "translations" / "en.json").read_text())
    assert strings["title"] == "Sonos UPnP"


QUALITY_SCALE_RULES = {
    "bronze": "action-setup appropriate-polling brands common-modules config-flow "
    "config-flow-test-coverage dependency-transparency docs-actions docs-conditions "
    "docs-high-level-description docs-installation-instructions "
    "docs-removal-instructions docs-triggers entity-event-setup entity-unique-id "
    "has-entity-name runtime-data test-before-configure test-before-setup "
    "unique-config-entry",
    "silver": "action-exceptions config-entry-unloading docs-configuration-parameters "
    "docs-installation-parameters entity-unavailable integration-owner "
    "log-when-unavailable parallel-updates reauthentication-flow test-coverage",
    "gold": "devices diagnostics discovery discovery-update-info docs-data-update "
    "docs-examples docs-known-limitations docs-supported-devices "
    "docs-supported-functions docs-troubleshooting docs-use-cases dynamic-devices "
    "entity-category entity-device-class entity-disabled-by-default "
    "entity-translations exception-translations icon-translations "
    "reconfiguration-flow repair-issues stale-devices",
    "platinum": "async-dependency inject-websession strict-typing",
}


def test_quality_scale_lists_every_rule_with_a_status() -> None:
    rules = load_yaml_dict(str(PACKAGE / "quality_scale.yaml"))["rules"]
    expected = {rule for tier in QUALITY_SCALE_RULES.values() for rule in tier.split()}
    assert set(rules) == expected
    for name, value in rules.items():
        status = value if isinstance(value, str) else value["status"]
        assert status in {"done", "todo", "exempt"}, name
        if status == "exempt":
            assert value["comment"], name
