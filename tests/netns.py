"""A tiny network lab for tests: hosts as network namespaces, joined by bridges or veth pairs.

Use it from a test marked ``netns`` (so it runs inside the private namespace of
``bash scripts/test``)::

    from netns import Lab

    @pytest.fixture
    def lab() -> Iterator[Lab]:
        yield from open_lab()

    def test_something(lab: Lab) -> None:
        lan = lab.bridge()
        ana, bia = lab.host("ana"), lab.host("bia")
        lab.attach(ana, lan, "10.77.0.1/24")
        lab.attach(bia, lan, "10.77.0.2/24")
        proc = run_process(ana.command(*PAPO, "peer", "ana"))

Hosts are ``ip netns`` namespaces named with the test process id, so parallel runs never
collide; bridges and the bridge ends of veth pairs live in the test's own namespace and
are named ``pbr*`` and ``pv*`` as the conftest guard expects. :meth:`Lab.close` (the
fixture calls it, also when the test fails) deletes every namespace and bridge it made.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field

#: Seconds any one ``ip`` command may take.
IP_COMMAND_TIMEOUT = 10.0

_LAB_NUMBERS = itertools.count(1)

#: Interface numbers, unique for the whole test session: the kernel destroys a deleted
#: namespace's interfaces in the background, so a name is never reused right away.
_INTERFACE_NUMBERS = itertools.count(1)


def ip(*args: str) -> str:
    """Run ``ip ARGS`` and return its output; raise with stderr on failure."""
    done = subprocess.run(
        ["ip", *args], capture_output=True, text=True, timeout=IP_COMMAND_TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


@dataclass
class Host:
    """One simulated machine: a network namespace with a loopback and some interfaces."""

    label: str
    namespace: str
    #: interface name inside the host -> its IPv4 address (without prefix length).
    addresses: dict[str, str] = field(default_factory=dict)

    def command(self, *args: str) -> list[str]:
        """``args`` run inside this host (as argv for subprocess / run_process)."""
        return ["ip", "netns", "exec", self.namespace, *args]

    def run(self, *args: str, timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
        """Run ``args`` inside this host to completion."""
        return subprocess.run(
            self.command(*args), capture_output=True, text=True, timeout=timeout, check=False
        )

    def ip(self, *args: str) -> str:
        """``ip -n NAMESPACE ARGS``."""
        return ip("-n", self.namespace, *args)

    @property
    def address(self) -> str:
        """The address of the host's first interface."""
        return next(iter(self.addresses.values()))


class Lab:
    """Namespaces, bridges and veth pairs made for one test, all removed by :meth:`close`."""

    def __init__(self) -> None:
        self.prefix = f"papo{os.getpid()}x{next(_LAB_NUMBERS)}"
        self.hosts: list[Host] = []
        self.bridges: list[str] = []
        self.links: list[str] = []  # veth ends in the test's namespace
        self._numbers = _INTERFACE_NUMBERS

    def host(self, label: str) -> Host:
        """A new host with its loopback up (multicast allowed on it too)."""
        namespace = f"{self.prefix}-{label}"
        ip("netns", "add", namespace)
        host = Host(label, namespace)
        self.hosts.append(host)
        host.ip("link", "set", "lo", "up")
        return host

    def bridge(self) -> str:
        """A new bridge (a switch) in the test's namespace."""
        name = f"pbr{next(self._numbers)}"
        ip("link", "add", name, "type", "bridge")
        # Forward multicast as a plain switch would, without waiting for IGMP reports.
        ip("link", "set", name, "type", "bridge", "mcast_snooping", "0")
        ip("link", "set", name, "up")
        self.bridges.append(name)
        return name

    def attach(self, host: Host, bridge: str, cidr: str, name: str | None = None) -> str:
        """Plug ``host`` into ``bridge`` with a new interface holding ``cidr``.

        Returns the name of the bridge-side end (``pv<n>``): set it down and up with
        :meth:`set_link` to cut and heal the cable.
        """
        number = next(self._numbers)
        outside, inside = f"pv{number}", f"pv{number}h"
        ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        self.links.append(outside)
        ip("link", "set", outside, "master", bridge, "up")
        self._plug(host, inside, cidr, name or f"eth{len(host.addresses)}")
        return outside

    def cable(self, left: Host, left_cidr: str, right: Host, right_cidr: str) -> None:
        """A direct cable (veth pair) between two hosts."""
        number = next(self._numbers)
        a, b = f"pv{number}a", f"pv{number}b"
        ip("link", "add", a, "type", "veth", "peer", "name", b)
        self._plug(left, a, left_cidr, f"eth{len(left.addresses)}")
        self._plug(right, b, right_cidr, f"eth{len(right.addresses)}")

    def trunk(self, left: str, right: str) -> str:
        """Join two bridges with a cable; returns one end, for :meth:`set_link`."""
        number = next(self._numbers)
        a, b = f"pv{number}a", f"pv{number}b"
        ip("link", "add", a, "type", "veth", "peer", "name", b)
        self.links.append(a)
        ip("link", "set", a, "master", left, "up")
        ip("link", "set", b, "master", right, "up")
        return a

    def _plug(self, host: Host, interface: str, cidr: str, name: str) -> None:
        ip("link", "set", interface, "netns", host.namespace)
        host.ip("link", "set", interface, "name", name)
        host.ip("addr", "add", cidr, "dev", name)
        host.ip("link", "set", name, "up")
        host.addresses[name] = cidr.split("/")[0]

    def set_link(self, outside: str, up: bool) -> None:
        """Plug (``up``) or unplug the cable whose bridge end is ``outside``."""
        ip("link", "set", outside, "up" if up else "down")

    def _kill_leftovers(self, host: Host) -> None:
        """Kill, by PID, what a test started in ``host`` and left running: a live process
        would keep the namespace (and its interfaces) alive after ``ip netns del``."""
        done = subprocess.run(
            ["ip", "netns", "pids", host.namespace],
            capture_output=True,
            text=True,
            timeout=IP_COMMAND_TIMEOUT,
            check=False,
        )
        for pid in done.stdout.split():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)

    def close(self) -> None:
        """Delete every namespace, veth pair and bridge this lab made (best effort).

        Veth pairs and bridges are deleted explicitly, at once: a deleted namespace's
        interfaces are only destroyed later, in the kernel's background cleanup.
        """
        for name in [*self.links, *self.bridges]:
            subprocess.run(
                ["ip", "link", "del", name],
                capture_output=True,
                timeout=IP_COMMAND_TIMEOUT,
                check=False,
            )
        for host in self.hosts:
            self._kill_leftovers(host)
            subprocess.run(
                ["ip", "netns", "del", host.namespace],
                capture_output=True,
                timeout=IP_COMMAND_TIMEOUT,
                check=False,
            )
        self.hosts.clear()
        self.bridges.clear()
        self.links.clear()


def open_lab() -> Iterator[Lab]:
    """A :class:`Lab` torn down afterwards, whatever happens; make it a fixture with::

    @pytest.fixture
    def lab() -> Iterator[Lab]:
        yield from open_lab()
    """
    made = Lab()
    try:
        yield made
    finally:
        made.close()
