"""IP multicast sockets (IPv4 and IPv6): a sender that never joins, a receiver that does.

The handout's defaults: group 224.3.29.71, port 5007, TTL 1 (the local network only).
Every operating-system failure is turned into a :mod:`papo.errors` error with a code
the user interface can explain in one line.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import math
import select
import socket
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from papo.errors import ConfigError, NetworkError
from papo.protocol.limits import MAX_DATAGRAM_BYTES
from papo.protocol.ratelimit import SendPacer

DEFAULT_GROUP = "224.3.29.71"
DEFAULT_PORT = 5007
DEFAULT_TTL = 1

#: Receive buffer asked of the kernel for a receiver socket (capped by net.core.rmem_max).
#: The default (about 208 KiB) overflows during a burst of a few thousand datagrams,
#: and the kernel then drops good and bad datagrams alike.
RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024

_IPV6_LINK_LOCAL_SCOPE = 2  # RFC 4291 multicast scope: 1 interface-local, 2 link-local
_NO_ROUTE_ERRNOS = {errno.ENETUNREACH, errno.ENODEV, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL}
_PERMISSION_ERRNOS = {errno.EACCES, errno.EPERM}


@dataclass(frozen=True, slots=True)
class MulticastConfig:
    """Where a multicast chat lives: group, port, TTL and (optionally) the interface."""

    group: str = DEFAULT_GROUP
    port: int = DEFAULT_PORT
    ttl: int = DEFAULT_TTL
    interface: str | None = None
    loopback: bool = True

    def validated(self) -> MulticastConfig:
        """Return self after checking every field, or raise ConfigError."""
        parse_group(self.group)
        check_port(self.port)
        if not 0 <= self.ttl <= 255:
            raise ConfigError("bad_ttl", ttl=self.ttl)
        return self


def parse_group(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """Parse a multicast group address or raise ConfigError("bad_group")."""
    try:
        address = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        raise ConfigError("bad_group", group=text) from None
    if not address.is_multicast:
        raise ConfigError("bad_group", group=text)
    return address


def check_port(port: int) -> int:
    """Return ``port`` if it is a usable UDP/TCP port, else raise ConfigError("bad_port")."""
    if not 1 <= port <= 65535:
        raise ConfigError("bad_port", port=port)
    return port


@dataclass(frozen=True, slots=True)
class InterfaceChoice:
    """A resolved interface: its index (0 = let the kernel choose) and IPv4 address."""

    index: int = 0
    ipv4: str | None = None


def resolve_interface(spec: str | None, family: socket.AddressFamily) -> InterfaceChoice:
    """Resolve ``--interface``: an interface name (eth0), index, or one of its addresses."""
    if not spec:
        return InterfaceChoice()
    names = dict((name, index) for index, name in socket.if_nameindex())
    if spec in names:
        return InterfaceChoice(index=names[spec])
    if spec.isdigit() and int(spec) in names.values():
        return InterfaceChoice(index=int(spec))
    try:
        address = ipaddress.ip_address(spec)
    except ValueError:
        raise ConfigError("unknown_interface", interface=spec) from None
    if address.version == 4 and family == socket.AF_INET:
        return InterfaceChoice(ipv4=str(address))
    raise ConfigError("unknown_interface", interface=spec)


def _family(config: MulticastConfig) -> socket.AddressFamily:
    return socket.AF_INET6 if parse_group(config.group).version == 6 else socket.AF_INET


def _os_error(exc: OSError, action: str, config: MulticastConfig) -> NetworkError:
    if exc.errno in _NO_ROUTE_ERRNOS:
        return NetworkError("no_multicast_route", group=config.group)
    if exc.errno in _PERMISSION_ERRNOS:
        return NetworkError("permission_denied", action=action, reason=exc.strerror)
    if exc.errno == errno.EADDRINUSE:
        return NetworkError("address_in_use", port=config.port)
    return NetworkError("os_error", action=action, reason=exc.strerror or str(exc))


def _ipv6_index(config: MulticastConfig, choice: InterfaceChoice) -> int:
    """The interface index for an IPv6 group; link-scoped groups (ff01::, ff02::) need one."""
    scope = (int(ipaddress.IPv6Address(config.group.split("%")[0])) >> 112) & 0xF
    if choice.index == 0 and scope <= _IPV6_LINK_LOCAL_SCOPE:
        raise ConfigError("ipv6_needs_interface", group=config.group)
    return choice.index


def _ip_mreqn(group: str, choice: InterfaceChoice) -> bytes:
    """``struct ip_mreqn`` (Linux) or ``ip_mreq``: group, local address, interface index."""
    local = socket.inet_aton(choice.ipv4 or "0.0.0.0")
    if sys.platform.startswith("linux"):
        return socket.inet_aton(group) + local + struct.pack("@i", choice.index)
    return socket.inet_aton(group) + local


class MulticastSender:
    """Sends datagrams to the group; never joins it, so it never hears other senders.

    With a ``pacer`` (:class:`~papo.protocol.ratelimit.SendPacer`), :meth:`send` waits
    (``sleep``, measured with ``clock``) whenever the sender gets ahead of the pace, so
    receivers never take a long piped input for a flood. Without one it never waits
    (event loops, which must not block, and the benchmark's blast).
    """

    def __init__(
        self,
        config: MulticastConfig,
        *,
        pacer: SendPacer | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._pacer, self._clock, self._sleep = pacer, clock, sleep
        self.config = config.validated()
        family = _family(config)
        choice = resolve_interface(config.interface, family)
        self._destination: tuple[object, ...]
        self._socket = socket.socket(family, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            if family == socket.AF_INET:
                self._socket.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, config.ttl)
                self._socket.setsockopt(
                    socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, int(config.loopback)
                )
                if choice.index or choice.ipv4:
                    self._socket.setsockopt(
                        socket.IPPROTO_IP,
                        socket.IP_MULTICAST_IF,
                        _ip_mreqn("0.0.0.0", choice)
                        if choice.index
                        else socket.inet_aton(choice.ipv4 or "0.0.0.0"),
                    )
                self._destination = (config.group, config.port)
            else:
                index = _ipv6_index(config, choice)
                self._socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, config.ttl)
                self._socket.setsockopt(
                    socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, int(config.loopback)
                )
                if index:
                    self._socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
                self._destination = (config.group.split("%")[0], config.port, 0, index)
        except OSError as exc:
            self._socket.close()
            raise _os_error(exc, "action_setup", config) from None
        except ConfigError:
            self._socket.close()
            raise

    def send(self, payload: bytes) -> None:
        """Send one datagram to the group (after the pacer's wait, if any), or raise
        NetworkError."""
        if self._pacer is not None:
            wait = self._pacer.delay(self._clock())
            if wait > 0:
                self._sleep(wait)
        try:
            self._socket.sendto(payload, self._destination)
        except OSError as exc:
            raise _os_error(exc, "action_send", self.config) from None

    def fileno(self) -> int:
        """The socket's file descriptor (for selectors and event loops)."""
        return self._socket.fileno()

    def close(self) -> None:
        """Close the socket."""
        self._socket.close()

    def __enter__(self) -> MulticastSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class MulticastReceiver:
    """A socket bound to the group's port and joined to the group.

    Several receivers on one host share the port (SO_REUSEADDR and SO_REUSEPORT), also
    with the handout's receiver. On Linux the socket is bound to the group address and
    IP_MULTICAST_ALL is off, so it hears only its own group.
    """

    def __init__(self, config: MulticastConfig) -> None:
        self.config = config.validated()
        family = _family(config)
        choice = resolve_interface(config.interface, family)
        self._poll: select.poll | None = None  # made on the first wait
        self._socket = socket.socket(family, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            with contextlib.suppress(OSError):  # a smaller buffer still works
                self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
            if hasattr(socket, "SO_REUSEPORT"):
                with contextlib.suppress(OSError):
                    self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            linux = sys.platform.startswith("linux")
            if family == socket.AF_INET:
                if linux:
                    self._socket.setsockopt(socket.IPPROTO_IP, _IP_MULTICAST_ALL, 0)
                self._bind((config.group if linux else "", config.port), config)
                self._join(
                    socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, _ip_mreqn(config.group, choice)
                )
            else:
                index = _ipv6_index(config, choice)
                group = config.group.split("%")[0]
                self._bind((group if linux else "::", config.port, 0, index), config)
                mreq = socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", index)
                self._join(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
        except (ConfigError, NetworkError):
            self._socket.close()
            raise
        except OSError as exc:
            self._socket.close()
            raise _os_error(exc, "action_setup", config) from None

    def _bind(self, address: tuple[object, ...], config: MulticastConfig) -> None:
        try:
            self._socket.bind(address)
        except OSError as exc:
            raise _os_error(exc, "action_bind", config) from None

    def _join(self, level: int, option: int, request: bytes) -> None:
        try:
            self._socket.setsockopt(level, option, request)
        except OSError as exc:
            raise _os_error(exc, "action_join", self.config) from None

    def receive(self, timeout: float | None = None) -> tuple[bytes, str] | None:
        """Wait for one datagram; return ``(payload, "host:port")``, or None on timeout.

        Reads up to :data:`~papo.protocol.limits.MAX_DATAGRAM_BYTES` + 1 bytes, so an
        oversize datagram is seen as such by the decoder rather than cut silently. A
        datagram already queued is read with one system call (a non-blocking read); only
        an empty queue costs a wait, so a receiver under load does not poll first each time.
        """
        if _MSG_DONTWAIT is None or not hasattr(select, "poll"):
            return self._receive_waiting(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                payload, address = self._socket.recvfrom(MAX_DATAGRAM_BYTES + 1, _MSG_DONTWAIT)
            except BlockingIOError:
                pass
            except OSError as exc:
                raise _os_error(exc, "action_join", self.config) from None
            else:
                return payload, format_address(address)
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                return None
            if self._poll is None:
                self._poll = select.poll()
                self._poll.register(self._socket, select.POLLIN)
            if not self._poll.poll(None if wait is None else math.ceil(wait * 1000)):
                return None

    def _receive_waiting(self, timeout: float | None) -> tuple[bytes, str] | None:
        """:meth:`receive` where non-blocking reads are not available (a timed read)."""
        if self._socket.gettimeout() != timeout:
            self._socket.settimeout(timeout)
        try:
            payload, address = self._socket.recvfrom(MAX_DATAGRAM_BYTES + 1)
        except (TimeoutError, BlockingIOError):  # BlockingIOError: a zero timeout
            return None
        except OSError as exc:
            raise _os_error(exc, "action_join", self.config) from None
        return payload, format_address(address)

    def fileno(self) -> int:
        """The socket's file descriptor (for selectors and event loops)."""
        return self._socket.fileno()

    @property
    def socket(self) -> socket.socket:
        """The underlying socket, for event loops that need it."""
        return self._socket

    def close(self) -> None:
        """Leave the group and close the socket."""
        self._socket.close()

    def __enter__(self) -> MulticastReceiver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# A read that returns at once when nothing is queued (absent on Windows).
_MSG_DONTWAIT: int | None = getattr(socket, "MSG_DONTWAIT", None)

# Not exported by the socket module; value from <linux/in.h>.
_IP_MULTICAST_ALL = getattr(socket, "IP_MULTICAST_ALL", 49)


def format_address(address: tuple[object, ...]) -> str:
    """``("10.0.0.1", 5007)`` -> ``"10.0.0.1:5007"``; IPv6 in brackets."""
    host, port = str(address[0]), address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
