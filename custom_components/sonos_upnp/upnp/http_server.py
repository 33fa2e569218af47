"""A small, strict HTTP/1.1 server for the NOTIFYs speakers send us.

The callback port is open to the whole network, and its file handles are Home
Assistant's. A NOTIFY is one small request, so everything here is bounded:

- connections: at most `max_connections` open at once, of which strangers
  (hosts that are not a speaker we subscribed to) hold `max_stranger_connections`
  at most, and one host `max_connections_per_sender`. A newcomer beyond a cap
  closes the oldest stranger's connection, or an idle one (a connection that
  has not sent a whole request line); a speaker's request in flight is never
  cut for a stranger.
- time: a request's head must arrive within `head_timeout` of the connection,
  its body within `body_timeout`, our answer must leave within
  `write_timeout`. A kept-alive connection may wait `keepalive_timeout` for
  its next request line (longer than clients keep idle connections, so that
  they, not we, close them: a request sent as we close would be lost), then
  the rest of that head is due within `head_timeout`.
- bytes: `max_head_bytes` and `max_headers` for the head; the body's cap is
  the caller's (`HttpRequest.read_body`).

We accept connections ourselves: when the process runs out of file handles,
accept() fails with EMFILE. We then close a stranger's connection (or back off
when there is none), turn strangers away for `SHORTAGE_HOLD` seconds and log
once, where asyncio's own server would pause and log every second.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Final

from .error_text import describe_os_error
from .exceptions import UpnpConnectionError

_LOGGER = logging.getLogger(__name__)

ACCEPT_BACKLOG: Final = 512
ACCEPT_RETRY_MIN: Final = 0.05
ACCEPT_RETRY_MAX: Final = 2.0
# After accept() failed for want of handles, strangers' connections are closed
# at once until it has worked this many seconds without failing.
SHORTAGE_HOLD: Final = 10.0
# After an error answer, unread request bytes are read and dropped for a while,
# so that the client sees our answer instead of a connection reset.
LINGER_BYTES: Final = 16 * 1024 * 1024
_READ_CHUNK: Final = 65536
_MAX_CHUNK_SIZE_DIGITS: Final = 8
_MAX_CONTENT_LENGTH_DIGITS: Final = 18
# Headers whose repetition with another value would make the request ambiguous.
_SINGLE_HEADERS: Final = frozenset(
    {"content-length", "transfer-encoding", "sid", "seq", "nt", "nts"}
)
_VERSIONS: Final = frozenset({"HTTP/1.0", "HTTP/1.1"})
_HEX_DIGITS: Final = frozenset(b"0123456789abcdefABCDEF")
# accept() failures that mean "no handle or memory now": wait, do not spin.
_RESOURCE_ERRNOS: Final = frozenset(
    {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
)


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """The caps and timeouts of the server (see the module docstring)."""

    max_connections: int = 256
    max_stranger_connections: int = 32
    max_connections_per_sender: int = 32
    head_timeout: float = 5.0
    body_timeout: float = 10.0
    keepalive_timeout: float = 60.0
    write_timeout: float = 5.0
    linger_timeout: float = 1.0
    max_head_bytes: int = 8 * 1024
    max_headers: int = 32


class HttpError(Exception):
    """A request we answer with an error status and then close."""

    def __init__(self, status: HTTPStatus) -> None:
        """Keep the status to answer with."""
        super().__init__(status)
        self.status = status


@dataclass(slots=True)
class HttpRequest:
    """One request: its head, its sender and a way to read its body."""

    method: str
    target: str
    headers: dict[str, str]  # lower-case names
    remote: str
    keep_alive: bool
    _reader: asyncio.StreamReader = field(repr=False)
    _writer: asyncio.StreamWriter = field(repr=False)
    _limits: ServerLimits = field(repr=False)
    body_read: bool = False

    @property
    def has_body(self) -> bool:
        """Return whether the request declares a body."""
        return "transfer-encoding" in self.headers or (
            self.headers.get("content-length", "0") != "0"
        )

    async def read_body(self, max_bytes: int) -> bytes:
        """Read the body within the body timeout; HttpError(413) beyond max_bytes."""
        if self.headers.get("expect", "").lower() == "100-continue":
            self._writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        async with asyncio.timeout(self._limits.body_timeout):
            if "transfer-encoding" in self.headers:
                body = await self._read_chunked(max_bytes)
            else:
                length = int(self.headers.get("content-length", "0"))
                if length > max_bytes:
                    raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
                body = await self._reader.readexactly(length)
        self.body_read = True
        return body

    async def _read_chunked(self, max_bytes: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            line = await read_line(self._reader)
            digits = line[:-2].partition(b";")[0].strip()
            # int(x, 16) would also take "0x1f", "+1f" and "1_f".
            if not 0 < len(digits) <= _MAX_CHUNK_SIZE_DIGITS or not (
                set(digits) <= _HEX_DIGITS
            ):
                raise HttpError(HTTPStatus.BAD_REQUEST)
            chunk_size = int(digits, 16)
            if not chunk_size:
                break
            size += chunk_size
            if size > max_bytes:
                raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            chunk = await self._reader.readexactly(chunk_size + 2)
            if chunk[-2:] != b"\r\n":
                raise HttpError(HTTPStatus.BAD_REQUEST)
            chunks.append(chunk[:-2])
        for _ in range(self._limits.max_headers + 1):  # trailers, then a blank line
            if await read_line(self._reader) == b"\r\n":
                return b"".join(chunks)
        raise HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)


async def read_line(reader: asyncio.StreamReader) -> bytes:
    """Read a line up to CRLF; HttpError(431) when longer than the reader's limit."""
    try:
        return await reader.readuntil(b"\r\n")
    except asyncio.LimitOverrunError:
        raise HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE) from None


