"""The machine's network interfaces: names, flags and IPv4 addresses (standard library only).

Linux answers through ``ioctl`` (``SIOCGIFFLAGS``, ``SIOCGIFADDR``), the same calls
``ifconfig`` makes; elsewhere only names are known and every interface counts as usable.
"""

from __future__ import annotations

import contextlib
import fcntl
import socket
import struct
from dataclasses import dataclass

from papo.errors import ConfigError

_SIOCGIFFLAGS = 0x8913
_SIOCGIFADDR = 0x8915
_IFF_UP = 0x1
_IFF_LOOPBACK = 0x8
_IFF_POINTOPOINT = 0x10
_IFF_RUNNING = 0x40
_IFF_MULTICAST = 0x1000

#: Name prefixes of interfaces that are usually VPN or tunnel links, where multicast
#: rarely passes.
VPN_PREFIXES = ("tun", "tap", "wg", "ppp", "ipsec", "utun", "zt", "tailscale", "nordlynx")


@dataclass(frozen=True, slots=True)
class Interface:
    """One network interface as discovery sees it."""

    name: str
    index: int
    ipv4: str | None
    up: bool
    loopback: bool
    multicast: bool
    point_to_point: bool

    @property
    def looks_like_vpn(self) -> bool:
        """True for tunnels: point-to-point links or names like ``tun0``, ``wg0``."""
        return self.point_to_point or self.name.startswith(VPN_PREFIXES)

    @property
    def usable_for_multicast(self) -> bool:
        """Up, multicast-capable and with an IPv4 address."""
        return self.up and self.multicast and self.ipv4 is not None


def list_interfaces() -> list[Interface]:
    """Every interface of this network namespace, in index order."""
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for index, name in sorted(socket.if_nameindex()):
            flags = _flags(probe, name)
            found.append(
                Interface(
                    name=name,
                    index=index,
                    ipv4=_ipv4(probe, name),
                    up=bool(flags & _IFF_UP),
                    loopback=bool(flags & _IFF_LOOPBACK),
                    multicast=bool(flags & _IFF_MULTICAST),
                    point_to_point=bool(flags & _IFF_POINTOPOINT),
                )
            )
    return found


def _ifreq(name: str) -> bytes:
    return struct.pack("256s", name.encode()[:15])


def _flags(probe: socket.socket, name: str) -> int:
    try:
        answer = fcntl.ioctl(probe.fileno(), _SIOCGIFFLAGS, _ifreq(name))
    except OSError:
        return _IFF_UP | _IFF_MULTICAST  # unknown: assume usable
    return struct.unpack_from("H", answer, 16)[0]


def _ipv4(probe: socket.socket, name: str) -> str | None:
    with contextlib.suppress(OSError):
        answer = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR, _ifreq(name))
        return socket.inet_ntoa(answer[20:24])
    return None


def beacon_interfaces(
    spec: str | None = None, interfaces: list[Interface] | None = None
) -> list[Interface]:
    """The interfaces to send and hear beacons on.

    With ``spec`` (``--interface``: a name, an index or an IPv4 address) exactly that one,
    or ConfigError. Without it, every non-loopback interface that is up, multicast-capable
    and has an IPv4 address; if there is none, the loopback interface when it allows
    multicast (several papo programs on one machine still find each other).
    """
    interfaces = list_interfaces() if interfaces is None else interfaces
    if spec:
        for interface in interfaces:
            if spec in (interface.name, str(interface.index), interface.ipv4):
                if not interface.usable_for_multicast:
                    raise ConfigError("interface_not_multicast", interface=spec)
                return [interface]
        raise ConfigError("unknown_interface", interface=spec)
    usable = [i for i in interfaces if i.usable_for_multicast]
    external = [i for i in usable if not i.loopback]
    return external or usable


__all__ = ["VPN_PREFIXES", "Interface", "beacon_interfaces", "list_interfaces"]
