"""Service descriptions (SCPD): the actions a given speaker really offers.

The catalog is the union over many models; a speaker's own SCPD says what it
has. `parse_scpd` resolves every argument's type through the serviceStateTable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from xml.etree.ElementTree import Element

from .exceptions import UpnpResponseError
from .safe_xml import MAX_BODY_BYTES, child_text, find_child, local_name, parse_xml

__all__ = ["ScpdAction", "ScpdArgument", "parse_scpd"]

_DIRECTIONS: Final = frozenset({"in", "out"})


@dataclass(frozen=True, slots=True)
class ScpdArgument:
    """An argument of an SCPD action, with its type resolved."""

    name: str
    direction: str
    state_variable: str
    data_type: str


@dataclass(frozen=True, slots=True)
class ScpdAction:
    """An action of an SCPD with its ordered inputs and outputs."""

    name: str
    inputs: tuple[ScpdArgument, ...]
    outputs: tuple[ScpdArgument, ...]


def _children(parent: Element | None, name: str) -> list[Element]:
    """Return the direct children called name, whatever their namespace."""
    if parent is None:
        return []
    return [child for child in parent if local_name(child.tag) == name]


def _state_types(root: Element) -> dict[str, str]:
    table = find_child(root, "serviceStateTable")
    return {
        child_text(variable, "name").strip(): child_text(variable, "dataType").strip()
        for variable in _children(table, "stateVariable")
    }


def _action(element: Element, types: dict[str, str]) -> ScpdAction:
    name = child_text(element, "name").strip()
    if not name:
        raise UpnpResponseError("SCPD action without a name")
    inputs: list[ScpdArgument] = []
    outputs: list[ScpdArgument] = []
    for node in _children(find_child(element, "argumentList"), "argument"):
        argument_name = child_text(node, "name").strip()
        direction = child_text(node, "direction").strip().lower()
        variable = child_text(node, "relatedStateVariable").strip()
        if not argument_name or direction not in _DIRECTIONS:
            raise UpnpResponseError(f"SCPD action {name[:80]!r} has a bad argument")
        if variable not in types:
            raise UpnpResponseError(
                f"SCPD argument {name[:80]}.{argument_name[:80]} refers to "
                f"unknown state variable {variable[:80]!r}"
            )
        argument = ScpdArgument(argument_name, direction, variable, types[variable])
        (inputs if direction == "in" else outputs).append(argument)
    return ScpdAction(name, tuple(inputs), tuple(outputs))


def parse_scpd(
    data: bytes | str, *, max_bytes: int = MAX_BODY_BYTES
) -> tuple[ScpdAction, ...]:
    """Parse an SCPD document into its actions, in document order."""
    root = parse_xml(data, max_bytes=max_bytes)
    if local_name(root.tag) != "scpd":
        raise UpnpResponseError("not an SCPD document")
    types = _state_types(root)
    return tuple(
        _action(element, types)
        for element in _children(find_child(root, "actionList"), "action")
    )