type RequestHandler = Callable[[HttpRequest], Awaitable[HTTPStatus]]


@dataclass(eq=False, slots=True)
class _Connection:
    """One accepted connection."""

    host: str
    # The accepted socket until its transport exists, then the writer.
    sock: socket.socket | None = None
    writer: asyncio.StreamWriter | None = None
    # True until a whole request line arrived: closing it cuts no request.
    idle: bool = True
    closed: bool = False

    def close(self) -> None:
        """Drop the connection at once (no goodbye to a peer we shed)."""
        self.closed = True
        if self.writer is not None:
            self.writer.transport.abort()
        elif self.sock is not None:
            # Shed before its task ran: free the handle now, not when the
            # task gets its turn (during a flood that can be much later).
            self.sock.close()


def _status_line(status: HTTPStatus, *, keep_alive: bool) -> bytes:
    connection = "keep-alive" if keep_alive else "close"
    return (
        f"HTTP/1.1 {status.value} {status.phrase}\r\n"
        f"Content-Length: 0\r\nConnection: {connection}\r\n\r\n"
    ).encode()


def _parse_request_line(line: bytes) -> tuple[str, str, str]:
    parts = line[:-2].decode("latin-1").split(" ")
    if len(parts) != 3 or parts[2] not in _VERSIONS or not parts[0].isalpha():  # noqa: PLR2004
        raise HttpError(HTTPStatus.BAD_REQUEST)
    method, target, version = parts
    return method, target, version


def _add_header(headers: dict[str, str], line: bytes) -> None:
    text = line[:-2].decode("latin-1")
    name, colon, value = text.partition(":")
    # No name, whitespace in it (also obs-fold continuation lines): refused.
    if not colon or not name or name != name.strip() or " " in name or "\t" in name:
        raise HttpError(HTTPStatus.BAD_REQUEST)
    name = name.lower()
    value = value.strip(" \t")
    if name in headers and name in _SINGLE_HEADERS and headers[name] != value:
        raise HttpError(HTTPStatus.BAD_REQUEST)
    headers[name] = value


def _check_framing(headers: dict[str, str], version: str) -> None:
    """Refuse body framing we would have to guess at."""
    encoding = headers.get("transfer-encoding")
    length = headers.get("content-length")
    if encoding is not None and (
        encoding.lower() != "chunked" or length is not None or version != "HTTP/1.1"
    ):
        raise HttpError(HTTPStatus.BAD_REQUEST)
    if length is not None and (
        not length.isdigit()
        or not length.isascii()
        or len(length) > _MAX_CONTENT_LENGTH_DIGITS
    ):
        raise HttpError(HTTPStatus.BAD_REQUEST)


def _keep_alive(headers: dict[str, str], version: str) -> bool:
    tokens = {
        token.strip().lower() for token in headers.get("connection", "").split(",")
    }
    if version == "HTTP/1.1":
        return "close" not in tokens
    return "keep-alive" in tokens


