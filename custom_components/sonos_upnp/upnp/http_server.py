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
  the one `HeadCheck` returns for the request.

Each connection is an `asyncio.Protocol` that parses in `data_received`: no
task and no stream reader per connection or request. Once a request's head is
in hand, the head check runs (it may refuse the request before any body is
read); once its body is, the handler runs, in the same callback, and the
answer is written before the bytes that follow (pipelined requests) are
parsed. The buffer holds at most what the current state allows: a head's
cap while a head is read, the body's cap and its framing while a body is;
after an error answer, bytes are counted and dropped as they come. A
connection has one timer, moved as its deadline changes. While the transport
cannot take our answer (`pause_writing`), the connection neither reads nor
parses, and the answer must leave within `write_timeout`.

We accept connections ourselves: when the process runs out of file handles,
accept() fails with EMFILE. We then close a stranger's connection (or back off
when there is none), turn strangers away for `SHORTAGE_HOLD` seconds and log
once, where asyncio's own server would pause and log every second.
"""

from __future__ import annotations

import asyncio
import enum
import errno
import ipaddress
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final, cast

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
_MAX_CHUNK_SIZE_DIGITS: Final = 8
_MAX_CONTENT_LENGTH_DIGITS: Final = 18
# Headers whose repetition with another value would make the request ambiguous.
_SINGLE_HEADERS: Final = frozenset(
    {"content-length", "transfer-encoding", "sid", "seq", "nt", "nts"}
)
_VERSIONS: Final = frozenset({"HTTP/1.0", "HTTP/1.1"})
_HEX_DIGITS: Final = frozenset(b"0123456789abcdefABCDEF")
_CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
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
    """One request's head and its sender."""

    method: str
    target: str
    headers: dict[str, str]  # lower-case names
    remote: str
    keep_alive: bool

    @property
    def has_body(self) -> bool:
        """Return whether the request declares a body."""
        return "transfer-encoding" in self.headers or (
            self.headers.get("content-length", "0") != "0"
        )


# Called once a request's head is complete: returns the most body bytes the
# request may bring, or raises HttpError to refuse it before its body is read.
type HeadCheck = Callable[[HttpRequest], int]
# Called once the body is complete, in the callback that completed it.
type RequestHandler = Callable[[HttpRequest, bytes], HTTPStatus]


def _status_line(status: HTTPStatus, *, keep_alive: bool) -> bytes:
    connection = "keep-alive" if keep_alive else "close"
    return (
        f"HTTP/1.1 {status.value} {status.phrase}\r\n"
        f"Content-Length: 0\r\nConnection: {connection}\r\n\r\n"
    ).encode()


def _parse_request_line(line: bytes) -> tuple[str, str, str]:
    parts = line.decode("latin-1").split(" ")
    if len(parts) != 3 or parts[2] not in _VERSIONS or not parts[0].isalpha():  # noqa: PLR2004
        raise HttpError(HTTPStatus.BAD_REQUEST)
    method, target, version = parts
    return method, target, version


def _add_header(headers: dict[str, str], text: str) -> None:
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


def _chunk_size(line: bytes | bytearray) -> int:
    """Return the size a chunk-size line declares (extensions ignored)."""
    digits = line.partition(b";")[0].strip()
    # int(x, 16) would also take "0x1f", "+1f" and "1_f".
    if not 0 < len(digits) <= _MAX_CHUNK_SIZE_DIGITS or not (
        set(digits) <= _HEX_DIGITS
    ):
        raise HttpError(HTTPStatus.BAD_REQUEST)
    return int(digits, 16)


