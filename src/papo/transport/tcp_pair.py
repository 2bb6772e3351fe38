"""Blocking TCP sockets for one 1:1 connection: listen, accept, connect, send, receive.

Used by the handout's 1:1 chat (§1) and the JSON record (§3). The listening socket sets
SO_REUSEADDR, so a server restarted right after a chat does not fail with "address in
use"; a port that another program really holds gives ``address_in_use``. Every
operating-system failure becomes a :mod:`papo.errors` error with a one-line text.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import time
from collections.abc import Callable

from papo.errors import ConfigError, NetworkError

#: Where ``papo tcp`` servers listen unless told otherwise: every interface, like the
#: handout's ``''`` (tests always pass ``--host 127.0.0.1``).
DEFAULT_SERVER_HOST = "0.0.0.0"

#: Where ``papo tcp`` / ``papo json`` clients connect unless told otherwise.
DEFAULT_CLIENT_HOST = "127.0.0.1"

#: The 1:1 chat's default TCP port.
DEFAULT_CHAT_PORT = 5050

#: The JSON record's default TCP port, as in the handout's §3 listings.
DEFAULT_RECORD_PORT = 12345

#: What the video programs pass to ``recv``: one message per call on the handout wire.
HANDOUT_RECV_BYTES = 1024

#: How long ``connect`` waits for the server to answer, in seconds.
CONNECT_TIMEOUT_SECONDS = 10.0

#: How many connections may wait to be accepted (``listen`` backlog).
LISTEN_BACKLOG = 8

_REFUSED_ERRNOS = {errno.ECONNREFUSED}
_LOST_ERRNOS = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED, errno.ETIMEDOUT}


def format_address(address: tuple[object, ...]) -> str:
    """``("10.0.0.1", 5000)`` -> ``"10.0.0.1:5000"``; IPv6 in brackets."""
    host, port = str(address[0]), address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _resolve(host: str, port: int, passive: bool) -> tuple[socket.AddressFamily, tuple]:  # type: ignore[type-arg]
    if not 0 <= port <= 65535:
        raise ConfigError("bad_port", port=port)
    try:
        infos = socket.getaddrinfo(
            host or None,
            port,
            type=socket.SOCK_STREAM,
            flags=socket.AI_PASSIVE if passive else 0,
        )
    except (socket.gaierror, UnicodeError):
        raise ConfigError("bad_host", host=host) from None
    # Prefer IPv4 when a name has both, as the handout's programs are IPv4-only.
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, _type, _proto, _canon, address = infos[0]
    return family, address


def _bind_error(exc: OSError, port: int) -> NetworkError:
    if exc.errno == errno.EADDRINUSE:
        return NetworkError("address_in_use", port=port)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return NetworkError("permission_denied", action="action_listen", reason=exc.strerror)
    return NetworkError("os_error", action="action_listen", reason=exc.strerror or str(exc))


class PairListener:
    """A listening TCP socket (SO_REUSEADDR) that hands out :class:`PairConnection` s."""

    def __init__(self, host: str, port: int, backlog: int = LISTEN_BACKLOG) -> None:
        family, address = _resolve(host, port, passive=True)
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._socket.bind(address)
            self._socket.listen(backlog)
        except OSError as exc:
            self._socket.close()
            raise _bind_error(exc, port) from None
        self.address = format_address(self._socket.getsockname())
        self.port: int = self._socket.getsockname()[1]

    def accept(self, timeout: float | None = None) -> PairConnection | None:
        """Wait for one client; None when ``timeout`` seconds pass first."""
        self._socket.settimeout(timeout)
        try:
            conn, address = self._socket.accept()
        except TimeoutError:
            return None
        except OSError as exc:
            raise NetworkError(
                "os_error", action="action_listen", reason=exc.strerror or str(exc)
            ) from None
        conn.settimeout(None)
        return PairConnection(conn, format_address(address))

    def close(self) -> None:
        """Stop listening."""
        self._socket.close()

    def __enter__(self) -> PairListener:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def connect(host: str, port: int, timeout: float = CONNECT_TIMEOUT_SECONDS) -> PairConnection:
    """Connect to ``host:port``; raise NetworkError with what to do if nobody answers."""
    family, address = _resolve(host, port, passive=False)
    shown = format_address(address[:2])
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except OSError as exc:
        sock.close()
        if exc.errno in _REFUSED_ERRNOS:
            raise NetworkError("connect_refused", address=shown) from None
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise NetworkError("connect_failed", address=shown, reason=reason) from None
    sock.settimeout(None)
    return PairConnection(sock, shown)


class PairConnection:
    """One connected TCP socket; a peer that disappears reads as end of stream."""

    def __init__(self, sock: socket.socket, peer: str) -> None:
        self._socket = sock
        self.peer = peer
        with contextlib.suppress(OSError):
            # Notice a peer whose machine vanished, not only one that closed.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)

    def send(self, payload: bytes) -> bool:
        """Send all of ``payload`` (one ``send`` on the handout wire); False if the peer is gone."""
        try:
            self._socket.sendall(payload)
        except OSError as exc:
            if exc.errno in _LOST_ERRNOS or exc.errno == errno.EBADF:
                return False
            raise NetworkError(
                "os_error", action="action_connect", reason=exc.strerror or str(exc)
            ) from None
        return True

    def receive(self, max_bytes: int = HANDOUT_RECV_BYTES, timeout: float | None = None) -> bytes:
        """One ``recv``: up to ``max_bytes``; ``b""`` once the peer closed or vanished.

        Raises TimeoutError when ``timeout`` seconds pass without data.
        """
        self._socket.settimeout(timeout)
        try:
            return self._socket.recv(max_bytes)
        except TimeoutError:
            raise
        except OSError as exc:
            if exc.errno in _LOST_ERRNOS or exc.errno == errno.EBADF:
                return b""
            raise NetworkError(
                "os_error", action="action_connect", reason=exc.strerror or str(exc)
            ) from None
        finally:
            with contextlib.suppress(OSError):
                self._socket.settimeout(None)

    def receive_until_close(
        self,
        limit: int,
        timeout: float,
        done: Callable[[bytes], bool] = lambda data: False,
        clock: Callable[[], float] = time.monotonic,
    ) -> tuple[bytes, bool]:
        """Read until the peer closes, more than ``limit`` bytes came, or ``done(data)``.

        Returns ``(data, finished)``: ``finished`` is False only when ``timeout`` seconds
        passed first. At most ``limit + 1`` bytes are kept, so an oversize payload is
        seen as such and never held whole.
        """
        deadline = clock() + timeout
        data = bytearray()
        while len(data) <= limit:
            remaining = deadline - clock()
            if remaining <= 0:
                return bytes(data), False
            try:
                chunk = self.receive(min(65536, limit + 1 - len(data)), timeout=remaining)
            except TimeoutError:
                return bytes(data), False
            if not chunk:
                break
            data += chunk
            if done(bytes(data)):
                break
        return bytes(data), True

    def shutdown(self) -> None:
        """Say "no more data" to the peer and wake any thread blocked in :meth:`receive`."""
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Close the connection."""
        self._socket.close()

    def __enter__(self) -> PairConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
