"""stream_xml: element callbacks over untrusted XML, with parse_xml's refusals."""

import pytest

from custom_components.sonos_upnp.upnp.exceptions import UpnpResponseError
from custom_components.sonos_upnp.upnp.safe_xml import stream_xml

from .test_safe_xml import (
    BILLION_LAUGHS,
    EXTERNAL_DTD,
    EXTERNAL_ENTITY,
    PARAMETER_ENTITY,
    PLAIN_DTD,
)


def _events(data: bytes | str, **kwargs: int) -> list[tuple[object, ...]]:
    events: list[tuple[object, ...]] = []
    stream_xml(
        data,
        lambda name, attributes: events.append(("start", name, *attributes.items())),
        lambda name: events.append(("end", name)),
        **kwargs,
    )
    return events


def test_elements_are_reported_in_document_order() -> None:
    events = _events(
        '<r xmlns:u="urn:u"><u:a n="1" u:m="2">text<b/></u:a><!-- c --><c/></r>'
    )
    assert events == [
        ("start", "r"),
        ("start", "urn:u}a", ("n", "1"), ("urn:u}m", "2")),
        ("start", "b"),
        ("end", "b"),
        ("end", "urn:u}a"),
        ("start", "c"),
        ("end", "c"),
        ("end", "r"),
    ]


def test_stray_ampersands_are_repaired_and_references_read() -> None:
    events = _events('<r a="Tom & Jerry" b="&lt;&#233;&amp;"/>')
    assert events[0] == ("start", "r", ("a", "Tom & Jerry"), ("b", "<\xe9&"))


@pytest.mark.parametrize(
    "payload",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PLAIN_DTD, PARAMETER_ENTITY],
    ids=["billion-laughs", "external-entity", "external-dtd", "dtd", "parameter"],
)
def test_hostile_documents_are_refused_before_any_element(payload: bytes) -> None:
    seen: list[str] = []
    with pytest.raises(UpnpResponseError, match="refused XML"):
        stream_xml(payload, lambda name, _: seen.append(name), lambda _: None)
    assert seen == []


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"<a>",
        b"<a></b>",
        b"\xff\xfe<a/>",
        b"<a>&#0;</a>",
        b'<?xml version="1.0" encoding="no-such-codec"?><a/>',
        b"<a/><b/>",
        b"<x:a/>",
        b"<a>&undefined;</a>",
        "<a>\ud800</a>",
    ],
    ids=[
        "empty",
        "open",
        "mismatch",
        "bom",
        "nul-ref",
        "codec",
        "two-roots",
        "unbound-prefix",
        "undefined-entity",
        "surrogate",
    ],
)
def test_malformed_documents_are_refused(payload: bytes | str) -> None:
    with pytest.raises(UpnpResponseError, match="refused XML"):
        _events(payload)


def test_size_cap_counts_bytes() -> None:
    assert _events("<a>é</a>", max_bytes=9) == [("start", "a"), ("end", "a")]
    with pytest.raises(UpnpResponseError, match="exceeds 8"):
        _events("<a>é</a>", max_bytes=8)