class GuardedHttpServer:
    """Serves requests to a handler, within the limits of `ServerLimits`."""

    def __init__(
        self,
        check_head: HeadCheck,
        handler: RequestHandler,
        is_known: Callable[[str], bool],
        normalize: Callable[[str], str],
        limits: ServerLimits | None = None,
    ) -> None:
        """Configure the server; is_known(host) tells speakers from strangers."""
        self.check_head = check_head
        self.handler = handler
        self._is_known = is_known
        self._normalize = normalize
        self.limits = limits or ServerLimits()
        self._socket: socket.socket | None = None
        self._accept_task: asyncio.Task[None] | None = None
        # Insertion order is age: the first entries are the oldest.
        self._connections: dict[_Connection, None] = {}
        # Connections whose transport is not closed yet (shed ones too).
        self._open: set[_Connection] = set()
        self._all_closed: asyncio.Future[None] | None = None
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
        """Stop accepting, close every connection and wait until they are closed."""
        task, self._accept_task = self._accept_task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])
        listening, self._socket = self._socket, None
        if listening is not None:
            listening.close()
        connections, self._connections = self._connections, {}
        for connection in connections:
            connection.close()
        if self._open:
            self._all_closed = asyncio.get_running_loop().create_future()
            await self._all_closed
            self._all_closed = None

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
            connection = self._admit(accepted, host)
            # Making the transport takes a turn of the loop: a full backlog
            # is not accepted without a pause, everything else runs in between.
            if connection is None:
                await asyncio.sleep(0)
                continue
            await self._connect(connection, accepted)

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

    def _admit(self, accepted: socket.socket, host: str) -> _Connection | None:
        if not self._make_room(host):
            _LOGGER.debug("Refusing a connection from %s: no room", host)
            accepted.close()
            return None
        connection = _Connection(self, host)
        self._connections[connection] = None
        return connection

    async def _connect(self, connection: _Connection, accepted: socket.socket) -> None:
        """Give an admitted connection its transport."""
        try:
            await asyncio.get_running_loop().connect_accepted_socket(
                lambda: connection, accepted
            )
        except OSError:
            self._connections.pop(connection, None)
            accepted.close()

    def track(self, connection: _Connection) -> None:
        """Count a connection whose transport is open (see stop)."""
        self._open.add(connection)

    def forget(self, connection: _Connection) -> None:
        """Forget a connection whose transport is closed."""
        self._connections.pop(connection, None)
        self._open.discard(connection)
        closed = self._all_closed
        if not self._open and closed is not None and not closed.done():
            closed.set_result(None)


class _State(enum.Enum):
    """Where a connection is in its current request."""

    LINE = enum.auto()  # waiting for a request line
    HEAD = enum.auto()  # reading header lines
    BODY = enum.auto()  # reading a Content-Length body
    CHUNK_SIZE = enum.auto()  # reading a chunk-size line
    CHUNK_DATA = enum.auto()  # reading a chunk and its CRLF
    TRAILERS = enum.auto()  # reading trailer lines up to the blank line
    ANSWER = enum.auto()  # our answer waits for the transport to take it
    LINGER = enum.auto()  # answered and closing: dropping what still comes
    CLOSED = enum.auto()


