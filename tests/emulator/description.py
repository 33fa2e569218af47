"""Device description and SCPD documents, generated from the catalog."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Final
from xml.etree.ElementTree import Element, SubElement

from custom_components.sonos_upnp.upnp.catalog import SERVICES, Service

from .xml_tools import to_bytes

if TYPE_CHECKING:
    from .player import Player

DEVICE_NS: Final = "urn:schemas-upnp-org:device-1-0"
SERVICE_NS: Final = "urn:schemas-upnp-org:service-1-0"
MEDIA_SERVER_PREFIX: Final = "/MediaServer/"
MEDIA_RENDERER_PREFIX: Final = "/MediaRenderer/"


def services_under(prefix: str | None) -> tuple[Service, ...]:
    """Return the services of a (sub-)device, chosen by control URL prefix."""
    if prefix is None:
        return tuple(
            s
            for s in SERVICES
            if not s.control_url.startswith(
                (MEDIA_SERVER_PREFIX, MEDIA_RENDERER_PREFIX)
            )
        )
    return tuple(s for s in SERVICES if s.control_url.startswith(prefix))


def _text(parent: Element, tag: str, text: str) -> Element:
    child = SubElement(parent, tag)
    child.text = text
    return child


def _service_list(device: Element, services: tuple[Service, ...]) -> None:
    service_list = SubElement(device, "serviceList")
    for service in services:
        entry = SubElement(service_list, "service")
        _text(entry, "serviceType", service.service_type)
        _text(entry, "serviceId", service.service_id)
        _text(entry, "controlURL", service.control_url)
        _text(entry, "eventSubURL", service.event_url)
        _text(entry, "SCPDURL", service.scpd_url)


def _device_header(device: Element, player: Player, kind: str, suffix: str) -> None:
    _text(device, "deviceType", f"urn:schemas-upnp-org:device:{kind}:1")
    _text(device, "friendlyName", f"{player.host} - {player.model.description}{suffix}")
    _text(device, "manufacturer", "Sonos, Inc.")
    _text(device, "manufacturerURL", "http://www.sonos.com")
    _text(device, "modelNumber", player.model.model)
    _text(device, "modelDescription", f"{player.model.description}{suffix}")
    _text(device, "modelName", player.model.description)
    _text(
        device,
        "modelURL",
        f"http://www.sonos.com/products/zoneplayers/{player.model.model}",
    )


def _icon_list(device: Element, player: Player) -> None:
    icon = SubElement(SubElement(device, "iconList"), "icon")
    _text(icon, "id", "0")
    _text(icon, "mimetype", "image/png")
    for tag, value in (("width", "48"), ("height", "48"), ("depth", "24")):
        _text(icon, tag, value)
    _text(icon, "url", f"/img/icon-{player.model.model}.png")


def device_description(player: Player) -> bytes:
    """Return `/xml/device_description.xml` of a player."""
    root = Element("root", {"xmlns": DEVICE_NS})
    spec = SubElement(root, "specVersion")
    _text(spec, "major", "1")
    _text(spec, "minor", "0")
    device = SubElement(root, "device")
    _device_header(device, player, "ZonePlayer", "")
    _text(device, "softwareVersion", player.software_version)
    _text(device, "swGen", str(player.model.software_generation))
    _text(device, "hardwareVersion", player.hardware_version)
    _text(device, "serialNum", player.serial)
    _text(device, "MACAddress", player.mac)
    _text(device, "UDN", f"uuid:{player.uuid}")
    _icon_list(device, player)
    _text(device, "minCompatibleVersion", "76.0-00000")
    _text(device, "legacyCompatibleVersion", "58.0-00000")
    _text(device, "apiVersion", "1.40.0")
    _text(device, "minApiVersion", "1.1.0")
    _text(device, "displayVersion", player.display_version)
    _text(device, "extraVersion", "")
    _text(device, "roomName", player.room_name)
    _text(device, "displayName", player.display_name)
    _text(device, "zoneType", "11")
    _text(device, "feature1", "0x00000000")
    _text(device, "feature2", "0x00403332")
    _text(device, "feature3", "0x0001302a")
    _text(device, "variant", "1")
    _text(device, "internalSpeakerSize", "5")
    _text(device, "memory", "1024")
    _text(device, "flash", "512")
    _text(device, "ampOnTime", "10")
    _text(device, "retailMode", "0")
    _service_list(device, services_under(None))
    device_list = SubElement(device, "deviceList")
    for kind, prefix, suffix, udn_suffix in (
        ("MediaServer", MEDIA_SERVER_PREFIX, " Media Server", "_MS"),
        ("MediaRenderer", MEDIA_RENDERER_PREFIX, " Media Renderer", "_MR"),
    ):
        sub = SubElement(device_list, "device")
        _device_header(sub, player, kind, suffix)
        _text(sub, "UDN", f"uuid:{player.uuid}{udn_suffix}")
        _service_list(sub, services_under(prefix))
    return to_bytes(root)


@cache
def scpd(service_name: str) -> bytes:
    """Return the SCPD document of a service (same for every player)."""
    service = next(s for s in SERVICES if s.name == service_name)
    root = Element("scpd", {"xmlns": SERVICE_NS})
    spec = SubElement(root, "specVersion")
    _text(spec, "major", "1")
    _text(spec, "minor", "0")
    action_list = SubElement(root, "actionList")
    for action in service.actions:
        entry = SubElement(action_list, "action")
        _text(entry, "name", action.name)
        arguments = SubElement(entry, "argumentList")
        for direction, args in (("in", action.inputs), ("out", action.outputs)):
            for arg in args:
                argument = SubElement(arguments, "argument")
                _text(argument, "name", arg.name)
                _text(argument, "direction", direction)
                _text(argument, "relatedStateVariable", arg.state_variable)
    table = SubElement(root, "serviceStateTable")
    for variable in service.state_variables:
        entry = SubElement(
            table,
            "stateVariable",
            {"sendEvents": "yes" if variable.evented else "no"},
        )
        _text(entry, "name", variable.name)
        _text(entry, "dataType", variable.data_type)
        if variable.allowed_values:
            allowed = SubElement(entry, "allowedValueList")
            for value in variable.allowed_values:
                _text(allowed, "allowedValue", value)
    return to_bytes(root)
