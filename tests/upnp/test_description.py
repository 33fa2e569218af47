"""Device descriptions: what a speaker says about itself, and refusing strangers."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.sonos_upnp.upnp.description import (
    DescribedService,
    parse_device_description,
)
from custom_components.sonos_upnp.upnp.exceptions import (
    NotASonosDeviceError,
    UpnpResponseError,
)

FIXTURES = Path(__file__).parent / "fixtures" / "description"
CAPTURE = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "sonos"
    / "captures"
    / "nst__device_description.xml"
)
ZONE_PLAYER = "urn:schemas-upnp-org:device:ZonePlayer:1"


def _description(device: str) -> str:
    namespace = "urn:schemas-upnp-org:device-1-0"
    return f'<root xmlns="{namespace}"><device>{device}</device></root>'


@pytest.mark.skipif(
    not CAPTURE.exists(), reason="../shared/sonos/captures is absent (public CI)"
)
def test_real_playbar_capture() -> None:
    description = parse_device_description(CAPTURE.read_bytes())
    assert description.udn == "RINCON_949F0000A901400"
    assert description.room_name == "TV"
    assert description.display_name == "Playbar"
    assert description.model_name == "Sonos Playbar"
    assert description.model_number == "S9"
    assert description.model_description == "Sonos Playbar"
    assert description.serial_number == "94-9F-00-68-00-A9:D"
    assert description.software_version == "57.4-83220"
    assert description.software_generation == 1
    assert description.hardware_version == "1.9.1.10-2.2"
    # 8 on the root device, 2 on the MediaServer, 6 on the MediaRenderer.
    assert len(description.services) == 16
    assert description.services[0] == DescribedService(
        service_type="urn:schemas-upnp-org:service:AlarmClock:1",
        service_id="urn:upnp-org:serviceId:AlarmClock",
        control_url="/AlarmClock/Control",
        event_url="/AlarmClock/Event",
        scpd_url="/xml/AlarmClock1.xml",
    )
    control_urls = [s.control_url for s in description.services]
    assert "/MediaServer/ContentDirectory/Control" in control_urls
    assert "/MediaRenderer/Queue/Control" in control_urls
    assert "/MediaServer/ConnectionManager/Control" in control_urls
    assert "/MediaRenderer/ConnectionManager/Control" in control_urls
    queue = description.service("urn:schemas-sonos-com:service:Queue:1")
    assert queue is not None
    assert queue.event_url == "/MediaRenderer/Queue/Event"
    assert description.service("urn:schemas-upnp-org:service:AudioIn:1") is None


def test_own_fixture_with_a_stray_ampersand() -> None:
    data = (FIXTURES / "sonos_one.xml").read_bytes()
    assert b"<roomName>Tom & Jerry</roomName>" in data
    description = parse_device_description(data)
    assert description.udn == "RINCON_48A6B8C0FFEE01400"
    assert description.room_name == "Tom & Jerry"
    assert description.display_name == "One"
    assert description.model_number == "S18"
    assert description.model_description is None
    assert description.software_generation == 2
    assert [s.service_id.rpartition(":")[2] for s in description.services] == [
        "DeviceProperties",
        "AlarmClock",
        "RenderingControl",
        "Queue",
    ]
    # Text input works as well as bytes.
    assert parse_device_description(data.decode()) == description


def test_another_upnp_device_is_not_sonos() -> None:
    data = (FIXTURES / "media_renderer_not_sonos.xml").read_bytes()
    with pytest.raises(NotASonosDeviceError, match="MediaRenderer"):
        parse_device_description(data)


@pytest.mark.parametrize(
    "udn",
    ["", "uuid:5f9ec1b3-ed59-79bb-4530-745e1f2c1b0f", "uuid:RINCON_", "RINCON_1 2"],
)
def test_zone_player_without_rincon_udn_is_not_sonos(udn: str) -> None:
    data = _description(f"<deviceType>{ZONE_PLAYER}</deviceType><UDN>{udn}</UDN>")
    with pytest.raises(NotASonosDeviceError, match="RINCON"):
        parse_device_description(data)


def test_minimal_zone_player_and_odd_software_generation() -> None:
    data = _description(
        f"<deviceType> {ZONE_PLAYER} </deviceType><UDN>RINCON_ABC</UDN>"
        "<swGen>two</swGen><serviceList><junk/></serviceList><deviceList><junk/>"
        "</deviceList>"
    )
    description = parse_device_description(data)
    assert description.udn == "RINCON_ABC"
    assert description.software_generation is None
    assert description.room_name == ""
    assert description.services == ()


def test_deeply_nested_devices_are_bounded() -> None:
    service = (
        "<serviceList><service><serviceType>t</serviceType></service></serviceList>"
    )
    nested = service
    for _ in range(10):
        nested = f"<deviceList><device>{nested}</device></deviceList>{service}"
    data = _description(
        f"<deviceType>{ZONE_PLAYER}</deviceType><UDN>uuid:RINCON_1</UDN>{nested}"
    )
    description = parse_device_description(data)
    assert 1 < len(description.services) < 10


@pytest.mark.parametrize(
    "data",
    [b"", b"<root/>", b"<device/>", b"<root><device>", b"<!DOCTYPE r><root/>"],
)
def test_malformed_descriptions_are_response_errors(data: bytes) -> None:
    with pytest.raises(UpnpResponseError) as err:
        parse_device_description(data)
    assert not isinstance(err.value, NotASonosDeviceError)


def test_size_cap() -> None:
    data = (FIXTURES / "sonos_one.xml").read_bytes()
    with pytest.raises(UpnpResponseError, match="exceeds"):
        parse_device_description(data, max_bytes=100)


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_only_response_errors(data: bytes) -> None:
    try:
        description = parse_device_description(data)
    except UpnpResponseError:
        return
    assert description.udn.startswith("RINCON_")


PARTS = st.sampled_from(
    [
        "<root>",
        "</root>",
        "<device>",
        "</device>",
        f"<deviceType>{ZONE_PLAYER}</deviceType>",
        "<UDN>uuid:RINCON_1</UDN>",
        "<swGen>",
        "</swGen>",
        "<deviceList>",
        "</deviceList>",
        "<serviceList><service>",
        "</service></serviceList>",
        "&",
        "9",
    ]
)


@given(st.lists(PARTS, max_size=20).map("".join))
def test_near_descriptions_raise_only_response_errors(text: str) -> None:
    try:
        description = parse_device_description(text)
    except UpnpResponseError:
        return
    assert description.udn == "RINCON_1"
