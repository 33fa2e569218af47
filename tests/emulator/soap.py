"""SOAP control: parse and validate a request like a speaker, then dispatch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from aiohttp import web

from custom_components.sonos_upnp.upnp.catalog import Action, Service

from .actions import HANDLERS, UpnpFaultError
from .values import (
    InvalidArgumentError,
    Value,
    default_value,
    format_value,
    parse_value,
)
from .xml_tools import (
    MAX_REQUEST_BYTES,
    MalformedRequestError,
    local_name,
    parse_request,
    soap_fault,
    soap_response,
)

if TYPE_CHECKING:
    from .player import Player

INVALID_ACTION: Final = 401
INVALID_ARGS: Final = 402


def fault_response(code: int) -> web.Response:
    """Return a UPnP fault the way Sonos sends it (HTTP 500, code only)."""
    return web.Response(
        status=500, body=soap_fault(code), content_type="text/xml", charset="utf-8"
    )


def _parse_arguments(action: Action, body: bytes) -> dict[str, Value]:
    """Return the typed inputs, or raise UpnpFaultError(401/402)."""
    try:
        envelope = parse_request(body)
    except MalformedRequestError:
        raise UpnpFaultError(INVALID_ACTION) from None
    soap_body = next((c for c in envelope if local_name(c.tag) == "Body"), None)
    call = soap_body[0] if soap_body is not None and len(soap_body) else None
    if call is None or local_name(call.tag) != action.name:
        raise UpnpFaultError(INVALID_ACTION)
    expected = {argument.name for argument in action.inputs}
    given: dict[str, str] = {}
    for child in call:
        name = local_name(child.tag)
        if name not in expected:
            # Real players ignore arguments their action does not declare
            # (SoCo sends Channel to GetPositionInfo, GetBass and GetTreble).
            continue
        if name in given or len(child):
            raise UpnpFaultError(INVALID_ARGS)
        given[name] = child.text or ""
    if set(given) != expected:
        raise UpnpFaultError(INVALID_ARGS)
    try:
        return {arg.name: parse_value(arg, given[arg.name]) for arg in action.inputs}
    except InvalidArgumentError:
        raise UpnpFaultError(INVALID_ARGS) from None


async def _read_capped(request: web.Request) -> bytes | None:
    """Read the whole body, or None when it exceeds MAX_REQUEST_BYTES."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def handle_control(
    request: web.Request, player: Player, service: Service
) -> web.Response:
    """Answer one SOAP action on a player."""
    header = request.headers.get("SOAPACTION", "").strip().strip('"')
    service_type, _, action_name = header.partition("#")
    if service_type != service.service_type or action_name not in service.action_names:
        return fault_response(INVALID_ACTION)
    action = service.action(action_name)
    body = await _read_capped(request)
    if body is None:
        return web.Response(status=413)
    try:
        arguments = _parse_arguments(action, body)
        handler = HANDLERS.get((service.name, action.name))
        produced = handler(player, arguments) if handler else None
    except UpnpFaultError as fault:
        return fault_response(fault.code)
    produced = produced or {}
    outputs = [
        (
            arg.name,
            format_value(arg.data_type, produced.get(arg.name, default_value(arg))),
        )
        for arg in action.outputs
    ]
    return web.Response(
        body=soap_response(service.service_type, action.name, outputs),
        content_type="text/xml",
        charset="utf-8",
    )
