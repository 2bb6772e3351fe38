"""Finding peers with small multicast beacons, on every multicast interface or one chosen.

Every :data:`BEACON_INTERVAL` seconds a :class:`BeaconDiscovery` sends one beacon
(:mod:`papo.protocol.beacon`) out of each interface it uses, to the group
:data:`BEACON_GROUP`, port :data:`BEACON_PORT`, with TTL :data:`BEACON_TTL` (the local
link only). It hears the group on the same interfaces and learns, with ``IP_PKTINFO``,
which one each beacon came in on; a node it has not heard recently gets an answer at once
on that interface, so two nodes find each other in one round trip instead of one
interval. The beacon's source address and TCP port are reported as a
:class:`~papo.protocol.beacon.PeerSighting`; the mesh dials it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import struct
import time
from collections.abc import Callable

from papo.discovery.interfaces import Interface, beacon_interfaces, list_interfaces
from papo.errors import ConfigError, DecodeError, NetworkError
from papo.protocol.beacon import (
    MAX_BEACON_BYTES,
    Announcement,
    Beacon,
    PeerSighting,
    RoomBeacon,
    RoomSighting,
    decode_announcement,
    encode_announcement,
)

#: The beacon group: administratively scoped (RFC 2365), so routers keep it inside the site,
#: and apart from the handout's chat group so handout receivers never see beacons.
BEACON_GROUP = "239.255.77.77"

#: UDP port of the beacon group (apart from mDNS's 5353 and the handout's 5007).
BEACON_PORT = 7007

#: Router hops a beacon may cross: 1 = the local network only.
BEACON_TTL = 1

#: Seconds between two beacons on one interface.
BEACON_INTERVAL = 2.0

#: A node not heard for this many seconds gets an immediate answer when heard again.
ANSWER_AFTER = 3 * BEACON_INTERVAL

#: Beacons read per wake-up of the event loop, so a flood cannot starve the chat.
MAX_BEACONS_PER_WAKEUP = 64

#: Nodes remembered for the answer rule (oldest forgotten first).
MAX_REMEMBERED_NODES = 1024

_IP_MULTICAST_ALL = getattr(socket, "IP_MULTICAST_ALL", 49)
_IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
_PKTINFO_SIZE = 12  # struct in_pktinfo: int ifindex, in_addr spec_dst, in_addr addr

Found = Callable[[PeerSighting], None]
RoomFound = Callable[[RoomSighting], None]


class BeaconDiscovery:
    """Announce this node and hear others on the beacon group (see the module doc)."""

    name = "beacon"

    def __init__(
        self,
        interface: str | None = None,
        *,
        group: str = BEACON_GROUP,
        port: int = BEACON_PORT,
        ttl: int = BEACON_TTL,
        interval: float = BEACON_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        list_interfaces: Callable[[], list[Interface]] = list_interfaces,
        on_room: RoomFound | None = None,
    ) -> None:
        self.interface_spec = interface
        self._on_room = on_room  # room servers heard (``papo chat --server`` looks for them)
        self._list_interfaces = list_interfaces
        self.group = group
        self.port = port
        self.ttl = ttl
        self.interval = interval
        self.interfaces: list[Interface] = []
        #: Beacons dropped as invalid, and sends the system refused.
        self.dropped = 0
        self.send_errors = 0
        #: Own beacons heard back through the kernel's multicast loopback.
        self.heard_self = 0
        self._clock = clock
        self._receiver: socket.socket | None = None
        self._sender: socket.socket | None = None
        self._payload = b""
        self._node = ""
        self._found: Found | None = None
        self._last_heard: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self, announce: Announcement, found: Found) -> None:
        """Join the group on the chosen interfaces and start beaconing; raise on failure.

        ``announce`` is this node's peer beacon, a room server's announcement, or a
        client's seek; ``found`` hears the peer beacons of others (``on_room`` the rooms).
        """
        self.interfaces = beacon_interfaces(self.interface_spec, self._list_interfaces())
        if not self.interfaces:
            raise NetworkError("beacon_no_interface")
        self._payload = encode_announcement(announce)
        self._node = announce.node
        self._found = found
        self._receiver = self._open_receiver()
        try:
            self._sender = self._open_sender()
        except BaseException:
            self._receiver.close()
            raise
        asyncio.get_running_loop().add_reader(self._receiver.fileno(), self._on_readable)
        self._task = asyncio.create_task(self._announce_forever(), name="papo-beacons")

    async def close(self) -> None:
        """Stop beaconing and close both sockets; safe to call twice."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._receiver is not None:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self._receiver.fileno())
            self._receiver.close()
            self._receiver = None
        if self._sender is not None:
            self._sender.close()
            self._sender = None

    # -- sockets ---------------------------------------------------------------------

    def _open_receiver(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            with contextlib.suppress(AttributeError, OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_IP, _IP_MULTICAST_ALL, 0)
            sock.setsockopt(socket.IPPROTO_IP, _IP_PKTINFO, 1)
            sock.bind((self.group, self.port))
            for interface in self.interfaces:
                sock.setsockopt(
                    socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, self._membership(interface)
                )
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise _network_error(exc, self.port) from None
        return sock

    def _membership(self, interface: Interface) -> bytes:
        """``struct ip_mreqn`` for the group on ``interface``."""
        request = socket.inet_aton(self.group) + socket.inet_aton(interface.ipv4 or "0.0.0.0")
        return request + struct.pack("@i", interface.index)

    def refresh_interfaces(self) -> None:
        """Follow the machine's interfaces (a cable plugged in, Wi-Fi joined) when no
        ``--interface`` was given: join the group on new ones, stop using vanished ones."""
        if self.interface_spec or self._receiver is None:
            return
        try:
            current = beacon_interfaces(None, self._list_interfaces())
        except (ConfigError, OSError):
            return
        known = {(i.index, i.ipv4) for i in self.interfaces}
        for interface in current:
            if (interface.index, interface.ipv4) not in known:
                with contextlib.suppress(OSError):
                    self._receiver.setsockopt(
                        socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, self._membership(interface)
                    )
        if current:
            self.interfaces = current

    def _open_sender(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, self.ttl)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise _network_error(exc, self.port) from None
        return sock

    # -- sending ---------------------------------------------------------------------

    async def _announce_forever(self) -> None:
        while True:
            self.refresh_interfaces()
            for interface in self.interfaces:
                self._send_on(interface)
            await asyncio.sleep(self.interval)

    def _send_on(self, interface: Interface) -> None:
        """One beacon out of ``interface`` (its own address and index pick the way out)."""
        if self._sender is None:
            return
        request = socket.inet_aton("0.0.0.0") + socket.inet_aton(interface.ipv4 or "0.0.0.0")
        request += struct.pack("@i", interface.index)
        try:
            self._sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, request)
            self._sender.sendto(self._payload, (self.group, self.port))
        except OSError:
            # The link is down or the network unreachable for now: beacons resume by
            # themselves when it is back. Counted, so `papo doctor` can tell.
            self.send_errors += 1

    # -- receiving -------------------------------------------------------------------

    def _on_readable(self) -> None:
        if self._receiver is None:
            return
        space = socket.CMSG_SPACE(_PKTINFO_SIZE)
        for _ in range(MAX_BEACONS_PER_WAKEUP):
            try:
                payload, ancillary, _flags, address = self._receiver.recvmsg(
                    MAX_BEACON_BYTES + 1, space
                )
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.send_errors += 1
                return
            index = 0
            for level, kind, data in ancillary:
                if level == socket.IPPROTO_IP and kind == _IP_PKTINFO and len(data) >= 4:
                    index = struct.unpack_from("@i", data)[0]
            self.receive(payload, address[0], index)

    def receive(self, payload: bytes, host: str, index: int = 0) -> None:
        """Handle one beacon datagram from ``host`` that came in on interface ``index``."""
        beacon = decode_announcement(payload)
        if isinstance(beacon, DecodeError):
            self.dropped += 1
            return
        if beacon.node == self._node:
            self.heard_self += 1  # our own beacon, looped back (`papo doctor` counts it)
            return
        interface = next((i for i in self.interfaces if i.index == index), None)
        now = self._clock()
        last = self._last_heard.pop(beacon.node, None)
        self._last_heard[beacon.node] = now
        while len(self._last_heard) > MAX_REMEMBERED_NODES:
            self._last_heard.pop(next(iter(self._last_heard)))
        if interface is not None and (last is None or now - last > ANSWER_AFTER):
            self._send_on(interface)  # answer on the interface it came in on
        where = interface.name if interface else None
        if isinstance(beacon, RoomBeacon):
            if self._on_room is not None:
                self._on_room(
                    RoomSighting(beacon.node, beacon.name, host, beacon.port, beacon.tls, where)
                )
            return
        if isinstance(beacon, Beacon) and self._found is not None:
            self._found(
                PeerSighting(
                    node=beacon.node,
                    nick=beacon.nick,
                    host=host,
                    port=beacon.port,
                    method=self.name,
                    interface=where,
                )
            )


def _network_error(exc: OSError, port: int) -> NetworkError | ConfigError:
    if exc.errno == errno.EADDRINUSE:
        return NetworkError("address_in_use", port=port)
    if exc.errno in (errno.ENODEV, errno.EADDRNOTAVAIL, errno.ENETUNREACH):
        return NetworkError("no_multicast_route", group=BEACON_GROUP)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return NetworkError("permission_denied", action="action_join", reason=exc.strerror)
    return NetworkError("os_error", action="action_join", reason=exc.strerror or str(exc))


__all__ = [
    "BEACON_GROUP",
    "BEACON_INTERVAL",
    "BEACON_PORT",
    "BEACON_TTL",
    "BeaconDiscovery",
]
