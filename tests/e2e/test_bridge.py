"""Two LAN sites, each a network namespace with a multicast room and a bridge, chat
through a real 3-node NATS cluster; every message is shown once per site."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PAPO
from nats_cluster import NatsCluster, require_nats_server

from papo.protocol.message import MessageType
from papo.transport.base import Delivered
from papo.transport.nats import NatsTransport

pytestmark = pytest.mark.netns

#: Seconds any one line may take to appear.
WAIT = 20.0


@dataclass
class Site:
    """A LAN in its own namespace, linked to the test's namespace by a veth pair."""

    namespace: str
    gateway: str  # the test namespace's address on the link: where the cluster listens

    def command(self, *args: str) -> list[str]:
        return ["ip", "netns", "exec", self.namespace, *args]


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@pytest.fixture
def sites() -> Iterator[list[Site]]:
    made: list[Site] = []
    try:
        for index, letter in enumerate("ab", start=1):
            namespace = f"papo-site-{letter}-{os.getpid()}"
            host_if, site_if = f"pv{letter}{os.getpid()}"[:13], f"pv{letter}s{os.getpid()}"[:13]
            gateway, address = f"10.231.{index}.1", f"10.231.{index}.2"
            try:
                _ip("netns", "add", namespace)
            except (subprocess.CalledProcessError, FileNotFoundError) as exc:
                if os.environ.get("CI") == "true":
                    pytest.fail(f"cannot create a network namespace: {exc}")
                pytest.skip(f"cannot create a network namespace: {exc}")
            made.append(Site(namespace, gateway))
            _ip("link", "add", host_if, "type", "veth", "peer", "name", site_if, "netns", namespace)
            _ip("addr", "add", f"{gateway}/30", "dev", host_if)
            _ip("link", "set", host_if, "up")
            _ip("-n", namespace, "addr", "add", f"{address}/30", "dev", site_if)
            _ip("-n", namespace, "link", "set", site_if, "up")
            _ip("-n", namespace, "link", "set", "lo", "up")
            _ip("-n", namespace, "link", "set", "lo", "multicast", "on")
            # The LAN's multicast stays on the site's loopback; TCP reaches the cluster.
            _ip("-n", namespace, "route", "add", "224.0.0.0/4", "dev", "lo", "src", "127.0.0.1")
            _ip("-n", namespace, "route", "add", "default", "via", gateway)
        yield made
    finally:
        for site in made:
            subprocess.run(["ip", "netns", "del", site.namespace], capture_output=True, timeout=10)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    nodes = NatsCluster(require_nats_server(), tmp_path, host="0.0.0.0")
    try:
        nodes.start()
        yield nodes
    finally:
        nodes.stop()


def wait_all(process, needles: list[str]) -> None:
    """Read ``process``'s output until every needle has been seen, in any order."""
    while not all(any(needle in line for line in process.lines) for needle in needles):
        process.wait_for("", WAIT)  # the next line, whatever it says


def read_room(cluster: NatsCluster) -> list[str]:
    """Every chat text stored in the room, read by a NATS user who joins afterwards."""

    async def scenario() -> list[str]:
        reader = NatsTransport(cluster.urls(), "nina", replay=100)
        await reader.open()
        texts: list[str] = []

        async def collect() -> None:
            async for event in reader.events():
                if isinstance(event, Delivered) and event.message.type == MessageType.CHAT:
                    texts.append(event.message.data)

        task = asyncio.create_task(collect())
        deadline = asyncio.get_running_loop().time() + WAIT
        while len(texts) < 4 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        await reader.close()
        await task
        return texts

    return asyncio.run(scenario())


def test_two_lans_chat_through_the_cluster_and_each_message_shows_once_per_site(
    sites: list[Site], cluster: NatsCluster, run_process
) -> None:
    site_a, site_b = sites
    processes = {}
    for name, site, first in (("a", site_a, "n1"), ("b", site_b, "n2")):
        urls = ",".join(cluster.urls(first, host=site.gateway))
        bridge = run_process(site.command(*PAPO, "bridge", "--nats", urls))
        bridge.wait_for("Bridge ready", WAIT)
        receiver = run_process(site.command(*PAPO, "receive", f"r{name}"))
        receiver.wait_for("waiting for messages", WAIT)
        processes[f"bridge_{name}"], processes[f"r{name}"] = bridge, receiver
    ana = run_process(site_a.command(*PAPO, "send", "ana"))
    bob = run_process(site_b.command(*PAPO, "send", "bob"))
    ana.wait_for("ready", WAIT)
    bob.wait_for("ready", WAIT)
    ra, rb = processes["ra"], processes["rb"]

    ana.write("oi de A\n")
    rb.wait_for("ana: oi de A", WAIT)
    bob.write("oi de B\n")
    ra.wait_for("bob: oi de B", WAIT)
    ana.write("fim A\n")
    bob.write("fim B\n")
    lines = ["ana: oi de A", "bob: oi de B", "ana: fim A", "bob: fim B"]
    for receiver in (ra, rb):
        wait_all(receiver, lines)
        shown = [line.split("] ", 1)[-1] for line in receiver.lines]
        assert sorted(text for text in shown if text in lines) == sorted(lines), receiver.lines
    assert sorted(read_room(cluster)) == sorted(["oi de A", "oi de B", "fim A", "fim B"])

    # A NATS user (no LAN at all) reaches both LANs, once each.
    options = ["--plain", "--no-history", "--replay", "0"]
    nina = run_process([*PAPO, "nats", "nina", "--server", ",".join(cluster.urls("n3")), *options])
    nina.wait_for("NATS", WAIT)
    nina.write("oi de nina\n")
    for receiver in (ra, rb):
        receiver.wait_for("nina: oi de nina", WAIT)
    nina.write("sair\n")
    assert nina.wait(WAIT) == 0
    ana.write("depois de nina\n")
    rb.wait_for("ana: depois de nina", WAIT)
    for receiver in (ra, rb):
        assert sum(line.endswith("nina: oi de nina") for line in receiver.lines) == 1
