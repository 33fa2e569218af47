"""The device description a speaker serves at /xml/device_description.xml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from xml.etree.ElementTree import Element

from .exceptions import NotASonosDeviceError, UpnpResponseError
from .safe_xml import MAX_BODY_BYTES, child_text, find_child, local_name, parse_xml

__all__ = [
    "DESCRIPTION_PATH",
    "ZONE_PLAYER_TYPE",
    "DescribedService",
    "DeviceDescription",
    "parse_device_description",
]

DESCRIPTION_PATH: Final = "/xml/device_description.xml"
ZONE_PLAYER_TYPE: Final = "urn:schemas-upnp-org:device:ZonePlayer:1"
_RINCON_UDN: Final = re.compile(r"(?:uuid:)?(RINCON_[0-9A-Za-z]+)")
_GENERATION: Final = re.compile(r"[0-9]{1,3}")
# Root device, MediaServer and MediaRenderer: real descriptions nest one level;
# the bound keeps a hostile description from recursing deeply.
_MAX_DEVICE_DEPTH: Final = 4


@dataclass(frozen=True, slots=True)
class DescribedService:
    """A service as the device description lists it."""

    service_type: str
    service_id: str
    control_url: str
    event_url: str
    scpd_url: str


@dataclass(frozen=True, slots=True)
class DeviceDescription:
    """What a Sonos speaker says about itself."""

    udn: str
    room_name: str
    display_name: str
    model_name: str
    model_number: str
    model_description: str | None
    serial_number: str
    software_version: str
    software_generation: int | None
    hardware_version: str
    services: tuple[DescribedService, ...]

    def service(self, service_type: str) -> DescribedService | None:
        """Return the first listed service of service_type, if any."""
        return next((s for s in self.services if s.service_type == service_type), None)


def _text(device: Element, name: str) -> str:
    return child_text(device, name).strip()


def _services(device: Element, depth: int = 0) -> list[DescribedService]:
    """Collect the services of device and of its embedded devices."""
    found: list[DescribedService] = []
    service_list = find_child(device, "serviceList")
    for service in service_list if service_list is not None else ():
        if local_name(service.tag) != "service":
            continue
        found.append(
            DescribedService(
                service_type=_text(service, "serviceType"),
                service_id=_text(service, "serviceId"),
                control_url=_text(service, "controlURL"),
                event_url=_text(service, "eventSubURL"),
                scpd_url=_text(service, "SCPDURL"),
            )
        )
    device_list = find_child(device, "deviceList")
    if device_list is not None and depth < _MAX_DEVICE_DEPTH:
        for embedded in device_list:
            if local_name(embedded.tag) == "device":
                found.extend(_services(embedded, depth + 1))
    return found


def _generation(text: str) -> int | None:
    return int(text) if _GENERATION.fullmatch(text) else None


def parse_device_description(
    data: bytes | str, *, max_bytes: int = MAX_BODY_BYTES
) -> DeviceDescription:
    """Parse a device description; refuse one that is not a Sonos ZonePlayer.

    Raises NotASonosDeviceError for a well-formed description of another
    device, UpnpResponseError for a malformed one.
    """
    root = parse_xml(data, max_bytes=max_bytes)
    device = find_child(root, "device") if local_name(root.tag) == "root" else None
    if device is None:
        raise UpnpResponseError("device description lacks root/device")
    device_type = _text(device, "deviceType")
    if device_type != ZONE_PLAYER_TYPE:
        raise NotASonosDeviceError(f"device type {device_type[:80]!r} is not Sonos")
    udn = _RINCON_UDN.fullmatch(_text(device, "UDN"))
    if udn is None:
        raise NotASonosDeviceError("device description lacks a RINCON UDN")
    description = find_child(device, "modelDescription")
    return DeviceDescription(
        udn=udn.group(1),
        room_name=_text(device, "roomName"),
        display_name=_text(device, "displayName"),
        model_name=_text(device, "modelName"),
        model_number=_text(device, "modelNumber"),
        model_description=(description.text or "").strip()
        if description is not None
        else None,
        serial_number=_text(device, "serialNum"),
        software_version=_text(device, "softwareVersion"),
        software_generation=_generation(_text(device, "swGen")),
        hardware_version=_text(device, "hardwareVersion"),
        services=tuple(_services(device)),
    )
