"""Parsing of GENA NOTIFY bodies: property sets and LastChange payloads.

A speaker's NOTIFY body is an `<e:propertyset>` of evented state variables.
Values are text; several (LastChange, ZoneGroupState, metadata) are XML that
the speaker escaped into the text, and stay strings here. AVTransport,
RenderingControl and Queue put their changes into one `LastChange` variable
that `parse_last_change` flattens into a name -> value mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final
from xml.etree.ElementTree import Element

from .exceptions import UpnpResponseError
from .safe_xml import MAX_BODY_BYTES, local_name, parse_xml, stream_xml

EVENT_NAMESPACE: Final = "urn:schemas-upnp-org:event-1-0"
LAST_CHANGE: Final = "LastChange"
# AVTransport and RenderingControl key their changes by InstanceID, Queue by
# QueueID; the values inside look the same.
_INSTANCE_TAGS: Final = frozenset({"InstanceID", "QueueID"})
_MASTER_CHANNEL: Final = "Master"
_DEFAULT_INSTANCE: Final = "0"


@dataclass(frozen=True, slots=True)
class UpnpEvent:
    """One NOTIFY received from a speaker for a subscription."""

    sid: str
    seq: int
    service: str
    variables: Mapping[str, str]
    last_change: Mapping[str, str] | None
    host: str


def _to_bytes(data: bytes | str) -> bytes:
    """Encode text for the parser; unencodable text is a malformed payload."""
    if isinstance(data, bytes):
        return data
    try:
        return data.encode()
    except UnicodeEncodeError as err:
        raise UpnpResponseError(f"refused XML: {err}") from err


_PROPERTYSET: Final = f"{EVENT_NAMESPACE}}}propertyset"
_PROPERTY: Final = f"{EVENT_NAMESPACE}}}property"
# Depths in a property set: propertyset, property, variable.
_VARIABLE_DEPTH: Final = 3


class _PropertySetReader:
    """Collects a property set's variables from stream_xml's callbacks.

    A variable's value is its text up to its first child element, as
    ElementTree's `text`: Sonos escapes nested XML into the text, and stray
    child elements are not part of the protocol.
    """

    __slots__ = ("depth", "name", "parts", "taking", "variables")

    def __init__(self) -> None:
        self.variables: dict[str, str] = {}
        self.depth = 0
        self.name = ""
        self.parts: list[str] = []
        self.taking = False

    def start(self, name: str, _attributes: dict[str, str]) -> None:
        self.depth += 1
        if self.depth == _VARIABLE_DEPTH:
            self.name = local_name(name)
            self.parts = []
            self.taking = True
        elif self.depth > _VARIABLE_DEPTH:
            self.taking = False
        elif self.depth == 1:
            if name != _PROPERTYSET:
                raise UpnpResponseError(
                    f"NOTIFY body is not a propertyset: {_tag(name)!r}"
                )
        elif name != _PROPERTY:
            raise UpnpResponseError(
                f"unexpected element in propertyset: {_tag(name)!r}"
            )

    def end(self, _name: str) -> None:
        if self.depth == _VARIABLE_DEPTH:
            self.variables[self.name] = "".join(self.parts)
            self.taking = False
        self.depth -= 1

    def text(self, data: str) -> None:
        if self.taking:
            self.parts.append(data)


def _tag(name: str) -> str:
    """Return a stream_xml name as ElementTree writes it ({uri}local)."""
    return f"{{{name}" if "}" in name else name


def parse_property_set(
    body: bytes | str, *, max_bytes: int = MAX_BODY_BYTES
) -> dict[str, str]:
    """Return the variables of a NOTIFY body as name -> text.

    Raises UpnpResponseError for anything that is not a well-formed
    `urn:schemas-upnp-org:event-1-0` property set. No tree is built: the
    variables are taken as the body streams through the parser.
    """
    raw = _to_bytes(body)
    reader = _PropertySetReader()
    try:
        # Nearly every body is well-formed: the stray-ampersand repair (a
        # look at every "&" of an escaped ZoneGroupState) only when it is not.
        stream_xml(
            raw,
            reader.start,
            reader.end,
            text=reader.text,
            max_bytes=max_bytes,
            repair=False,
        )
    except UpnpResponseError:
        if b"&" not in raw:
            raise
        reader = _PropertySetReader()
        stream_xml(raw, reader.start, reader.end, text=reader.text, max_bytes=max_bytes)
    return reader.variables


def _instance_values(instance: Element) -> dict[str, str]:
    """Flatten one InstanceID/QueueID element into name -> value."""
    values: dict[str, str] = {}
    for change in instance:
        name = local_name(change.tag)
        channel = change.get("channel")
        if channel and channel != _MASTER_CHANNEL:
            name = f"{name}_{channel}"
        values[name] = change.get("val", change.text or "")
    return values


def parse_last_change_instances(text: str) -> dict[str, dict[str, str]]:
    """Return every instance of a LastChange payload: instance id -> values.

    The instance id is the `val` of `InstanceID` (AVTransport,
    RenderingControl) or `QueueID` (Queue). Values of a channel other than
    Master are keyed `Name_Channel` (`Volume_LF`); Master ones keep the bare
    name (`Volume`).
    """
    if not text.strip():
        return {}
    root = parse_xml(_to_bytes(text))
    if local_name(root.tag) != "Event":
        raise UpnpResponseError(f"LastChange is not an Event: {root.tag!r}")
    instances: dict[str, dict[str, str]] = {}
    for instance in root:
        if local_name(instance.tag) not in _INSTANCE_TAGS:
            raise UpnpResponseError(
                f"unexpected element in LastChange: {instance.tag!r}"
            )
        instance_id = instance.get("val")
        if instance_id is None:
            raise UpnpResponseError(f"{local_name(instance.tag)} without val")
        instances.setdefault(instance_id, {}).update(_instance_values(instance))
    return instances


def parse_last_change(text: str) -> dict[str, str]:
    """Return the values of instance 0 of a LastChange payload.

    Sonos only uses instance 0 for AVTransport and RenderingControl; Queue
    also reports other queues (see `parse_last_change_instances`). Without an
    instance 0 the first instance is returned; an empty payload gives {}.
    """
    instances = parse_last_change_instances(text)
    if _DEFAULT_INSTANCE in instances:
        return instances[_DEFAULT_INSTANCE]
    return next(iter(instances.values()), {})


def build_event(
    *,
    sid: str,
    seq: int,
    service: str,
    host: str,
    variables: Mapping[str, str],
) -> UpnpEvent:
    """Assemble an event, parsing its LastChange variable if it has one."""
    last_change_text = variables.get(LAST_CHANGE)
    last_change = (
        MappingProxyType(parse_last_change(last_change_text))
        if last_change_text is not None
        else None
    )
    return UpnpEvent(
        sid=sid,
        seq=seq,
        service=service,
        variables=MappingProxyType(dict(variables)),
        last_change=last_change,
        host=host,
    )
