"""Hardened XML parsing for everything a speaker or a stranger sends us.

Every payload goes through `parse_xml`: a size cap first, then defusedxml with
DTDs, entities and external references forbidden. Parse failures of any kind
become `UpnpResponseError`, so callers handle exactly one exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, NoReturn, Protocol
from xml.etree.ElementTree import Element, ParseError
from xml.parsers.expat import ExpatError, ParserCreate, XMLParserType

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .exceptions import UpnpResponseError

if TYPE_CHECKING:
    from aiohttp import StreamReader

# Real bodies: a 64-player ZoneGroupState is ~200 kB escaped; 2 MiB leaves room
# while keeping a hostile speaker from filling memory.
MAX_BODY_BYTES: Final = 2 * 1024 * 1024

# Sonos firmware sometimes sends a bare "&" in text (room names, titles).
_STRAY_AMPERSAND: Final = re.compile(
    rb"&(?!(?:[A-Za-z_][A-Za-z0-9._-]*|#[0-9]+|#x[0-9A-Fa-f]+);)"
)


def local_name(tag: str) -> str:
    """Return a tag without its {namespace}."""
    return tag.rpartition("}")[2]


# The references a speaker's escaped XML is made of: when every "&" starts
# one of them there is nothing to repair (counting is much cheaper than a
# regex pass over an escaped ZoneGroupState).
_NAMED_REFERENCES: Final = (b"&lt;", b"&gt;", b"&amp;", b"&quot;", b"&apos;")


def repair_ampersands(raw: bytes) -> bytes:
    """Escape the stray "&" Sonos firmware leaves in text (idempotent)."""
    if b"&" not in raw:  # the usual case; a look is cheaper than a count
        return raw
    ampersands = raw.count(b"&")
    if ampersands == sum(map(raw.count, _NAMED_REFERENCES)):
        return raw
    return _STRAY_AMPERSAND.sub(b"&amp;", raw)


def _capped_bytes(data: bytes | str, max_bytes: int) -> bytes:
    """Return data as bytes; refuse what is too large or cannot be encoded."""
    try:
        raw = data.encode() if isinstance(data, str) else data
    except UnicodeEncodeError as err:  # lone surrogates in a str
        raise UpnpResponseError(f"refused XML: {err}") from err
    if len(raw) > max_bytes:
        raise UpnpResponseError(f"XML of {len(raw)} bytes exceeds {max_bytes}")
    return raw


def parse_xml(data: bytes | str, *, max_bytes: int = MAX_BODY_BYTES) -> Element:
    """Parse untrusted XML, repairing stray ampersands, refusing anything hostile."""
    raw = repair_ampersands(_capped_bytes(data, max_bytes))
    try:
        element: Element = fromstring(
            raw, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    # LookupError: an unknown encoding named in the XML declaration.
    except (ParseError, DefusedXmlException, ValueError, LookupError) as err:
        raise UpnpResponseError(f"refused XML: {err}") from err
    return element


type StartHandler = Callable[[str, dict[str, str]], object]
type EndHandler = Callable[[str], object]
type TextHandler = Callable[[str], object]


class _ForbiddenMarkupError(Exception):
    """A DTD, an entity declaration or an external reference."""


def _refuse_declaration(*_args: object) -> NoReturn:
    raise _ForbiddenMarkupError("DTDs and entity declarations are forbidden")


def stream_xml(
    data: bytes | str,
    start: StartHandler,
    end: EndHandler,
    *,
    text: TextHandler | None = None,
    max_bytes: int = MAX_BODY_BYTES,
    repair: bool = True,
) -> None:
    """Feed untrusted XML to element callbacks, with the refusals of parse_xml.

    No tree is built: start(name, attributes) and end(name) see each element
    as expat reads it, names as ElementTree would give them without the
    leading "{" ("uri}local" or "local"). The callbacks may already have seen
    elements when a later error is raised, so callers keep what they collect
    until this returns. text(data), when given, sees character data (with
    references resolved) in pieces: an element's text may come in several.

    With repair=False stray ampersands are not repaired but refused: a caller
    that can start over tries that first (a document that parses has nothing
    to repair), and saves the look for them.
    """
    raw = _capped_bytes(data, max_bytes)
    if repair:
        raw = repair_ampersands(raw)
    run_parser(secure_parser(start, end, text), raw)


def secure_parser(
    start: StartHandler, end: EndHandler, text: TextHandler | None = None
) -> XMLParserType:
    """Return an expat parser for untrusted XML: no DTD, no entity declaration.

    For callers that need more of expat than stream_xml gives, such as the
    byte offset of an element: run it with run_parser on bytes whose size
    the caller capped and that went through repair_ampersands.
    """
    # The namespace separator ElementTree uses: prefixes must be bound. Names
    # are not interned: for one pass that costs more than it saves (~7%).
    parser = ParserCreate(None, "}", intern=None)
    # Refused as they start, so nothing they declare is ever expanded.
    parser.StartDoctypeDeclHandler = _refuse_declaration
    parser.EntityDeclHandler = _refuse_declaration
    parser.UnparsedEntityDeclHandler = _refuse_declaration
    parser.ExternalEntityRefHandler = _refuse_declaration
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    if text is not None:
        # Adjacent pieces (text around each reference) arrive joined.
        parser.buffer_text = True
        parser.CharacterDataHandler = text
    return parser


def run_parser(parser: XMLParserType, raw: bytes) -> None:
    """Parse a whole document; any refusal becomes UpnpResponseError."""
    try:
        parser.Parse(raw, True)  # noqa: FBT003 - isfinal is positional-only
    # LookupError: an unknown encoding named in the XML declaration.
    except (ExpatError, _ForbiddenMarkupError, LookupError) as err:
        raise UpnpResponseError(f"refused XML: {err}") from err


def find_child(parent: Element, name: str) -> Element | None:
    """Return the first direct child called name, whatever its namespace."""
    for child in parent:
        if local_name(child.tag) == name:
            return child
    return None


def child_text(parent: Element, name: str, default: str = "") -> str:
    """Return the text of the first direct child called name, or default."""
    child = find_child(parent, name)
    if child is None:
        return default
    return child.text or ""


class BodySource(Protocol):
    """What carries an HTTP body: aiohttp's ClientResponse and web.Request."""

    @property
    def content(self) -> StreamReader:
        """The body stream."""

    @property
    def content_length(self) -> int | None:
        """The declared Content-Length, if any."""


async def read_capped(source: BodySource, max_bytes: int = MAX_BODY_BYTES) -> bytes:
    """Read a body of at most max_bytes; refuse a longer one without buffering it."""
    declared = source.content_length
    if declared is not None and declared > max_bytes:
        raise UpnpResponseError(f"body of {declared} bytes exceeds {max_bytes}")
    chunks: list[bytes] = []
    size = 0
    while chunk := await source.content.read(65536):
        size += len(chunk)
        if size > max_bytes:
            raise UpnpResponseError(f"body exceeds {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
