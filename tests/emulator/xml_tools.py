"""XML the emulator writes (xml.etree) and reads (defusedxml, size-capped)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final
from xml.etree.ElementTree import Element, SubElement, tostring
from xml.sax.saxutils import escape

from defusedxml import ElementTree as SafeElementTree

SOAP_ENV_NS: Final = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENCODING: Final = "http://schemas.xmlsoap.org/soap/encoding/"
CONTROL_NS: Final = "urn:schemas-upnp-org:control-1-0"
EVENT_NS: Final = "urn:schemas-upnp-org:event-1-0"
MAX_REQUEST_BYTES: Final = 256 * 1024
XML_DECLARATION: Final = b'<?xml version="1.0" encoding="utf-8"?>\n'


class MalformedRequestError(ValueError):
    """A request body the emulator cannot read."""


def to_bytes(element: Element, *, declaration: bool = True) -> bytes:
    """Serialise an element (UTF-8, optional XML declaration)."""
    body = tostring(element, encoding="unicode").encode()
    return XML_DECLARATION + body if declaration else body


def to_text(element: Element) -> str:
    """Serialise an element to a string without declaration."""
    return tostring(element, encoding="unicode")


def local_name(tag: str) -> str:
    """Return a tag without its `{namespace}`."""
    return tag.rpartition("}")[2]


def parse_request(body: bytes) -> Element:
    """Parse a request body with defusedxml, refusing big or hostile input."""
    if len(body) > MAX_REQUEST_BYTES:
        raise MalformedRequestError("request body too large")
    try:
        root: Element = SafeElementTree.fromstring(body)
    except Exception as err:  # defusedxml raises several unrelated types
        raise MalformedRequestError(str(err)) from err
    return root


def _envelope() -> tuple[Element, Element]:
    envelope = Element(
        "s:Envelope",
        {"xmlns:s": SOAP_ENV_NS, "s:encodingStyle": SOAP_ENCODING},
    )
    return envelope, SubElement(envelope, "s:Body")


def escape_text(value: str) -> str:
    """Escape element text the way Sonos does (quotes too: `&quot;`)."""
    return escape(value, {'"': "&quot;"})


def soap_response(
    service_type: str, action: str, outputs: Iterable[tuple[str, str]]
) -> bytes:
    """Build the SOAP answer of an action, outputs in catalog order.

    Written by hand rather than with ElementTree so that quotes inside
    embedded documents (ZoneGroupState, alarm lists) are escaped as real
    players escape them. Names come from the catalog, values are escaped.
    """
    arguments = "".join(
        f"<{name}>{escape_text(value)}</{name}>" for name, value in outputs
    )
    return (
        XML_DECLARATION
        + (
            f'<s:Envelope xmlns:s="{SOAP_ENV_NS}" s:encodingStyle="{SOAP_ENCODING}">'
            f'<s:Body><u:{action}Response xmlns:u="{escape_text(service_type)}">'
            f"{arguments}</u:{action}Response></s:Body></s:Envelope>"
        ).encode()
    )


def soap_fault(code: int) -> bytes:
    """Build a UPnP fault body; Sonos sends the code without a description."""
    envelope, body = _envelope()
    fault = SubElement(body, "s:Fault")
    SubElement(fault, "faultcode").text = "s:Client"
    SubElement(fault, "faultstring").text = "UPnPError"
    detail = SubElement(fault, "detail")
    error = SubElement(detail, "UPnPError", {"xmlns": CONTROL_NS})
    SubElement(error, "errorCode").text = str(code)
    return to_bytes(envelope)


def propertyset(values: Mapping[str, str]) -> bytes:
    """Build a GENA NOTIFY body: one e:property per variable."""
    properties = "".join(
        f"<e:property><{name}>{escape_text(value)}</{name}></e:property>"
        for name, value in values.items()
    )
    return (
        XML_DECLARATION
        + f'<e:propertyset xmlns:e="{EVENT_NS}">{properties}</e:propertyset>'.encode()
    )


def last_change(
    namespace: str,
    instance_tag: str,
    values: Iterable[tuple[str, str, str | None]],
) -> str:
    """Build a LastChange document: (variable, value, channel or None) triples."""
    event = Element("Event", {"xmlns": namespace})
    instance = SubElement(event, instance_tag, {"val": "0"})
    for name, value, channel in values:
        attributes = {"channel": channel, "val": value} if channel else {"val": value}
        SubElement(instance, name, attributes)
    return to_text(event)