class GuardedHttpServer:
    """Serves requests to a handler, within the limits of `ServerLimits`."""

    def __init__(
        self,
        handler: RequestHandler,
        is_known: Callable[[str], bool],
        normalize: Callable[[str], str],
        limits: ServerLimits | None = None,
    ) -> None:
        """Configure the server; is_known(host) tells speakers from strangers."""
        self._handler = handler
        self._is_known = is_known
        self._normalize = normalize
        self.limits = limits or ServerLimits()
        self._socket: socket.socket | None = None
        self._accept_task: asyncio.Task[None] | None = None
        # Insertion order is age: the first entries are the oldest.
        self._connections: dict[_Connection, asyncio.Task[None]] = {}
        self._last_accept_failure: float | None = None

    @property
    def port(self) -> int | None:
        """Return the bound port, or None when stopped."""
        if self._socket is None:
            return None
        port: int = self._socket.getsockname()[1]
        return port

    @property
    def connection_count(self) -> int:
        """Return how many connections are open."""
        return len(self._connections)

    async def start(self, host: str, port: int) -> None:
        """Bind host:port (an IP literal); UpnpConnectionError if that fails."""
        # An IP literal only: resolving a name would block the event loop.
        try:
            ip = ipaddress.ip_address(host.partition("%")[0])
        except ValueError as err:
            raise UpnpConnectionError(f"cannot listen on {host}:{port}: {err}") from err
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET  # noqa: PLR2004
        address = (host, port, 0, 0) if family == socket.AF_INET6 else (host, port)
        try:
            listening = socket.socket(family, socket.SOCK_STREAM)
        except OSError as err:
            raise UpnpConnectionError(
                f"cannot listen on {host}:{port}: {describe_os_error(err)}"
            ) from err
        try:
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listening.bind(address)
            listening.listen(ACCEPT_BACKLOG)
            listening.settimeout(0)  # non-blocking
        except OSError as err:
            listening.close()
            raise UpnpConnectionError(
                f"cannot listen on {host}:{port}: {describe_os_error(err)}"
            ) from err
        self._socket = listening
        self._accept_task = asyncio.get_running_loop().create_task(
            self._accept_loop(listening), name="sonos_upnp event listener accept"
        )

    async def stop(self) -> None:
        """Stop accepting, close every connection and wait for their tasks."""
        task, self._accept_task = self._accept_task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])
        listening, self._socket = self._socket, None
        if listening is not None:
            listening.close()
        connections, self._connections = self._connections, {}
        for connection, connection_task in connections.items():
            connection.close()
            connection_task.cancel()
        if connections:
            await asyncio.wait(connections.values())

    async def _accept_loop(self, listening: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        retry = ACCEPT_RETRY_MIN
        while True:
            try:
                accepted, address = await loop.sock_accept(listening)
            except ConnectionAbortedError:
                continue  # the peer gave up before we accepted
            except OSError as err:
                if not self._accept_failed(err, loop.time()):
                    await asyncio.sleep(retry)
                    retry = min(retry * 2, ACCEPT_RETRY_MAX)
                continue
            retry = ACCEPT_RETRY_MIN
            host = self._normalize(address[0])
            if self._short_of_handles(loop.time()) and not self._is_known(host):
                accepted.close()  # strangers wait until handles are back
                continue
            self._admit(accepted, host)
            # A full backlog is accepted without a pause otherwise: let the
            # connections' own tasks (and everything else) run in between.
            await asyncio.sleep(0)

    def _accept_failed(self, err: OSError, now: float) -> bool:
        """Log the first failure of a run; return True if a handle was freed."""
        if self._last_accept_failure is None:
            _LOGGER.warning(
                "Event listener cannot accept connections (%s); strangers are"
                " turned away until it can again",
                err,
            )
        else:
            _LOGGER.debug("Event listener accept failed again: %s", err)
        self._last_accept_failure = now
        return err.errno in _RESOURCE_ERRNOS and self._shed(self._oldest(stranger=True))

    def _short_of_handles(self, now: float) -> bool:
        """Return whether accept() failed lately; log once when that is over."""
        if self._last_accept_failure is None:
            return False
        if now - self._last_accept_failure <= SHORTAGE_HOLD:
            return True
        self._last_accept_failure = None
        _LOGGER.info("Event listener accepts connections again")
        return False

    def _oldest(
        self, *, host: str | None = None, stranger: bool = False, idle: bool = False
    ) -> _Connection | None:
        for connection in self._connections:
            if (
                (host is None or connection.host == host)
                and (not stranger or not self._is_known(connection.host))
                and (not idle or connection.idle)
            ):
                return connection
        return None

    def _shed(self, connection: _Connection | None) -> bool:
        """Close a connection to make room; return False if there was none."""
        if connection is None:
            return False
        _LOGGER.debug("Closing a connection from %s to make room", connection.host)
        self._connections.pop(connection, None)
        connection.close()
        return True

    def _make_room(self, host: str) -> bool:
        """Free a place for a new connection from host; False to refuse it."""
        limits = self.limits
        known = self._is_known(host)
        from_host = sum(1 for c in self._connections if c.host == host)
        if from_host >= limits.max_connections_per_sender and not self._shed(
            self._oldest(host=host, idle=known)
        ):
            return False
        if not known:
            strangers = sum(1 for c in self._connections if not self._is_known(c.host))
            if strangers >= limits.max_stranger_connections:
                self._shed(self._oldest(stranger=True))
        if len(self._connections) < limits.max_connections:
            return True
        return self._shed(self._oldest(stranger=True)) or self._shed(
            self._oldest(idle=True)
        )

    def _admit(self, accepted: socket.socket, host: str) -> None:
        if not self._make_room(host):
            _LOGGER.debug("Refusing a connection from %s: no room", host)
            accepted.close()
            return
        connection = _Connection(host, accepted)
        task = asyncio.get_running_loop().create_task(
            self._serve(connection, accepted), name="sonos_upnp event connection"
        )
        self._connections[connection] = task

    async def _serve(self, connection: _Connection, accepted: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        limits = self.limits
        # The first request's head is due head_timeout after the connection.
        line_deadline = loop.time() + limits.head_timeout
        head_deadline: float | None = line_deadline
        writer: asyncio.StreamWriter | None = None
        try:
            if accepted.fileno() == -1:  # shed (and closed) before this task ran
                return
            reader = asyncio.StreamReader(limit=limits.max_head_bytes)
            protocol = asyncio.StreamReaderProtocol(reader)
            transport, _ = await loop.connect_accepted_socket(
                lambda: protocol, accepted
            )
            writer = asyncio.StreamWriter(transport, protocol, reader, loop)
            connection.writer = writer
            connection.sock = None
            if connection.closed:  # shed while the transport was made
                transport.abort()
                return
            while await self._serve_one(
                connection, reader, writer, line_deadline, head_deadline
            ):
                line_deadline = loop.time() + limits.keepalive_timeout
                head_deadline = None
        except TimeoutError, ConnectionError, asyncio.IncompleteReadError, OSError:
            pass  # a slow, vanished or shed peer: just close
        except Exception:
            _LOGGER.exception(
                "Event listener failed on a request from %s", connection.host
            )
        finally:
            if self._connections.get(connection) is asyncio.current_task():
                del self._connections[connection]
            if writer is None:
                accepted.close()
            elif writer.transport.get_write_buffer_size():
                writer.transport.abort()
            else:
                writer.close()

    async def _serve_one(
        self,
        connection: _Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        line_deadline: float,
        head_deadline: float | None,
    ) -> bool:
        """Answer one request; return whether the connection stays open.

        The request line is due by line_deadline, the rest of the head by
        head_deadline (None: head_timeout after the request line).
        """
        request: HttpRequest | None = None
        try:
            async with asyncio.timeout_at(line_deadline):
                connection.idle = True
                line = await read_line(reader)
                if line == b"\r\n":  # one stray blank line may precede a request
                    line = await read_line(reader)
                connection.idle = False
            if head_deadline is None:
                head_deadline = asyncio.get_running_loop().time() + (
                    self.limits.head_timeout
                )
            async with asyncio.timeout_at(head_deadline):
                request = await self._read_head(line, reader, writer, connection.host)
            status = await self._handler(request)
        except HttpError as err:
            status = err.status
        # Unread body bytes would be taken for the next request: close instead.
        keep_alive = (
            request is not None
            and request.keep_alive
            and (request.body_read or not request.has_body)
        )
        async with asyncio.timeout(self.limits.write_timeout):
            writer.write(_status_line(status, keep_alive=keep_alive))
            await writer.drain()
        if not keep_alive:
            await self._linger(reader)
        return keep_alive

    async def _read_head(
        self,
        line: bytes,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        remote: str,
    ) -> HttpRequest:
        method, target, version = _parse_request_line(line)
        headers: dict[str, str] = {}
        size = len(line)
        lines = 0
        while (line := await read_line(reader)) != b"\r\n":
            size += len(line)
            lines += 1
            if lines > self.limits.max_headers or size > self.limits.max_head_bytes:
                raise HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
            _add_header(headers, line)
        _check_framing(headers, version)
        return HttpRequest(
            method,
            target,
            headers,
            remote,
            _keep_alive(headers, version),
            reader,
            writer,
            self.limits,
        )

    async def _linger(self, reader: asyncio.StreamReader) -> None:
        """Drop what the peer still sends for a moment, then let it go."""
        with suppress(TimeoutError, ConnectionError, OSError):
            async with asyncio.timeout(self.limits.linger_timeout):
                dropped = 0
                while dropped < LINGER_BYTES and (
                    chunk := await reader.read(_READ_CHUNK)
                ):
                    dropped += len(chunk)
