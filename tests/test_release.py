"""What HACS and a release rely on: versions that agree, an honest quality scale."""

import json
import re
from pathlib import Path

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as ha_version
from homeassistant.util.yaml import load_yaml_dict

from custom_components.sonos_upnp import upnp

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "custom_components" / "sonos_upnp"
MANIFEST = json.loads((PACKAGE / "manifest.json").read_text())
CHANGELOG = (REPO / "CHANGELOG.md").read_text()
VERSION_HEADING = re.compile(
    r"^## ([0-9]+\.[0-9]+\.[0-9]+(?:b[0-9]+)?) - "
    r"(Unreleased|[0-9]{4}-[0-9]{2}-[0-9]{2})$",
    re.MULTILINE,
)
# Rules that ask for the protocol code to be a published library.
PUBLISHED_LIBRARY_RULES = ("dependency-transparency", "async-dependency")


def test_the_changelog_leads_with_the_manifest_version() -> None:
    headings = [line for line in CHANGELOG.splitlines() if line.startswith("## ")]
    assert headings
    versions = [VERSION_HEADING.fullmatch(heading) for heading in headings]
    assert all(versions), headings
    assert versions[0] is not None
    assert versions[0].group(1) == MANIFEST["version"]
    released = [AwesomeVersion(v.group(1)) for v in versions if v is not None]
    assert released == sorted(released, reverse=True)
    assert len(set(released)) == len(released)


def test_hacs_and_the_readme_require_the_same_home_assistant() -> None:
    hacs = json.loads((REPO / "hacs.json").read_text())
    minimum = AwesomeVersion(hacs["homeassistant"])
    assert minimum <= AwesomeVersion(ha_version)
    readme = (REPO / "README.md").read_text()
    required = re.search(r"Requires Home Assistant ([0-9]{4}\.[0-9]+)", readme)
    assert required is not None
    assert hacs["homeassistant"].startswith(required.group(1) + ".")


def test_the_bundled_client_is_publishable() -> None:
    assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", upnp.__version__)
    assert all(hasattr(upnp, name) for name in upnp.__all__)
    assert (PACKAGE / "upnp" / "py.typed").exists()
    readme = (PACKAGE / "upnp" / "README.md").read_text()
    assert f"Version {upnp.__version__} " in readme
    assert f"`upnp` {upnp.__version__}" in CHANGELOG


def test_the_quality_scale_does_not_claim_a_published_library() -> None:
    rules = load_yaml_dict(str(PACKAGE / "quality_scale.yaml"))["rules"]
    # The client is bundled, not a requirement of the manifest.
    assert (PACKAGE / "upnp" / "client.py").exists()
    assert not any("upnp" in requirement for requirement in MANIFEST["requirements"])
    for rule in PUBLISHED_LIBRARY_RULES:
        assert isinstance(rules[rule], dict), rule
        assert rules[rule]["status"] == "todo", rule
        assert "bundled" in rules[rule]["comment"], rule
    for rule, value in rules.items():
        status = value if isinstance(value, str) else value["status"]
        assert status in {"done", "todo", "exempt"}, rule
        if status != "done":
            assert value["comment"], rule
