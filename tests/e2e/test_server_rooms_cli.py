"""``papo serve`` with named rooms, end to end: ``connect --room`` and ``chat --server --room``."""

from __future__ import annotations

from conftest import PAPO, free_tcp_port

from papo.protocol.room import join_line
from tests.e2e.test_room_cli import HOST, Sock, start_server

WAIT = 15.0


def test_users_in_a_named_room_talk_and_the_default_room_hears_nothing(run_process) -> None:
    port = free_tcp_port()
    server = start_server(run_process, port)
    where = f"{HOST}:{port}"
    ana = run_process([*PAPO, "connect", where, "ana", "--plain", "--room", "grupo1"])
    assert ana.wait_for("connected to the room", WAIT).endswith(f"{where}/grupo1 as ana")
    server.wait_for("[grupo1] + ana joined", WAIT)  # the console names the room
    bia = run_process(
        [*PAPO, "chat", "bia", "--server", where, "--sala", "GRUPO1", "--plain", "--no-history"]
    )
    bia.wait_for("connected to the room", WAIT)
    ana.wait_for("bia joined", WAIT)
    old = Sock(port)  # the handout's way: a join without a room, the default room
    old.send(join_line("ana"))  # the same nick, another room: allowed
    assert old.until("welcome")["nicks"] == ["ana"]
    bia.write("oi, grupo\n")
    ana.wait_for("bia: oi, grupo", WAIT)
    old.send(b'{"user":"ana","data":"","type":"who"}\n')
    before = []  # everything the default room got before the roster it asked for
    while (line := old.next(WAIT)) is not None and line.get("type") != "roster":
        before.append(line)
    assert line is not None and line["nicks"] == ["ana"]
    assert not any(item.get("type", "chat") == "chat" for item in before), before
    old.close()
    for user in (ana, bia):
        user.write("sair\n")
        assert user.popen.wait(WAIT) == 0
        assert "Traceback" not in user.stderr_now()


def test_serve_max_rooms_caps_the_named_rooms_with_one_clear_line(run_process) -> None:
    port = free_tcp_port()
    start_server(run_process, port, "--max-rooms", "1")
    where = f"{HOST}:{port}"
    ana = run_process([*PAPO, "connect", where, "ana", "--plain", "--room", "grupo1"])
    ana.wait_for("connected to the room", WAIT)
    bia = run_process([*PAPO, "connect", where, "bia", "--plain", "--room", "grupo2"])
    assert bia.popen.wait(WAIT) != 0
    refusal = bia.stderr_now()
    assert "too many rooms (at most 1)" in refusal and "Traceback" not in refusal
    bad = run_process([*PAPO, "serve", "--host", HOST, "--port", "0", "--max-rooms", "-1"])
    assert bad.popen.wait(WAIT) == 2
    assert "--max-rooms -1 is not valid" in bad.stderr_now()
    ana.write("sair\n")
    assert ana.popen.wait(WAIT) == 0
