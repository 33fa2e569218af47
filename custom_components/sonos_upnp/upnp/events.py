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
from .safe_xml import MAX_BODY_BYTES, local_name, parse_xml

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


def parse_property_set(
    body: bytes | str, *, max_bytes: int = MAX_BODY_BYTES
) -> dict[str, str]:
    """Return the variables of a NOTIFY body as name -> text.

    Raises UpnpResponseError for anything that is not a well-formed
    `urn:schemas-upnp-org:event-1-0` property set.
    """
    root = parse_xml(_to_bytes(body), max_bytes=max_bytes)
    if root.tag != f"{{{EVENT_NAMESPACE}}}propertyset":
        raise UpnpResponseError(f"NOTIFY body is not a propertyset: {root.tag!r}")
    variables: dict[str, str] = {}
    for prop in root:
        if prop.tag != f"{{{EVENT_NAMESPACE}}}property":
            raise UpnpResponseError(f"unexpected element in propertyset: {prop.tag!r}")
        for variable in prop:
            # Sonos escapes nested XML into the text; stray child elements are
            # not part of the protocol and are ignored.
            variables[local_name(variable.tag)] = variable.text or ""
    return variables


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
