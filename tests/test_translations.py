"""Every message and field the user sees has English text."""

import ast
import json
from pathlib import Path

from homeassistant.util.yaml import load_yaml_dict

PACKAGE = Path(__file__).resolve().parent.parent / "custom_components" / "sonos_upnp"
STRINGS = json.loads((PACKAGE / "translations" / "en.json").read_text())


def _calls() -> list[tuple[set[str], dict[str, object]]]:
    """Return every call in the integration: its keyword names and constants."""
    calls = []
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                names = {keyword.arg for keyword in node.keywords if keyword.arg}
                constants = {
                    keyword.arg: keyword.value.value
                    for keyword in node.keywords
                    if keyword.arg and isinstance(keyword.value, ast.Constant)
                }
                calls.append((names, constants))
    return calls


def test_raised_errors_have_messages() -> None:
    keys = {
        constants["translation_key"]
        for names, constants in _calls()
        if "translation_domain" in names and "translation_key" in constants
    }
    assert len(keys) > 10
    assert keys <= set(STRINGS["exceptions"]), keys - set(STRINGS["exceptions"])


def test_repair_issues_have_texts() -> None:
    issues = {
        constants["translation_key"]
        for names, constants in _calls()
        if "is_fixable" in names and "translation_key" in constants
    }
    assert (
        issues
        == set(STRINGS["issues"])
        == {"events_unreachable", "household_unreachable"}
    )
    for issue in issues:
        assert {"title", "description"} <= set(STRINGS["issues"][issue])


def test_config_flow_errors_and_aborts_have_messages() -> None:
    source = (PACKAGE / "config_flow.py").read_text()
    reasons = {c["reason"] for _, c in _calls() if isinstance(c.get("reason"), str)}
    assert reasons
    for reason in reasons:
        assert reason in STRINGS["config"]["abort"], reason
    for error in ("cannot_connect", "not_sonos", "invalid_host"):
        assert f'"{error}"' in source
        assert error in STRINGS["config"]["error"]
    for error in ("port_unavailable", "no_route_to_speaker"):
        assert f'"{error}"' in source
        assert error in STRINGS["options"]["error"]


def test_every_action_field_has_a_name_and_description() -> None:
    services = load_yaml_dict(str(PACKAGE / "services.yaml"))
    assert set(services) == set(STRINGS["services"])
    for service, description in services.items():
        texts = STRINGS["services"][service]
        assert texts["name"]
        assert texts["description"]
        fields = (description or {}).get("fields", {})
        assert set(fields) == set(texts.get("fields", {})), service
        for field in fields:
            assert texts["fields"][field]["name"], (service, field)
            assert texts["fields"][field]["description"], (service, field)


def test_every_icon_has_a_translated_entity_or_action() -> None:
    icons = json.loads((PACKAGE / "icons.json").read_text())
    for platform, entities in icons["entity"].items():
        assert set(entities) <= set(STRINGS["entity"][platform]), platform
    assert set(icons["services"]) == set(STRINGS["services"])
