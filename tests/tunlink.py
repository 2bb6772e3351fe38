"""A user-space ``netem``: a point-to-point IP link between two lab hosts that loses,
duplicates, reorders and delays packets on purpose.

This kernel is built without ``sch_netem`` (``tc qdisc add ... netem`` answers "Specified
qdisc kind is unknown"), so the fault tests make their own impaired link: one TUN device
in each host, and a thread of the test process that reads every IP packet coming out of
one device and writes it into the other, after deciding (with a seeded random generator,
so runs repeat) whether to drop it, send it twice, or hold it back. TCP really
retransmits across it, multicast really crosses it, and the link knows exactly how many
packets it dropped or duplicated, which is what the tests compare papo's reports with.

Only packets that ``matches`` selects are impaired (say, the chat's UDP port); the rest
(IPv6 router chatter, ARP-less TUN noise) pass untouched, so the counts stay exact.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import heapq
import itertools
import os
import random
import select
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from netns import Host

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000

#: Largest packet read from a TUN device (the devices keep the default 1500-byte MTU).
MAX_PACKET = 65535

#: Longest a link thread waits in select(), so it notices :meth:`TunLink.close` promptly.
POLL_SECONDS = 0.05


@dataclass
class Impairment:
    """What the link does to each matching packet, in one direction.

    ``loss``, ``duplicate`` and ``reorder`` are probabilities; a reordered packet is held
    back ``reorder_delay`` seconds more than the others, so later ones overtake it.
    """

    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    delay: float = 0.0
    reorder_delay: float = 0.05


@dataclass
class LinkStats:
    """What the link did to matching packets, in one direction."""

    seen: int = 0
    dropped: int = 0
    duplicated: int = 0
    reordered: int = 0
    #: Matching packets dropped because the link was down.
    cut: int = 0


def udp_to_port(port: int) -> Callable[[bytes], bool]:
    """A matcher for IPv4 UDP packets to ``port``."""

    def matches(packet: bytes) -> bool:
        if len(packet) < 28 or packet[0] >> 4 != 4 or packet[9] != 17:
            return False
        header = (packet[0] & 0x0F) * 4
        return struct.unpack_from("!H", packet, header + 2)[0] == port

    return matches


def tcp_any(packet: bytes) -> bool:
    """A matcher for every IPv4 TCP packet."""
    return len(packet) >= 20 and packet[0] >> 4 == 4 and packet[9] == 6


def any_ipv4(packet: bytes) -> bool:
    """A matcher for every IPv4 packet."""
    return len(packet) >= 20 and packet[0] >> 4 == 4


def _open_tun_in(namespace: str, name: str) -> int:
    """Create TUN device ``name`` inside ``namespace``; return its fd (any thread may use it).

    Runs in a short-lived thread: setns() moves only the calling thread, and that thread
    ends right after, so the test process itself never changes namespace.
    """
    result: dict[str, int | BaseException] = {}

    def work() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            ns_fd = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
            try:
                if libc.setns(ns_fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns failed")
            finally:
                os.close(ns_fd)
            try:
                fd = os.open("/dev/net/tun", os.O_RDWR)
            except FileNotFoundError as exc:
                raise RuntimeError(
                    "the fault tests need /dev/net/tun (the kernel's TUN driver) for their "
                    "user-space netem; this machine has none"
                ) from exc
            fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
            result["fd"] = fd
        except BaseException as exc:  # handed to the caller below
            result["error"] = exc

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result["fd"]  # type: ignore[return-value]


_NUMBERS = itertools.count(1)


@dataclass
class _Direction:
    source: int
    target: int
    impairment: Impairment
    stats: LinkStats = field(default_factory=LinkStats)


class TunLink:
    """An impaired point-to-point link between ``left`` and ``right`` (see module doc).

    ``left`` gets ``left_ip``, ``right`` gets ``right_ip``; both get a route for the
    multicast range through the link, so multicast chat crosses it.
    """

    def __init__(
        self,
        left: Host,
        left_ip: str,
        right: Host,
        right_ip: str,
        *,
        matches: Callable[[bytes], bool] = any_ipv4,
        seed: int = 8,
        multicast_route: bool = True,
    ) -> None:
        number = next(_NUMBERS)
        self.names = (f"pvt{number}l{os.getpid() % 1000}", f"pvt{number}r{os.getpid() % 1000}")
        self._matches = matches
        self._random = random.Random(seed)
        self._up = True
        self._lock = threading.Lock()
        self._fds: list[int] = []
        self._stop = threading.Event()
        left_fd = _open_tun_in(left.namespace, self.names[0])
        self._fds.append(left_fd)
        right_fd = _open_tun_in(right.namespace, self.names[1])
        self._fds.append(right_fd)
        for host, name, mine, peer in (
            (left, self.names[0], left_ip, right_ip),
            (right, self.names[1], right_ip, left_ip),
        ):
            host.ip("addr", "add", mine, "peer", peer, "dev", name)
            host.ip("link", "set", name, "up")
            if multicast_route:
                host.ip("route", "add", "224.0.0.0/4", "dev", name)
            host.addresses[name] = mine
        #: Packets going left -> right and right -> left.
        self.rightward = _Direction(left_fd, right_fd, Impairment())
        self.leftward = _Direction(right_fd, left_fd, Impairment())
        self._queue: list[tuple[float, int, int, bytes]] = []
        self._order = itertools.count()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def impair(
        self, rightward: Impairment | None = None, leftward: Impairment | None = None
    ) -> None:
        """Set what the link does from now on (None leaves a direction as it is)."""
        with self._lock:
            if rightward is not None:
                self.rightward.impairment = rightward
            if leftward is not None:
                self.leftward.impairment = leftward

    def set_up(self, up: bool) -> None:
        """Cut (``False``) or heal the link: while cut, every packet is lost."""
        with self._lock:
            self._up = up

    def wait_seen(self, direction: _Direction, count: int, timeout: float = 10.0) -> None:
        """Wait until ``count`` matching packets went into ``direction`` (bounded)."""
        deadline = time.monotonic() + timeout
        while direction.stats.seen < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"link saw {direction.stats} not {count} in {timeout}s")
            time.sleep(0.01)  # polling the link's counter, with a deadline
        self.wait_idle(timeout)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every held-back packet has been delivered (bounded)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if not self._queue:
                    return
            if time.monotonic() > deadline:
                raise AssertionError("link still holds packets")
            time.sleep(0.01)

    def _decide(self, direction: _Direction, packet: bytes, now: float) -> None:
        """Queue ``packet`` (or drop or double it) for ``direction`` (lock held)."""
        rule = direction.impairment
        if not self._matches(packet):
            heapq.heappush(self._queue, (now, next(self._order), direction.target, packet))
            return
        stats = direction.stats
        stats.seen += 1
        if not self._up:
            stats.cut += 1
            return
        if self._random.random() < rule.loss:
            stats.dropped += 1
            return
        copies = 1
        if self._random.random() < rule.duplicate:
            stats.duplicated += 1
            copies = 2
        for _ in range(copies):
            due = now + rule.delay
            if self._random.random() < rule.reorder:
                stats.reordered += 1
                due += rule.reorder_delay
            heapq.heappush(self._queue, (due, next(self._order), direction.target, packet))

    def _run(self) -> None:
        directions = {self.rightward.source: self.rightward, self.leftward.source: self.leftward}
        while not self._stop.is_set():
            now = time.monotonic()
            with self._lock:
                while self._queue and self._queue[0][0] <= now:
                    _due, _n, target, packet = heapq.heappop(self._queue)
                    # A device set down from the host side loses the packet, as a cable would.
                    with contextlib.suppress(OSError):
                        os.write(target, packet)
                wait = self._queue[0][0] - now if self._queue else POLL_SECONDS
            try:
                ready, _w, _x = select.select(list(directions), [], [], min(wait, POLL_SECONDS))
            except (OSError, ValueError):
                return  # closed under us
            now = time.monotonic()
            for fd in ready:
                try:
                    packet = os.read(fd, MAX_PACKET)
                except OSError:
                    continue
                with self._lock:
                    self._decide(directions[fd], packet, now)

    def close(self) -> None:
        """Stop forwarding and remove both devices."""
        self._stop.set()
        self._thread.join(5)
        for fd in self._fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds.clear()
