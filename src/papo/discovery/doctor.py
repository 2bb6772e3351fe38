"""The checks behind ``papo doctor``: why can't this machine see anyone? (no printing here)

Each check looks at one thing it can see locally and returns :class:`Finding` values: a
text code of :mod:`papo.i18n`, its level, the details that fill it, and the codes of the
concrete next steps. :mod:`papo.ui.doctor` prints them. The checks, in order:

1. interfaces: is there one that is up, has IPv4 and allows multicast (or the one named
   with ``--interface``)?
2. route: does the kernel have a route for the beacon group (the handout's programs and
   most multicast software need one)?
3. VPN: is a tunnel interface up (multicast rarely crosses one)?
4. port: can the beacon port be opened, or does another program hold it alone?
5. self-test: does our own test beacon come back through the kernel (if not, the system
   or a firewall drops it), and does any other papo answer within a few seconds?
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from papo.discovery.beacon import BEACON_GROUP, BEACON_PORT, BEACON_TTL, BeaconDiscovery
from papo.discovery.interfaces import Interface, list_interfaces
from papo.discovery.rooms import MAX_ROOMS_FOUND
from papo.errors import ConfigError, NetworkError
from papo.protocol.beacon import Beacon, PeerSighting, RoomSighting
from papo.protocol.text import terminal_safe

#: Seconds the self-test listens for other papo nodes.
DOCTOR_LISTEN_SECONDS = 3.0

#: Seconds between the self-test's beacons (faster than a node's, to get answers sooner).
DOCTOR_BEACON_INTERVAL = 0.5

#: The TCP port the self-test's beacon names (the discard port: nobody is dialled).
DOCTOR_ANNOUNCED_PORT = 9

#: The nick the self-test's beacon carries, so other users see who probes.
DOCTOR_NICK = "papo-doctor"


class Level(StrEnum):
    """How a finding bears on "why can't I see anyone"."""

    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"


@dataclass(frozen=True, slots=True)
class Finding:
    """One result: ``code`` (an i18n text) filled with ``details``; ``advice``: next steps."""

    code: str
    level: Level
    details: dict[str, object] = field(default_factory=dict)
    advice: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DoctorReport:
    """Everything ``papo doctor`` found."""

    findings: tuple[Finding, ...]
    peers: tuple[PeerSighting, ...] = ()

    @property
    def healthy(self) -> bool:
        """True when no finding is a problem."""
        return all(finding.level != Level.PROBLEM for finding in self.findings)


def check_interfaces(interfaces: list[Interface], spec: str | None) -> list[Finding]:
    """Is there an interface for multicast, and is the one asked for usable?"""
    usable = [i for i in interfaces if i.usable_for_multicast and not i.loopback]
    names = ", ".join(f"{i.name} ({i.ipv4})" for i in usable) or "-"
    if spec:
        chosen = next((i for i in interfaces if spec in (i.name, str(i.index), i.ipv4)), None)
        if chosen is None:
            return [
                Finding(
                    "doctor_unknown_interface",
                    Level.PROBLEM,
                    {"interface": spec, "names": names},
                    ("doctor_next_pick_interface",),
                )
            ]
        if not chosen.usable_for_multicast:
            reason = (
                "down" if not chosen.up else "no_ipv4" if chosen.ipv4 is None else "no_multicast"
            )
            return [
                Finding(
                    "doctor_interface_unusable",
                    Level.PROBLEM,
                    {"interface": chosen.name, "reason": f"doctor_reason_{reason}"},
                    ("doctor_next_enable_multicast", "doctor_next_pick_interface"),
                )
            ]
        return [Finding("doctor_interface_chosen", Level.OK, {"interface": chosen.name})]
    loopback = [i for i in interfaces if i.usable_for_multicast and i.loopback]
    if not usable and loopback:
        return [
            Finding(
                "doctor_loopback_only",
                Level.WARNING,
                {"names": ", ".join(i.name for i in loopback)},
                ("doctor_next_connect",),
            )
        ]
    if not usable:
        without = ", ".join(
            i.name for i in interfaces if i.up and not i.loopback and not i.multicast
        )
        return [
            Finding(
                "doctor_no_multicast_interface",
                Level.PROBLEM,
                {"without": without or "-"},
                ("doctor_next_enable_multicast", "doctor_next_peer"),
            )
        ]
    findings = [Finding("doctor_interfaces", Level.OK, {"names": names})]
    if len(usable) > 1:
        findings.append(
            Finding(
                "doctor_several_interfaces",
                Level.WARNING,
                {"names": names},
                ("doctor_next_pick_interface",),
            )
        )
    return findings


def check_route(
    interfaces: list[Interface], group: str = BEACON_GROUP, port: int = BEACON_PORT
) -> list[Finding]:
    """Does the kernel route the group somewhere (connect() on UDP sends nothing)?"""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((group, port))
            source = probe.getsockname()[0]
        except OSError as exc:
            if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EINVAL):
                return [
                    Finding(
                        "doctor_no_multicast_route",
                        Level.WARNING,  # papo peer beacons per interface; others need it
                        {"group": group},
                        ("doctor_next_route", "doctor_next_peer"),
                    )
                ]
            raise
    via = next((i.name for i in interfaces if i.ipv4 == source), source)
    return [Finding("doctor_route", Level.OK, {"group": group, "interface": via})]


def default_route_interface(path: str = "/proc/net/route") -> str | None:
    """The interface of the IPv4 default route (Linux), or None."""
    with contextlib.suppress(OSError), open(path, encoding="ascii") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if len(fields) > 7 and fields[1] == "00000000" and fields[7] == "00000000":
                return fields[0]
    return None


def check_vpn(interfaces: list[Interface], default_interface: str | None) -> list[Finding]:
    """Is a VPN or tunnel up? Multicast rarely crosses one."""
    tunnels = [i.name for i in interfaces if i.up and not i.loopback and i.looks_like_vpn]
    if not tunnels:
        return []
    code = "doctor_vpn_default" if default_interface in tunnels else "doctor_vpn"
    return [
        Finding(
            code,
            Level.WARNING,
            {"names": ", ".join(tunnels), "interface": default_interface or "-"},
            ("doctor_next_peer",),
        )
    ]


def check_port(group: str = BEACON_GROUP, port: int = BEACON_PORT) -> list[Finding]:
    """Can the beacon port be opened the way papo opens it (shared with other papos)?"""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(AttributeError, OSError):
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            probe.bind((group, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return [
                    Finding(
                        "doctor_port_taken",
                        Level.PROBLEM,
                        {"port": port},
                        ("doctor_next_port_owner", "doctor_next_peer"),
                    )
                ]
            if exc.errno in (errno.EACCES, errno.EPERM):
                return [
                    Finding(
                        "doctor_port_denied",
                        Level.PROBLEM,
                        {"port": port, "reason": exc.strerror or ""},
                        ("doctor_next_firewall",),
                    )
                ]
            if exc.errno == errno.EADDRNOTAVAIL:
                return [Finding("doctor_port_free", Level.OK, {"port": port})]
            raise
    return [Finding("doctor_port_free", Level.OK, {"port": port})]


async def self_test(
    spec: str | None,
    seconds: float = DOCTOR_LISTEN_SECONDS,
    *,
    group: str = BEACON_GROUP,
    port: int = BEACON_PORT,
) -> tuple[list[Finding], list[PeerSighting]]:
    """Send test beacons, see whether they come back, and collect the peers that answer."""
    seen: dict[str, PeerSighting] = {}

    rooms: dict[tuple[str, int], RoomSighting] = {}

    def found(sighting: PeerSighting) -> None:
        seen.setdefault(sighting.node or sighting.host, sighting)

    def room_found(sighting: RoomSighting) -> None:
        if len(rooms) < MAX_ROOMS_FOUND:
            rooms.setdefault((sighting.host, sighting.port), sighting)

    discovery = BeaconDiscovery(
        spec, group=group, port=port, interval=DOCTOR_BEACON_INTERVAL, on_room=room_found
    )
    probe = Beacon(
        node=f"doctor-{secrets.token_hex(4)}", nick=DOCTOR_NICK, port=DOCTOR_ANNOUNCED_PORT
    )
    try:
        await discovery.start(probe, found)
    except (ConfigError, NetworkError) as error:
        return [
            Finding(
                "doctor_self_test_skipped", Level.PROBLEM, {"code": error.code, **error.details}
            )
        ], []
    try:
        await asyncio.sleep(seconds)
    finally:
        await discovery.close()
    findings: list[Finding] = []
    names = ", ".join(i.name for i in discovery.interfaces)
    if discovery.send_errors:
        findings.append(
            Finding(
                "doctor_send_failed",
                Level.PROBLEM,
                {"names": names, "count": discovery.send_errors},
                ("doctor_next_route", "doctor_next_firewall"),
            )
        )
    if discovery.heard_self:
        findings.append(Finding("doctor_loopback_ok", Level.OK, {"names": names}))
    else:
        findings.append(
            Finding(
                "doctor_loopback_failed",
                Level.PROBLEM,
                {"names": names, "port": port, "group": group},
                ("doctor_next_firewall",),
            )
        )
    peers = [s for s in seen.values() if s.nick != DOCTOR_NICK]
    if peers:
        listed = ", ".join(f"{s.nick} ({s.host}:{s.port})" for s in peers)
        findings.append(
            Finding("doctor_peers_seen", Level.OK, {"count": len(peers), "peers": listed})
        )
    else:
        findings.append(
            Finding(
                "doctor_no_peers",
                Level.WARNING,
                {"seconds": seconds, "names": names, "ttl": BEACON_TTL},
                (
                    "doctor_next_others_firewall",
                    "doctor_next_isolation",
                    "doctor_next_ttl",
                    "doctor_next_peer",
                ),
            )
        )
    if rooms:
        listed = ", ".join(
            f"{terminal_safe(room.name)!r} ({room.host}:{room.port})" for room in rooms.values()
        )
        findings.append(
            Finding("doctor_rooms_seen", Level.OK, {"count": len(rooms), "rooms": listed})
        )
    return findings, peers


def run_doctor(
    spec: str | None = None,
    *,
    seconds: float = DOCTOR_LISTEN_SECONDS,
    group: str = BEACON_GROUP,
    port: int = BEACON_PORT,
    interfaces: Callable[[], list[Interface]] = list_interfaces,
) -> DoctorReport:
    """Run every check (blocking for about ``seconds``) and return the report."""
    found = interfaces()
    interface_findings = check_interfaces(found, spec)
    port_findings = check_port(group, port)
    findings = [
        *interface_findings,
        *check_route(found, group, port),
        *check_vpn(found, default_route_interface()),
        *port_findings,
    ]
    peers: list[PeerSighting] = []
    if all(f.level != Level.PROBLEM for f in [*interface_findings, *port_findings]):
        test_findings, peers = asyncio.run(self_test(spec, seconds, group=group, port=port))
        findings += test_findings
    return DoctorReport(tuple(findings), tuple(peers))


__all__ = [
    "DOCTOR_LISTEN_SECONDS",
    "DoctorReport",
    "Finding",
    "Level",
    "check_interfaces",
    "check_port",
    "check_route",
    "check_vpn",
    "run_doctor",
    "self_test",
]