class _Connection(asyncio.Protocol):
    """One accepted connection, parsed as its bytes arrive."""

    def __init__(self, server: GuardedHttpServer, host: str) -> None:
        """Start waiting for the first request, due head_timeout from now."""
        self.host = host
        # True until a whole request line arrived: closing it cuts no request.
        self.idle = True
        self.closed = False
        self._server = server
        self._limits = limits = server.limits
        self._loop = loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._pos = 0  # where the unparsed bytes of the buffer start
        self._state = _State.LINE
        self._stray_line_seen = False
        # The first request's head is due head_timeout after the connection.
        self._deadline = loop.time() + limits.head_timeout
        # When the rest of the head is due; None: head_timeout after the line.
        self._head_deadline: float | None = self._deadline
        self._paused_deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._write_paused = False
        # While an answer waits for the transport: whether to keep alive after.
        self._after_write: bool | None = None
        # The request being read.
        self._method = ""
        self._target = ""
        self._version = ""
        self._headers: dict[str, str] = {}
        self._head_size = 0
        self._header_lines = 0
        self._request: HttpRequest | None = None
        self._body_cap = 0
        self._remaining = 0
        self._body_size = 0
        self._chunks: list[bytes] = []
        self._trailers = 0
        self._lingered = 0

    # --- asyncio.Protocol -------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport; close it at once when shed before it existed."""
        self._transport = cast("asyncio.Transport", transport)
        self._server.track(self)
        if self.closed:
            self._transport.abort()
            return
        self._arm(self._deadline)

    def connection_lost(self, exc: Exception | None) -> None:  # noqa: ARG002
        """Forget the connection and everything it held."""
        self.closed = True
        self._state = _State.CLOSED
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._buffer = bytearray()
        self._pos = 0
        self._chunks = []
        self._request = None
        self._server.forget(self)

    def data_received(self, data: bytes) -> None:
        """Parse what arrived; answer each request that is complete."""
        state = self._state
        if state is _State.LINGER:
            self._drop(len(data))
        elif state is not _State.CLOSED:
            self._buffer += data
            if not self._write_paused:
                self._run()

    def eof_received(self) -> bool:
        """Close: the peer is done sending, a request cut short goes unanswered."""
        self._shut()
        return True

    def pause_writing(self) -> None:
        """Stop reading and parsing until our answer has left, within its time."""
        self._write_paused = True
        if self._transport is not None:
            self._transport.pause_reading()
        self._paused_deadline = self._deadline
        self._set_deadline(self._loop.time() + self._limits.write_timeout)

    def resume_writing(self) -> None:
        """Go on where pause_writing stopped."""
        self._write_paused = False
        if self._state is _State.CLOSED or self._transport is None:
            return
        self._transport.resume_reading()
        keep_alive, self._after_write = self._after_write, None
        if keep_alive is not None:
            self._answered(keep_alive=keep_alive)
        else:
            # Paused by the interim 100 Continue: back to the body's deadline.
            self._set_deadline(self._paused_deadline)
        self._run()

    # --- closing ----------------------------------------------------------

    def close(self) -> None:
        """Drop the connection at once (no goodbye to a peer we shed)."""
        self.closed = True
        self._state = _State.CLOSED
        if self._transport is not None:
            self._transport.abort()

    def _shut(self) -> None:
        """Close once what we wrote has left; at once when it cannot leave."""
        self._state = _State.CLOSED
        transport = self._transport
        if transport is None:
            return
        if transport.get_write_buffer_size():
            transport.abort()
        else:
            transport.close()

    def _drop(self, count: int) -> None:
        """Linger: count bytes we drop unread, and close when too many came."""
        self._lingered += count
        if self._lingered >= LINGER_BYTES:
            self._shut()

    # --- the deadline -----------------------------------------------------

    def _set_deadline(self, when: float) -> None:
        """Make `when` the deadline; the timer moves only when it must be earlier.

        A timer due before the deadline fires, sees that and re-arms.
        """
        self._deadline = when
        timer = self._timer
        if timer is not None:
            if timer.when() <= when:
                return
            timer.cancel()
        self._arm(when)

    def _arm(self, when: float) -> None:
        self._timer = self._loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._state is _State.CLOSED:
            return
        if self._loop.time() < self._deadline:
            self._arm(self._deadline)
            return
        # A slow or vanished peer, or one that does not read our answer.
        self._shut()

    # --- parsing ------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._parse()
        except Exception:
            _LOGGER.exception("Event listener failed on a request from %s", self.host)
            self._shut()

    def _parse(self) -> None:
        """Take every complete piece the buffer holds, as far as the state allows."""
        try:
            while not self._write_paused and self._take():
                pass
        except HttpError as err:
            # Unread request bytes would be taken for the next request: close.
            self._answer(err.status, keep_alive=False)
            self._drop(len(self._buffer) - self._pos)
            self._buffer.clear()
            self._pos = 0
            return
        buffer = self._buffer
        if self._pos == len(buffer):
            buffer.clear()
        elif self._pos:
            del buffer[: self._pos]
        self._pos = 0
        if not self._write_paused:
            self._check_held()

    def _take(self) -> bool:  # noqa: PLR0911 - one way out per state
        """Take the next piece in the current state; False when bytes are missing."""
        state = self._state
        if state is _State.LINE:
            return self._take_request_line()
        if state is _State.HEAD:
            return self._take_head()
        if state is _State.BODY:
            return self._take_body()
        if state is _State.CHUNK_SIZE:
            return self._take_chunk_size()
        if state is _State.CHUNK_DATA:
            return self._take_chunk_data()
        if state is _State.TRAILERS:
            return self._take_trailer()
        if state is _State.LINGER:  # what followed an error answer is dropped
            self._drop(len(self._buffer) - self._pos)
            self._pos = len(self._buffer)
        return False

    def _check_held(self) -> None:
        """Refuse a peer that sends more than the current state may hold."""
        held = len(self._buffer)
        state = self._state
        if state is _State.HEAD:
            # A head's lines (and their CRLFs) fit max_head_bytes, its end 2 more.
            too_much = self._head_size + held > self._limits.max_head_bytes + 2
        elif state in _LINE_STATES:
            too_much = held > self._limits.max_head_bytes
        else:
            # BODY and CHUNK_DATA take what they wait for as soon as it is in,
            # so they hold less than the body's cap.
            too_much = False
        if too_much:
            self._answer(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, keep_alive=False)
            self._drop(held)
            self._buffer.clear()

    def _take_line(self) -> tuple[int, int] | None:
        """Take the line at the position: where it starts and its CRLF is.

        None while its CRLF has not arrived.
        """
        pos = self._pos
        end = self._buffer.find(b"\r\n", pos)
        if end - pos > self._limits.max_head_bytes:
            raise HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
        if end < 0:
            return None
        self._pos = end + 2
        return pos, end

    def _take_request_line(self) -> bool:
        if (line := self._take_line()) is None:
            return False
        pos, end = line
        if end == pos and not self._stray_line_seen:
            # One stray blank line may precede a request.
            self._stray_line_seen = True
            return True
        self.idle = False
        due = self._head_deadline
        if due is None:
            due = self._loop.time() + self._limits.head_timeout
        self._set_deadline(due)
        self._method, self._target, self._version = _parse_request_line(
            bytes(self._buffer[pos:end])
        )
        self._headers = {}
        self._head_size = end + 2 - pos
        self._header_lines = 0
        self._state = _State.HEAD
        return True

    def _take_head(self) -> bool:
        """Take the complete header lines; at the blank line, the head."""
        buffer = self._buffer
        pos = self._pos
        if buffer.startswith(b"\r\n", pos):
            self._pos = pos + 2
            self._head_complete()
            return True
        end = buffer.find(b"\r\n\r\n", pos)
        if end >= 0:
            self._take_header_lines(pos, end)
            self._pos = end + 4
            self._head_complete()
            return True
        last = buffer.rfind(b"\r\n", pos)
        if last >= 0:
            self._take_header_lines(pos, last)
            self._pos = last + 2
        return False

    def _take_header_lines(self, pos: int, end: int) -> None:
        limits = self._limits
        headers = self._headers
        size = self._head_size
        lines = self._header_lines
        for text in self._buffer[pos:end].decode("latin-1").split("\r\n"):
            size += len(text) + 2
            lines += 1
            if lines > limits.max_headers or size > limits.max_head_bytes:
                raise HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
            _add_header(headers, text)
        self._head_size = size
        self._header_lines = lines

    def _head_complete(self) -> None:
        headers = self._headers
        _check_framing(headers, self._version)
        request = HttpRequest(
            self._method,
            self._target,
            headers,
            self.host,
            _keep_alive(headers, self._version),
        )
        self._request = request
        try:
            self._body_cap = self._server.check_head(request)
        except HttpError as err:
            # Refused before its body: without one, the connection goes on.
            if request.keep_alive and not request.has_body:
                self._answer(err.status, keep_alive=True)
                return
            raise
        if headers.get("expect", "").lower() == "100-continue":
            self._write(_CONTINUE)
        body_deadline = self._loop.time() + self._limits.body_timeout
        if "transfer-encoding" in headers:
            self._chunks = []
            self._body_size = 0
            self._trailers = 0
            self._state = _State.CHUNK_SIZE
            self._set_deadline(body_deadline)
            return
        length = int(headers.get("content-length", "0"))
        if length > self._body_cap:
            raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        if not length:
            self._complete(b"")
            return
        self._remaining = length
        self._state = _State.BODY
        self._set_deadline(body_deadline)

    def _take_body(self) -> bool:
        pos = self._pos
        end = pos + self._remaining
        if len(self._buffer) < end:
            return False
        self._pos = end
        self._complete(bytes(self._buffer[pos:end]))
        return True

    def _take_chunk_size(self) -> bool:
        if (line := self._take_line()) is None:
            return False
        pos, end = line
        size = _chunk_size(self._buffer[pos:end])
        if not size:
            self._state = _State.TRAILERS
            return True
        self._body_size += size
        if self._body_size > self._body_cap:
            raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        self._remaining = size
        self._state = _State.CHUNK_DATA
        return True

    def _take_chunk_data(self) -> bool:
        buffer = self._buffer
        pos = self._pos
        end = pos + self._remaining
        if len(buffer) < end + 2:
            return False
        if buffer[end : end + 2] != b"\r\n":
            raise HttpError(HTTPStatus.BAD_REQUEST)
        self._chunks.append(bytes(buffer[pos:end]))
        self._pos = end + 2
        self._state = _State.CHUNK_SIZE
        return True

    def _take_trailer(self) -> bool:
        if (line := self._take_line()) is None:
            return False
        pos, end = line
        if end == pos:  # the blank line: the body is complete
            body = b"".join(self._chunks)
            self._chunks = []
            self._complete(body)
            return True
        self._trailers += 1
        if self._trailers > self._limits.max_headers:
            raise HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
        return True

    # --- answering ----------------------------------------------------------

    def _complete(self, body: bytes) -> None:
        """Hand the request to the handler and answer it."""
        request = cast("HttpRequest", self._request)
        try:
            status = self._server.handler(request, body)
        except HttpError as err:
            status = err.status
        self._answer(status, keep_alive=request.keep_alive)

    def _write(self, data: bytes) -> None:
        transport = cast("asyncio.Transport", self._transport)
        transport.write(data)

    def _answer(self, status: HTTPStatus, *, keep_alive: bool) -> None:
        """Write the answer; go on once the transport has taken it."""
        self._request = None
        if self._state is _State.CLOSED:  # closed while the handler ran
            return
        self._write(_status_line(status, keep_alive=keep_alive))
        if self._write_paused:
            self._state = _State.ANSWER
            self._after_write = keep_alive
        else:
            self._answered(keep_alive=keep_alive)

    def _answered(self, *, keep_alive: bool) -> None:
        now = self._loop.time()
        if keep_alive:
            self._state = _State.LINE
            self.idle = True
            self._stray_line_seen = False
            self._head_deadline = None
            self._set_deadline(now + self._limits.keepalive_timeout)
        else:
            self._state = _State.LINGER
            self._set_deadline(now + self._limits.linger_timeout)


_LINE_STATES: Final = frozenset({_State.LINE, _State.CHUNK_SIZE, _State.TRAILERS})
