"""`papo peer --senha` end to end: sealed mesh links between simulated hosts (namespaces).

Members chat through relays; a wrong passphrase, a plain peer, a stranger dialling in and
a recording relay on a link all see nothing readable, and each refusal is one line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from netns import Lab, open_lab

from .test_p2p import WAIT, Peer, chat_round, lan

pytestmark = [pytest.mark.netns]
pytest.importorskip("cryptography")

SECRET = ["--senha", "cavalo correto"]

#: A TCP relay that records every byte both ways into a file: ``relay LISTEN_PORT HOST
#: PORT FILE``; one connection, until either side closes.
RELAY = """
import asyncio, sys
port, host, target, path = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
out = open(path, "ab", buffering=0)
async def pump(reader, writer):
    while data := await reader.read(65536):
        out.write(data)
        writer.write(data)
        await writer.drain()
    writer.close()
async def serve(reader, writer):
    up_reader, up_writer = await asyncio.open_connection(host, target)
    await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer), return_exceptions=True)
async def main():
    server = await asyncio.start_server(serve, "0.0.0.0", port)
    print("relaying", flush=True)
    await server.serve_forever()
asyncio.run(main())
"""

#: A stranger dials a node and prints (as JSON) the bytes it is sent within one second.
STRANGER = """
import json, socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.settimeout(1.0)
data = b""
try:
    while chunk := s.recv(65536):
        data += chunk
except TimeoutError:
    pass
print(json.dumps(data.decode("latin-1")))
"""


@pytest.fixture
def lab() -> Iterator[Lab]:
    yield from open_lab()


def dropped(peer: Peer, reason: str) -> list[dict]:
    return [r for r in peer.records() if r.get("event") == "dropped" and r["reason"] == reason]


def test_three_hosts_in_a_line_with_the_passphrase_chat_through_the_relay(
    lab: Lab, run_process
) -> None:
    ana, bia, caio = lab.host("ana"), lab.host("bia"), lab.host("caio")
    lab.cable(ana, "10.91.1.1/24", bia, "10.91.1.2/24")
    lab.cable(bia, "10.91.2.2/24", caio, "10.91.2.3/24")
    peers = [Peer(run_process, host, host.label, *SECRET) for host in (ana, bia, caio)]
    for peer in peers:
        peer.wait_roster("ana", "bia", "caio")
        assert peer.status("mesh_sealed_on"), peer.process.lines
    chat_round(peers)
    for peer in peers:
        assert not [r for r in peer.records() if r.get("event") == "dropped"], peer.process.lines


def test_wrong_passphrase_sees_nothing_and_the_others_say_so_once(lab: Lab, run_process) -> None:
    hosts = lan(lab, ["ana", "bia", "eva"], "10.92.0")
    ana, bia = (Peer(run_process, host, host.label, *SECRET) for host in hosts[:2])
    eva = Peer(run_process, hosts[2], "eva", "--senha", "senha errada")
    for peer in (ana, bia):
        peer.wait_roster("ana", "bia")
        peer.wait_record(lambda r: r.get("reason") == "sealed_wrong_passphrase")
    eva.wait_record(lambda r: r.get("reason") == "sealed_wrong_passphrase")
    ana.say("segredo de ana")
    eva.say("mensagem de eva")
    bia.wait_text("ana", "segredo de ana")
    for peer in (ana, bia, eva):
        peer.quit()
    assert eva.count("ana", "segredo de ana") == 0
    assert not [r for r in eva.records() if r.get("type") in ("chat", "join")]
    for peer in (ana, bia):
        assert peer.count("eva", "mensagem de eva") == 0
        assert len(dropped(peer, "sealed_wrong_passphrase")) == 1, peer.process.lines
    assert len(dropped(eva, "sealed_wrong_passphrase")) == 2, eva.process.lines  # ana, bia


def test_eavesdroppers_on_a_link_see_no_word_of_the_chat(
    lab: Lab, run_process, tmp_path: Path
) -> None:
    ana, bia, spy = lan(lab, ["ana", "bia", "spy"], "10.93.0")
    recording = tmp_path / "link.bin"
    relay = run_process(
        spy.command(sys.executable, "-c", RELAY, "40100", ana.address, "40100", str(recording))
    )
    relay.wait_for("relaying", WAIT)
    ana_peer = Peer(
        run_process,
        ana,
        "ana",
        *SECRET,
        "--port",
        "40100",
        "--no-beacon",
        "--peer",
        f"{spy.address}:1",
    )
    bia_peer = Peer(
        run_process, bia, "bia", *SECRET, "--no-beacon", "--peer", f"{spy.address}:40100"
    )
    for peer in (ana_peer, bia_peer):
        peer.wait_roster("ana", "bia")
    ana_peer.say("palavra secreta")
    bia_peer.say("resposta escondida")
    bia_peer.wait_text("ana", "palavra secreta")
    ana_peer.wait_text("bia", "resposta escondida")

    stranger = spy.run(sys.executable, "-c", STRANGER, ana.address, "40100")
    seen = json.loads(stranger.stdout).encode("latin-1")
    assert seen.startswith(b"sealed "), stranger
    for peer in (ana_peer, bia_peer):
        peer.quit()
    recorded = recording.read_bytes()
    assert recorded.count(b"sealed ") >= 4, recorded[:200]
    for word in (b"palavra", b"secreta", b"resposta", b"escondida", b"ana", b"bia", b"user"):
        assert word not in recorded and word not in seen, word


def test_plain_and_passphrase_peers_each_say_so_in_one_line(lab: Lab, run_process) -> None:
    ana, leo = lan(lab, ["ana", "leo"], "10.94.0")
    ana_peer = Peer(run_process, ana, "ana", *SECRET)
    leo_peer = Peer(run_process, leo, "leo")
    ana_peer.wait_record(lambda r: r.get("reason") == "mesh_peer_plain")
    leo_peer.wait_record(lambda r: r.get("reason") == "mesh_peer_sealed")
    ana_peer.say("oi")
    for peer in (ana_peer, leo_peer):
        peer.quit()
    assert leo_peer.count("ana", "oi") == 0
    assert len(dropped(ana_peer, "mesh_peer_plain")) == 1, ana_peer.process.lines
    assert len(dropped(leo_peer, "mesh_peer_sealed")) == 1, leo_peer.process.lines


def test_papo_chat_p2p_with_the_passphrase_joins_a_sealed_papo_peer(lab: Lab, run_process) -> None:
    ana, bia = lan(lab, ["ana", "bia"], "10.95.0")
    peers = [
        Peer(run_process, ana, "ana", *SECRET),
        Peer(run_process, bia, "bia", "--p2p", "--no-history", *SECRET, command="chat"),
    ]
    for peer in peers:
        peer.wait_roster("ana", "bia")
    chat_round(peers)
