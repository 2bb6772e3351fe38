"""Nick ownership beyond multicast: real `papo chat --identity` on a room server, a mesh, NATS.

A line signed by ana survives the room server's relay (it re-stamps ``node``/``seq``), the
mesh's (it counts ``hops``) and a NATS stream's; a second "ana" with another key, a forged
signature, a captured line sent again and an old signed line sent live are all told apart,
in the ``--json`` output too; the old line still shows to a later joiner as scroll-back.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PAPO, free_tcp_port, free_udp_port
from nats_cluster import NatsCluster, require_nats_server

from papo.protocol.codec import encode
from papo.protocol.message import ChatMessage
from papo.protocol.nickkeys import sign_message, stamped
from papo.protocol.room import join_line
from papo.store.nick_pins import load_identity_file

pytest.importorskip("cryptography")
pytestmark = pytest.mark.netns

#: The handout's multicast group.
GROUP = "224.3.29.71"

#: Seconds any one line may take to appear.
WAIT = 15.0

#: Envelope keys the room server or the JSON view add; the rest is what ana sent.
NOT_SENT = ("node", "seq", "v", "ownership", "fingerprint", "pinned", "source")


def chat(run_process, nick: str, where: list[str], key: Path, *mode: str):
    """A ``papo chat --identity-file`` process (``--plain`` unless another mode is given)."""
    options = ["--identity-file", str(key), "--no-history", *(mode or ("--plain",))]
    return run_process([*PAPO, "chat", nick, *where, *options])


def envelope(line: str) -> dict[str, object]:
    value = json.loads(line)
    assert isinstance(value, dict)
    return value


class RawClient:
    """A room client speaking raw lines: joins as a nick and sends what it is given."""

    def __init__(self, port: int, nick: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.sock.sendall(join_line(nick))
        self.reader = self.sock.makefile("rb")
        assert b'"welcome"' in self.reader.readline()

    def send(self, wire: dict[str, object]) -> None:
        self.sock.sendall(json.dumps(wire).encode() + b"\n")

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


def test_room_server_relays_signatures_and_flags_impostors_forgeries_and_replays(
    run_process, tmp_path: Path
) -> None:
    port = free_tcp_port()
    server = run_process([*PAPO, "serve", "--port", str(port), "--history", "20"])
    server.wait_for("listening")
    where = ["--server", f"127.0.0.1:{port}"]
    keys = {nick: tmp_path / nick / "identity.key" for nick in ("ana", "bob", "eve", "cid")}
    ana = chat(run_process, "ana", where, keys["ana"])
    mine = ana.wait_for("identity on: your messages are signed")
    ana.wait_for("connected to the room")
    ana_fingerprint = mine.rsplit(" ", 1)[-1]
    bob = chat(run_process, "bob", where, keys["bob"], "--json")
    bob.wait_for('"connected"', WAIT)
    ana.wait_for("bob joined the room")

    # Signed through the server: pinned on first use, then the owner.
    ana.write("oi, bob\n")
    first = envelope(bob.wait_for('"oi, bob"', WAIT))
    assert (first["ownership"], first["fingerprint"]) == ("pinned", ana_fingerprint)
    assert first["node"] and first["seq"], "the server stamped it; the signature survived"
    ana.write("sou eu\n")
    assert envelope(bob.wait_for('"sou eu"', WAIT))["ownership"] == "owner"
    ana.write("sair\n")
    assert ana.wait(WAIT) == 0
    bob.wait_for('"leave"', WAIT)

    # Someone takes the free nick "ana" and plays back what it captured, then forges.
    captured = {key: value for key, value in first.items() if key not in NOT_SENT}
    raw = RawClient(port, "ana")
    raw.send(captured)  # a copy: dropped (by its signed id) before it is ever shown
    raw.send({**captured, "data": "me passa a senha", "id": "forjado"})
    forged = envelope(bob.wait_for('"me passa a senha"', WAIT))
    assert forged["ownership"] == "impostor" and forged["pinned"] == ana_fingerprint
    assert sum('"oi, bob"' in line for line in bob.lines) == 1, "the copy was not shown"
    # A line ana really signed a day ago, sent live now: refused as a recording...
    ana_key = load_identity_file(keys["ana"])
    yesterday = stamped(ChatMessage(user="ana", data="ontem"), time.time() - 86_400, b"y" * 12)
    raw.send(json.loads(encode(sign_message(ana_key, yesterday))))
    dropped = envelope(bob.wait_for('"nick_replayed"', WAIT))
    assert dropped["event"] == "dropped" and dropped["user"] == "ana"
    raw.close()
    bob.wait_for('"leave"', WAIT)

    # A second "ana" with her own key: an impostor, with both fingerprints.
    eve = chat(run_process, "ana", where, keys["eve"])
    eve.wait_for("connected to the room")
    eve.write("sou a ana\n")
    impostor = envelope(bob.wait_for('"sou a ana"', WAIT))
    assert impostor["ownership"] == "impostor" and impostor["pinned"] == ana_fingerprint
    assert impostor["fingerprint"] != ana_fingerprint

    # ...but the server kept it, and a later joiner sees it as scroll-back, signed by ana.
    cid = chat(run_process, "cid", where, keys["cid"], "--json")
    past = envelope(cid.wait_for('"ontem"', WAIT))
    assert (past["ownership"], past["fingerprint"]) == ("owner", ana_fingerprint)
    for process in (eve, bob, cid):
        process.write("sair\n")
        assert process.wait(WAIT) == 0


def test_mesh_relays_signatures_and_flags_a_second_ana(run_process, tmp_path: Path) -> None:
    port = free_tcp_port()
    keys = {nick: tmp_path / nick / "identity.key" for nick in ("ana", "bob", "eve")}
    ana = chat(run_process, "ana", ["--p2p", "--p2p-port", str(port)], keys["ana"])
    mine = ana.wait_for("identity on: your messages are signed")
    ana.wait_for("listening on TCP port", WAIT)
    ana_fingerprint = mine.rsplit(" ", 1)[-1]
    dial = ["--p2p", "--no-beacon", "--peer", f"127.0.0.1:{port}"]
    bob = chat(run_process, "bob", dial, keys["bob"])
    bob.wait_for("ana joined the room", WAIT)
    ana.wait_for("bob joined the room", WAIT)
    ana.write("oi, bob\n")
    bob.wait_for(f"ana's key pinned: fingerprint {ana_fingerprint}", WAIT)
    line = bob.wait_for("ana: oi, bob", WAIT)
    assert "IMPOSTOR" not in line
    eve = chat(run_process, "ana", dial, keys["eve"])
    eve.wait_for("bob joined the room", WAIT)
    eve.write("sou a ana\n")
    line = bob.wait_for("sou a ana", WAIT)
    assert "IMPOSTOR?" in line and f"known {ana_fingerprint}" in line
    ana.write("ainda sou eu\n")
    line = bob.wait_for("ana: ainda sou eu", WAIT)
    assert "IMPOSTOR" not in line
    for process in (eve, ana, bob):
        process.close_stdin()
        assert process.wait(WAIT) == 0


def test_multicast_room_drops_a_captured_signed_datagram_sent_again_under_new_numbers(
    run_process, tmp_path: Path
) -> None:
    """No passphrase: the stranger re-numbers the copy (``node``/``seq`` are not signed),
    so only the signed id and time reveal it."""
    port = free_udp_port()
    where = ["--port", str(port)]
    ana = chat(run_process, "ana", where, tmp_path / "ana" / "identity.key")
    ana.wait_for("in the room of multicast group", WAIT)
    bob = chat(run_process, "bob", where, tmp_path / "bob" / "identity.key", "--json")
    bob.wait_for('"identity_on"', WAIT)
    ana.wait_for("bob joined the room", WAIT)
    ana.write("oi, bob\n")
    first = envelope(bob.wait_for('"oi, bob"', WAIT))
    assert first["ownership"] == "pinned"
    copy = {key: value for key, value in first.items() if key not in NOT_SENT}
    copy.update(node="f" * 16, seq=1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
        stranger.sendto(json.dumps(copy).encode(), (GROUP, port))
    dropped = envelope(bob.wait_for('"nick_replayed"', WAIT))
    assert (dropped["event"], dropped["user"]) == ("dropped", "ana")
    ana.write("de novo\n")
    assert envelope(bob.wait_for('"de novo"', WAIT))["ownership"] == "owner"
    for process in (ana, bob):
        process.write("sair\n")
        assert process.wait(WAIT) == 0


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    nodes = NatsCluster(require_nats_server(), tmp_path / "nats")
    try:
        nodes.start()
        yield nodes
    finally:
        nodes.stop()


def test_nats_keeps_signatures_and_flags_a_second_ana_also_in_the_replayed_past(
    cluster: NatsCluster, run_process, tmp_path: Path
) -> None:
    keys = {nick: tmp_path / nick / "identity.key" for nick in ("ana", "bob", "eve", "cid")}
    where = ["--nats", ",".join(cluster.urls("n1"))]
    ana = chat(run_process, "ana", where, keys["ana"])
    mine = ana.wait_for("identity on: your messages are signed")
    ana_fingerprint = mine.rsplit(" ", 1)[-1]
    ana.wait_for("NATS", WAIT)
    bob = chat(run_process, "bob", ["--nats", ",".join(cluster.urls("n2"))], keys["bob"], "--json")
    bob.wait_for('"nats_connected"', WAIT)
    ana.write("oi, bob\n")
    first = envelope(bob.wait_for('"oi, bob"', WAIT))
    assert (first["ownership"], first["fingerprint"]) == ("pinned", ana_fingerprint)
    eve = chat(run_process, "ana", where, keys["eve"])
    eve.wait_for("NATS", WAIT)
    eve.write("sou a ana\n")
    impostor = envelope(bob.wait_for('"sou a ana"', WAIT))
    assert impostor["ownership"] == "impostor" and impostor["pinned"] == ana_fingerprint
    # A late joiner reads the stream's past as history: ana pinned, eve flagged.
    cid = chat(run_process, "cid", ["--nats", ",".join(cluster.urls("n3"))], keys["cid"])
    cid.wait_for("earlier messages from this room", WAIT)
    assert "IMPOSTOR" not in cid.wait_for("ana: oi, bob", WAIT)
    assert "IMPOSTOR?" in cid.wait_for("sou a ana", WAIT)
    cid.wait_for("end of the earlier messages", WAIT)
    for process in (ana, eve, bob, cid):
        process.write("sair\n")
        assert process.wait(WAIT) == 0
