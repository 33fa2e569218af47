"""A tiny SOAP/HTTP helper for the emulator's tests (independent of the client)."""

from __future__ import annotations

from collections.abc import Mapping
from xml.etree.ElementTree import Element, SubElement, tostring

import aiohttp
from defusedxml import ElementTree as SafeElementTree

from custom_components.sonos_upnp.upnp.catalog import get_service
from tests.emulator.player import Player

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"


def envelope(service_type: str, action: str, args: Mapping[str, str]) -> bytes:
    root = Element("s:Envelope", {"xmlns:s": SOAP_NS})
    body = SubElement(root, "s:Body")
    call = SubElement(body, f"u:{action}", {"xmlns:u": service_type})
    for name, value in args.items():
        SubElement(call, name).text = value
    return tostring(root)


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


class SoapResult:
    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body
        root = SafeElementTree.fromstring(body)
        soap_body = next(c for c in root if local(c.tag) == "Body")
        first = soap_body[0]
        self.error_code: int | None = None
        self.outputs: dict[str, str] = {}
        self.names: list[str] = []
        if local(first.tag) == "Fault":
            code = next(e for e in first.iter() if local(e.tag) == "errorCode")
            self.error_code = int(code.text or "0")
            self.description = [
                e for e in first.iter() if local(e.tag) == "errorDescription"
            ]
        else:
            self.response_tag = first.tag
            for child in first:
                self.names.append(child.tag)
                self.outputs[child.tag] = child.text or ""


async def call(
    session: aiohttp.ClientSession,
    player: Player,
    service_name: str,
    action: str,
    args: Mapping[str, str] | None = None,
    *,
    body: bytes | None = None,
    soapaction: str | None = None,
) -> SoapResult:
    service = get_service(service_name)
    data = (
        body if body is not None else envelope(service.service_type, action, args or {})
    )
    headers = {
        "SOAPACTION": soapaction or f'"{service.service_type}#{action}"',
        "Content-Type": 'text/xml; charset="utf-8"',
    }
    async with session.post(
        player.base_url + service.control_url, data=data, headers=headers
    ) as response:
        return SoapResult(response.status, await response.read())
