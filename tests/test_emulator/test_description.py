"""Device description and SCPD documents of emulated players."""

from __future__ import annotations

import re

import aiohttp
import pytest
from defusedxml import ElementTree as SafeElementTree

from custom_components.sonos_upnp.upnp.catalog import MODELS, SERVICES
from tests.emulator.household import Household

pytestmark = pytest.mark.usefixtures("socket_enabled")
DEVICE = "{urn:schemas-upnp-org:device-1-0}"
SCPD = "{urn:schemas-upnp-org:service-1-0}"


def _services(device) -> dict[str, str]:
    return {
        s.findtext(f"{DEVICE}serviceId"): s.findtext(f"{DEVICE}controlURL")
        for s in device.find(f"{DEVICE}serviceList")
    }


async def test_device_description_shape(emulator_household: Household) -> None:
    player = emulator_household.players[0]
    async with aiohttp.ClientSession() as session, session.get(player.location) as resp:
        assert resp.status == 200
        root = SafeElementTree.fromstring(await resp.read())
    device = root.find(f"{DEVICE}device")
    text = {child.tag.removeprefix(DEVICE): child.text for child in device}
    assert text["deviceType"] == "urn:schemas-upnp-org:device:ZonePlayer:1"
    assert text["UDN"] == f"uuid:{player.uuid}"
    assert re.fullmatch(r"RINCON_[0-9A-F]{12}01400", player.uuid)
    assert text["roomName"] == player.room_name
    assert text["modelNumber"] == player.model.model
    assert text["modelName"] == player.model.description
    assert text["softwareVersion"] == player.software_version
    assert text["swGen"] == "2"
    assert text["serialNum"] == player.serial
    assert text["displayName"]
    assert text["hardwareVersion"]
    assert player.model in MODELS
    root_services = _services(device)
    subs = {
        sub.findtext(f"{DEVICE}deviceType"): _services(sub)
        for sub in device.find(f"{DEVICE}deviceList")
    }
    renderer = subs["urn:schemas-upnp-org:device:MediaRenderer:1"]
    server = subs["urn:schemas-upnp-org:device:MediaServer:1"]
    assert all(url.startswith("/MediaRenderer/") for url in renderer.values())
    assert all(url.startswith("/MediaServer/") for url in server.values())
    assert not any(url.startswith("/Media") for url in root_services.values())
    listed = root_services | renderer | server
    assert listed == {s.service_id: s.control_url for s in SERVICES}


async def test_scpd_of_every_service_matches_catalog(emulator_player) -> None:
    async with aiohttp.ClientSession() as session:
        for service in SERVICES:
            async with session.get(emulator_player.base_url + service.scpd_url) as resp:
                assert resp.status == 200
                root = SafeElementTree.fromstring(await resp.read())
            actions = root.find(f"{SCPD}actionList")
            names = [a.findtext(f"{SCPD}name") for a in actions]
            assert names == list(service.action_names)
            for element, action in zip(actions, service.actions, strict=True):
                arguments = [
                    (
                        a.findtext(f"{SCPD}name"),
                        a.findtext(f"{SCPD}direction"),
                        a.findtext(f"{SCPD}relatedStateVariable"),
                    )
                    for a in element.find(f"{SCPD}argumentList")
                ]
                expected = [(a.name, "in", a.state_variable) for a in action.inputs]
                expected += [(a.name, "out", a.state_variable) for a in action.outputs]
                assert arguments == expected
            table = {
                v.findtext(f"{SCPD}name"): (
                    v.get("sendEvents"),
                    v.findtext(f"{SCPD}dataType"),
                    tuple(x.text for x in v.iter(f"{SCPD}allowedValue")),
                )
                for v in root.find(f"{SCPD}serviceStateTable")
            }
            assert table == {
                v.name: ("yes" if v.evented else "no", v.data_type, v.allowed_values)
                for v in service.state_variables
            }
