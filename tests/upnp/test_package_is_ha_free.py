"""The upnp package stays free of Home Assistant so it can stand on its own."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "custom_components" / "sonos_upnp" / "upnp"
MODULES = sorted(PACKAGE.rglob("*.py"))
GLUE = "custom_components.sonos_upnp"


def _package_of(path: Path) -> list[str]:
    return list(path.parent.relative_to(REPO).parts)


def _imported_modules(tree: ast.AST, package: list[str]) -> set[str]:
    """Return every module tree imports, relative imports made absolute."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names.add(node.module or "")
                continue
            base = package[: len(package) - (node.level - 1)]
            names.add(".".join([*base, *([node.module] if node.module else [])]))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", ""))
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


def _is_home_assistant(module: str) -> bool:
    """Home Assistant itself, or the integration glue that imports it."""
    if module.split(".", maxsplit=1)[0] == "homeassistant":
        return True
    in_glue = module == GLUE or module.startswith(f"{GLUE}.")
    return in_glue and not module.startswith(f"{GLUE}.upnp")


def test_the_package_has_the_core_modules() -> None:
    names = {path.stem for path in MODULES}
    assert {"client", "soap", "values", "description", "scpd", "safe_xml"} <= names


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_module_imports_no_home_assistant(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    imported = _imported_modules(tree, _package_of(path))
    offending = sorted(m for m in imported if _is_home_assistant(m))
    assert offending == [], f"{path.name} imports {offending}"


def test_the_checker_sees_all_import_forms() -> None:
    source = (
        "import homeassistant.core\n"
        "from homeassistant.helpers import aiohttp_client\n"
        "from custom_components.sonos_upnp.coordinator import X\n"
        "from custom_components.sonos_upnp.upnp.soap import build_request\n"
        "from . import soap\n"
        "from .values import to_wire\n"
        "from ..const import DOMAIN\n"
        "from .. import coordinator\n"
        "import importlib\n"
        "importlib.import_module('homeassistant.const')\n"
        "__import__('homeassistant')\n"
    )
    imported = _imported_modules(ast.parse(source), _package_of(PACKAGE / "x.py"))
    assert f"{GLUE}.upnp.values" in imported
    assert sorted(m for m in imported if _is_home_assistant(m)) == [
        "custom_components.sonos_upnp",
        "custom_components.sonos_upnp.const",
        "custom_components.sonos_upnp.coordinator",
        "homeassistant",
        "homeassistant.const",
        "homeassistant.core",
        "homeassistant.helpers",
    ]
