"""The async UPnP control client: SOAP calls and description fetches over HTTP.

The caller owns the `aiohttp.ClientSession`; the client only borrows it. Every
request runs under `asyncio.timeout`, every body is read with a size cap, and
every failure is one of the exceptions in `exceptions.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Final

import aiohttp

from .catalog import get_service
from .description import DESCRIPTION_PATH, DeviceDescription, parse_device_description
from .error_text import describe_client_error
from .exceptions import (
    NotASonosDeviceError,
    UpnpArgumentError,
    UpnpConnectionError,
    UpnpHttpStatusError,
)
from .netutil import base_url
from .safe_xml import MAX_BODY_BYTES, read_capped
from .scpd import ScpdAction, parse_scpd
from .soap import build_request, parse_fault, parse_response

__all__ = ["DEFAULT_PORT", "DEFAULT_TIMEOUT", "SonosUpnpClient", "base_url"]

DEFAULT_PORT: Final = 1400
DEFAULT_TIMEOUT: Final = 10.0
_HTTP_OK: Final = 200
_HTTP_FAULT: Final = 500
# 5xx is trouble of a server that may still be a speaker; other statuses at the
# description path come from something else.
_HTTP_SERVER_ERROR: Final = 500
# A SOAP fault arrives as HTTP 500 with a body worth reading.
_CONTROL_STATUSES: Final = frozenset({_HTTP_OK, _HTTP_FAULT})
_FETCH_STATUSES: Final = frozenset({_HTTP_OK})


class SonosUpnpClient:
    """Talk UPnP/SOAP to Sonos speakers through an injected aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        """Borrow session; bound every request by timeout and max_body_bytes."""
        self._session = session
        self._timeout = timeout
        self._max_body_bytes = max_body_bytes

    async def call(
        self,
        host: str,
        port: int,
        service: str,
        action: str,
        args: Mapping[str, object] | None = None,
    ) -> dict[str, Any]:
        """Invoke service.action on the speaker and return its typed outputs.

        Raises UpnpArgumentError before sending anything the catalog refuses,
        UpnpError (or a subclass) for a SOAP fault, UpnpConnectionError for
        transport problems and UpnpResponseError for a bad answer.
        """
        described = get_service(service)
        described_action = described.action(action)
        headers, body = build_request(described, described_action, args or {})
        status, answer = await self._exchange(
            "POST",
            host,
            port,
            described.control_url,
            f"{service}.{action} on {host}:{port}",
            accept=_CONTROL_STATUSES,
            data=body,
            headers=headers,
        )
        if status == _HTTP_FAULT:
            raise parse_fault(
                described, described_action, answer, max_bytes=self._max_body_bytes
            )
        return parse_response(
            described, described_action, answer, max_bytes=self._max_body_bytes
        )

    async def fetch(self, host: str, port: int, path: str) -> bytes:
        """GET path from the speaker (descriptions, SCPDs) and return the body."""
        if not path.startswith("/") or path.startswith("//"):
            raise UpnpArgumentError(f"invalid path {path!r}; it must start with /")
        _, body = await self._exchange(
            "GET",
            host,
            port,
            path,
            f"GET {path} on {host}:{port}",
            accept=_FETCH_STATUSES,
        )
        return body

    async def _exchange(
        self,
        method: str,
        host: str,
        port: int,
        path: str,
        what: str,
        *,
        accept: frozenset[int],
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """Send one request; return its status (one of accept) and capped body."""
        url = base_url(host, port) + path
        try:
            async with (
                asyncio.timeout(self._timeout),
                self._session.request(
                    method, url, data=data, headers=headers, allow_redirects=False
                ) as response,
            ):
                if response.status not in accept:
                    raise UpnpHttpStatusError(
                        f"{what} answered HTTP {response.status}", response.status
                    )
                return response.status, await read_capped(
                    response, self._max_body_bytes
                )
        except TimeoutError as err:
            raise UpnpConnectionError(
                f"{what} timed out after {self._timeout:g} s"
            ) from err
        except aiohttp.ClientConnectorError as err:
            raise UpnpConnectionError(
                f"cannot connect to {host}:{port}: {describe_client_error(err)}"
            ) from err
        except aiohttp.ClientError as err:
            raise UpnpConnectionError(
                f"{what} failed: {describe_client_error(err)}"
            ) from err

    async def device_description(self, host: str, port: int) -> DeviceDescription:
        """Fetch and parse the speaker's device description.

        Raises NotASonosDeviceError when an HTTP server answers but not with
        the description of a Sonos ZonePlayer (a 4xx status, HTML, another
        device), UpnpConnectionError when nothing usable answers at all.
        """
        try:
            data = await self.fetch(host, port, DESCRIPTION_PATH)
        except UpnpHttpStatusError as err:
            if err.status >= _HTTP_SERVER_ERROR:
                raise
            raise NotASonosDeviceError(
                f"{host}:{port} answered HTTP {err.status} instead of a Sonos "
                "device description"
            ) from err
        return parse_device_description(data, max_bytes=self._max_body_bytes)

    async def household_id(self, host: str, port: int) -> str:
        """Return the speaker's household ID (Sonos_...)."""
        outputs = await self.call(host, port, "DeviceProperties", "GetHouseholdID")
        return str(outputs["CurrentHouseholdID"])

    async def scpd_actions(
        self, host: str, port: int, service: str
    ) -> tuple[ScpdAction, ...]:
        """Return the actions the speaker's own SCPD of service lists."""
        data = await self.fetch(host, port, get_service(service).scpd_url)
        return parse_scpd(data, max_bytes=self._max_body_bytes)
