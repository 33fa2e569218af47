"""SOAP 1.1 envelopes for UPnP control: building requests, reading answers.

Pure functions without I/O, so the transport (`client.py`) stays thin and the
wire format can be tested on its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

from .catalog import error_label
from .catalog_types import Action, Service
from .exceptions import (
    AlarmNotFoundError,
    DuplicateAlarmError,
    UpnpArgumentError,
    UpnpError,
    UpnpResponseError,
)
from .safe_xml import MAX_BODY_BYTES, find_child, local_name, parse_xml
from .values import from_wire, to_wire

__all__ = [
    "CONTENT_TYPE",
    "ENCODING_STYLE",
    "SOAP_ENVELOPE_NS",
    "build_request",
    "parse_fault",
    "parse_response",
    "soap_action_header",
]

SOAP_ENVELOPE_NS: Final = "http://schemas.xmlsoap.org/soap/envelope/"
ENCODING_STYLE: Final = "http://schemas.xmlsoap.org/soap/encoding/"
CONTENT_TYPE: Final = 'text/xml; charset="utf-8"'
# The only argument with a default: every player has exactly one instance, 0.
_DEFAULTS: Final[Mapping[str, object]] = {"InstanceID": 0}
# A carriage return would be normalised away by the speaker's XML parser.
_TEXT_ENTITIES: Final = {"\r": "&#13;"}
# Bounded: int() refuses very long digit strings with ValueError.
_ERROR_CODE: Final = re.compile(r"[0-9]{1,9}")
_FAULT_ERRORS: Final[Mapping[tuple[str, int], type[UpnpError]]] = {
    ("AlarmClock", 800): AlarmNotFoundError,
    ("AlarmClock", 801): DuplicateAlarmError,
}


def soap_action_header(service: Service, action: Action) -> str:
    """Return the quoted SOAPACTION header value."""
    return f'"{service.service_type}#{action.name}"'


def _wire_arguments(
    service: Service, action: Action, args: Mapping[str, object]
) -> list[tuple[str, str]]:
    """Validate args against the catalog; return them in catalog order."""
    valid = [argument.name for argument in action.inputs]
    unknown = sorted(set(args) - set(valid))
    if unknown:
        raise UpnpArgumentError(
            f"{service.name}.{action.name}: unknown argument(s) "
            f"{', '.join(unknown)}; valid arguments: {', '.join(valid) or 'none'}"
        )
    missing = [name for name in valid if name not in args and name not in _DEFAULTS]
    if missing:
        raise UpnpArgumentError(
            f"{service.name}.{action.name}: missing argument(s) "
            f"{', '.join(missing)}; valid arguments: {', '.join(valid)}"
        )
    return [
        (
            argument.name,
            to_wire(
                argument,
                args.get(argument.name, _DEFAULTS.get(argument.name)),
                service=service.name,
                action=action.name,
            ),
        )
        for argument in action.inputs
    ]


def build_request(
    service: Service, action: Action, args: Mapping[str, object]
) -> tuple[dict[str, str], bytes]:
    """Return the headers and body of a control request, or UpnpArgumentError."""
    arguments = "".join(
        f"<{name}>{escape(text, _TEXT_ENTITIES)}</{name}>"
        for name, text in _wire_arguments(service, action, args)
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<s:Envelope xmlns:s="{SOAP_ENVELOPE_NS}" s:encodingStyle="{ENCODING_STYLE}">'
        f'<s:Body><u:{action.name} xmlns:u="{escape(service.service_type)}">'
        f"{arguments}</u:{action.name}></s:Body></s:Envelope>"
    )
    headers = {
        "Content-Type": CONTENT_TYPE,
        "SOAPACTION": soap_action_header(service, action),
    }
    return headers, body.encode("utf-8")


def _soap_body(service: Service, action: Action, root: Element) -> Element:
    """Return the s:Body of an envelope, or raise UpnpResponseError."""
    body = find_child(root, "Body") if local_name(root.tag) == "Envelope" else None
    if body is None:
        raise UpnpResponseError(
            f"{service.name}.{action.name}: answer is not a SOAP envelope"
        )
    return body


def parse_response(
    service: Service,
    action: Action,
    body: bytes,
    *,
    max_bytes: int = MAX_BODY_BYTES,
) -> dict[str, Any]:
    """Return the typed outputs of a successful answer, in catalog order.

    Raises UpnpResponseError for anything malformed or missing, and the
    matching UpnpError when the answer turns out to be a SOAP fault.
    """
    soap_body = _soap_body(service, action, parse_xml(body, max_bytes=max_bytes))
    if find_child(soap_body, "Fault") is not None:
        raise _fault(service, action, soap_body)
    answer = find_child(soap_body, f"{action.name}Response")
    if answer is None:
        raise UpnpResponseError(
            f"{service.name}.{action.name}: answer lacks {action.name}Response"
        )
    outputs: dict[str, Any] = {}
    for argument in action.outputs:
        element = find_child(answer, argument.name)
        if element is None:
            raise UpnpResponseError(
                f"{service.name}.{action.name}: answer lacks output {argument.name}"
            )
        outputs[argument.name] = from_wire(
            argument, element.text or "", service=service.name, action=action.name
        )
    return outputs


def parse_fault(
    service: Service,
    action: Action,
    body: bytes,
    *,
    max_bytes: int = MAX_BODY_BYTES,
) -> UpnpError:
    """Return the UpnpError a fault body carries (for the caller to raise).

    A body without a readable UPnP error code raises UpnpResponseError.
    """
    soap_body = _soap_body(service, action, parse_xml(body, max_bytes=max_bytes))
    return _fault(service, action, soap_body)


def _fault(service: Service, action: Action, soap_body: Element) -> UpnpError:
    """Return the UpnpError of s:Fault/detail/UPnPError/errorCode."""
    code_text = None
    element: Element | None = soap_body
    for name in ("Fault", "detail", "UPnPError", "errorCode"):
        element = find_child(element, name) if element is not None else None
    if element is not None:
        code_text = (element.text or "").strip()
    if code_text is None or not _ERROR_CODE.fullmatch(code_text):
        raise UpnpResponseError(
            f"{service.name}.{action.name}: fault without a UPnP error code"
        )
    code = int(code_text)
    error_type = _FAULT_ERRORS.get((service.name, code), UpnpError)
    return error_type(code, error_label(service, code), service.name, action.name)
