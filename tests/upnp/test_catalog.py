"""The generated service catalog: complete, consistent and free of drift."""

import importlib.util
import json
from pathlib import Path

import pytest

from custom_components.sonos_upnp.upnp import catalog_data
from custom_components.sonos_upnp.upnp.catalog import (
    INTEGER_RANGES,
    MODELS,
    SERVICES,
    error_label,
    get_service,
)
from custom_components.sonos_upnp.upnp.exceptions import UpnpArgumentError

REPO = Path(__file__).resolve().parents[2]
SERVICES_JSON = REPO.parent / "shared" / "sonos" / "services.json"


def _load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "generate_catalog", REPO / "script" / "generate_catalog.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(
    not SERVICES_JSON.exists(), reason="../shared/sonos/services.json is absent"
)
def test_committed_catalog_matches_a_fresh_generation() -> None:
    generator = _load_generator()
    fresh = generator.render(json.loads(SERVICES_JSON.read_text(encoding="utf-8")))
    committed = Path(catalog_data.__file__).read_text(encoding="utf-8")
    assert fresh == committed, "run: python script/generate_catalog.py"


def test_catalog_has_16_services_and_206_actions() -> None:
    assert len(SERVICES) == 16
    assert sum(len(s.actions) for s in SERVICES) == 206
    assert sum(len(a.inputs) + len(a.outputs) for s in SERVICES for a in s.actions) == (
        622
    )


def test_service_types_are_exact() -> None:
    assert get_service("Queue").service_type == "urn:schemas-sonos-com:service:Queue:1"
    assert (
        get_service("QPlay").service_type == "urn:schemas-tencent-com:service:QPlay:1"
    )
    assert (
        get_service("AlarmClock").service_type
        == "urn:schemas-upnp-org:service:AlarmClock:1"
    )
    topology = get_service("ZoneGroupTopology")
    assert topology.control_url == "/ZoneGroupTopology/Control"
    assert topology.event_url == "/ZoneGroupTopology/Event"
    assert topology.scpd_url == "/xml/ZoneGroupTopology1.xml"


def test_action_arguments_keep_their_order_and_types() -> None:
    create = get_service("AlarmClock").action("CreateAlarm")
    assert [a.name for a in create.inputs] == [
        "StartLocalTime",
        "Duration",
        "Recurrence",
        "Enabled",
        "RoomUUID",
        "ProgramURI",
        "ProgramMetaData",
        "PlayMode",
        "Volume",
        "IncludeLinkedZones",
    ]
    volume = create.input("Volume")
    assert volume is not None
    assert volume.data_type == "ui2"
    play_mode = create.input("PlayMode")
    assert play_mode is not None
    assert "SHUFFLE_NOREPEAT" in play_mode.allowed_values
    assert create.input("Nope") is None
    assert [a.name for a in create.outputs] == ["AssignedID"]


def test_every_argument_type_is_known() -> None:
    known = {"string", "boolean", *INTEGER_RANGES}
    for service in SERVICES:
        for action in service.actions:
            for arg in (*action.inputs, *action.outputs):
                assert arg.data_type in known, (service.name, action.name, arg)


def test_unknown_names_list_the_valid_choices() -> None:
    with pytest.raises(UpnpArgumentError, match=r"valid services: .*AlarmClock"):
        get_service("Alarm")
    with pytest.raises(UpnpArgumentError, match=r"valid actions: .*ListAlarms"):
        get_service("AlarmClock").action("ListAlarm")


def test_error_labels_prefer_the_service_then_global() -> None:
    alarm_clock = get_service("AlarmClock")
    assert error_label(alarm_clock, 801) == "Duplicate alarm time"
    assert error_label(alarm_clock, 402) == "Invalid args"
    assert error_label(alarm_clock, 999) is None
    assert error_label(get_service("AVTransport"), 701) == "Transition not available"


def test_models_and_evented_variables() -> None:
    assert {m.model for m in MODELS} >= {"S1", "S13", "Sub"}
    topology = get_service("ZoneGroupTopology")
    evented = {v.name for v in topology.state_variables if v.evented}
    assert {"ZoneGroupState", "AlarmRunSequence"} <= evented
    assert "ListAlarms" in get_service("AlarmClock").action_names
