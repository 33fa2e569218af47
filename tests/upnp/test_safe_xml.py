"""Hardened XML parsing: hostile and malformed payloads become UpnpResponseError."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.sonos_upnp.upnp.exceptions import UpnpResponseError
from custom_components.sonos_upnp.upnp.safe_xml import (
    child_text,
    find_child,
    local_name,
    parse_xml,
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol4;</lolz>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<r>&xxe;</r>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE r SYSTEM "http://127.0.0.1:1/evil.dtd">
<r/>"""
PLAIN_DTD = b"<!DOCTYPE r><r/>"
PARAMETER_ENTITY = (
    b"""<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:1/p">%p;]><r/>"""
)


@pytest.mark.parametrize(
    "payload",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PLAIN_DTD, PARAMETER_ENTITY],
    ids=["billion-laughs", "external-entity", "external-dtd", "dtd", "parameter"],
)
def test_hostile_documents_are_refused(payload: bytes) -> None:
    with pytest.raises(UpnpResponseError, match="refused XML"):
        parse_xml(payload)


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
        "<a>\ud800</a>",
    ],
    ids=["empty", "open", "mismatch", "bom", "nul-ref", "codec", "two-roots", "surr"],
)
def test_malformed_documents_are_refused(payload: bytes | str) -> None:
    with pytest.raises(UpnpResponseError, match="refused XML"):
        parse_xml(payload)


def test_size_cap_counts_bytes() -> None:
    document = "<a>é</a>"
    assert parse_xml(document, max_bytes=9).text == "é"
    with pytest.raises(UpnpResponseError, match="exceeds 8"):
        parse_xml(document, max_bytes=8)


def test_stray_ampersands_are_repaired_and_entities_kept() -> None:
    root = parse_xml(b"<r><n>Tom & Jerry</n><m>a &amp; b &lt; &#233; &#xE9; &</m></r>")
    assert child_text(root, "n") == "Tom & Jerry"
    assert child_text(root, "m") == "a & b < \xe9 \xe9 &"


def test_helpers_ignore_namespaces() -> None:
    root = parse_xml(b'<r xmlns="urn:x"><a>1</a><b/><a>2</a></r>')
    assert local_name(root.tag) == "r"
    assert local_name("plain") == "plain"
    a = find_child(root, "a")
    assert a is not None
    assert a.text == "1"
    assert child_text(root, "b") == ""
    assert child_text(root, "c", default="none") == "none"
    assert find_child(root, "c") is None


@given(st.binary(max_size=4000))
def test_arbitrary_bytes_parse_or_raise_response_error(data: bytes) -> None:
    try:
        root = parse_xml(data)
    except UpnpResponseError:
        return
    assert isinstance(root.tag, str)


# Surrogates included: a str from a caller may hold lone ones.
@given(st.text(alphabet=st.characters(categories=("Cs", "L", "N", "P", "S", "Z"))))
def test_arbitrary_text_parse_or_raise_response_error(text: str) -> None:
    try:
        root = parse_xml(text)
    except UpnpResponseError:
        return
    assert isinstance(root.tag, str)


MARKUP = st.sampled_from(
    [
        "<a>",
        "</a>",
        "<b x='1'>",
        "</b>",
        "<!DOCTYPE a>",
        "<!ENTITY e 'x'>",
        "&e;",
        "&",
        "<![CDATA[",
        "]]>",
        "<?xml version='1.0'?>",
        "<!--",
        "-->",
        "text",
        "\x00",
    ]
)


@given(st.lists(MARKUP, max_size=25).map("".join))
def test_near_xml_parse_or_raise_response_error(text: str) -> None:
    try:
        root = parse_xml(text)
    except UpnpResponseError:
        return
    assert isinstance(root.tag, str)
