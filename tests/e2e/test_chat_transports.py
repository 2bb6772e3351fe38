"""The same chat window on the other transports: a TCP room server and a P2P mesh."""

from __future__ import annotations

import pytest
from conftest import PAPO, free_tcp_port

pytestmark = pytest.mark.netns


def test_chat_with_server_flag_talks_through_a_room_server(run_process) -> None:
    port = free_tcp_port()
    server = run_process([*PAPO, "serve", "--port", str(port)])
    server.wait_for("listening")
    where = f"127.0.0.1:{port}"
    ana = run_process([*PAPO, "chat", "ana", "--server", where])
    ana.wait_for("connected to the room")
    bob = run_process([*PAPO, "chat", "bob", "--server", where, "--plain"])
    bob.wait_for("connected to the room")
    ana.wait_for("bob joined the room")
    ana.write("oi bob\n")
    bob.wait_for("ana: oi bob")
    bob.write("/msg ana psiu\n")
    ana.wait_for("bob → ana (private): psiu")
    ana.write("/who\n")
    ana.wait_for("In the room (2): ana, bob")
    bob.write("sair\n")
    ana.wait_for("bob left")
    ana.write("sair\n")
    assert bob.wait() == 0 and ana.wait() == 0


def test_chat_with_p2p_flag_talks_peer_to_peer(run_process) -> None:
    port = free_tcp_port()
    cid = run_process([*PAPO, "chat", "cid", "--p2p", "--p2p-port", str(port)])
    cid.wait_for("listening on TCP port")
    dan = run_process([*PAPO, "chat", "dan", "--p2p", "--no-beacon", "--peer", f"127.0.0.1:{port}"])
    dan.wait_for("cid joined the room")
    cid.wait_for("dan joined the room")
    dan.write("oi cid\n")
    cid.wait_for("dan: oi cid")
    cid.write("/me acena\n")
    dan.wait_for("* cid acena")
    cid.write("sair\n")
    dan.wait_for("cid left")
    dan.close_stdin()
    assert cid.wait() == 0 and dan.wait() == 0
