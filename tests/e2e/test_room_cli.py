"""``papo serve`` and ``papo connect`` end to end: real processes, raw sockets, 127.0.0.1."""

from __future__ import annotations

import json
import signal
import socket
import time

import pytest
from conftest import PAPO, free_tcp_port

from papo.protocol.framing import LineFramer
from papo.protocol.message import ChatMessage
from papo.protocol.room import encode_room, join_line, leave_line

HOST = "127.0.0.1"


class Sock:
    """A blocking raw-socket room client with a deadline on every read."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection((HOST, port), timeout=5)
        self.framer = LineFramer()
        self.pending: list[dict] = []

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def next(self, timeout: float = 5.0) -> dict | None:
        deadline = time.monotonic() + timeout
        while not self.pending:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            data = self.sock.recv(65536)
            if not data:
                return None
            self.pending.extend(json.loads(line) for line in self.framer.feed(data))
        return self.pending.pop(0)

    def until(self, kind: str, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            message = self.next(deadline - time.monotonic())
            assert message is not None, f"closed before a {kind!r} line"
            if message.get("type", "chat") == kind:
                return message

    def close(self) -> None:
        self.sock.close()


def start_server(run_process, port: int, *extra: str, lang: str = "en", command: str = "serve"):
    server = run_process([*PAPO, command, "--host", HOST, "--port", str(port), *extra], lang=lang)
    server.wait_for(f"{HOST}:{port}")
    return server


def test_serve_relays_between_raw_socket_clients_and_logs_joins(run_process):
    port = free_tcp_port()
    server = start_server(run_process, port)
    ana, bia = Sock(port), Sock(port)
    ana.send(join_line("ana"))
    assert ana.until("welcome")["nicks"] == ["ana"]
    bia.send(join_line("bia"))
    assert bia.until("welcome")["nicks"] == ["ana", "bia"]
    assert ana.until("join")["user"] == "bia"
    ana.send(encode_room(ChatMessage(user="ana", data="oi, bia 😀")))
    got = bia.until("chat")
    assert (got["user"], got["data"]) == ("ana", "oi, bia 😀")
    bia.send(leave_line("bia"))
    assert ana.until("leave")["code"] == "room_quit"
    server.wait_for("bia left")
    ana.close()


def test_sigterm_tells_clients_and_the_server_exits_within_a_second(run_process):
    port = free_tcp_port()
    server = start_server(run_process, port)
    ana = Sock(port)
    ana.send(join_line("ana"))
    ana.until("welcome")
    server.wait_for("ana joined")
    started = time.monotonic()
    server.popen.send_signal(signal.SIGTERM)
    notice = ana.until("shutdown", timeout=2)
    assert notice["code"] == "room_server_shutdown"
    assert ana.next(timeout=2) is None
    assert server.wait(timeout=5) == 0
    assert time.monotonic() - started < 1.5  # includes the interpreter's own exit
    server.wait_for("Room server stopped")
    assert "Traceback" not in server.stderr_now()


def test_ctrl_c_stops_the_server_gracefully_too(run_process):
    port = free_tcp_port()
    server = start_server(run_process, port)
    server.popen.send_signal(signal.SIGINT)
    assert server.wait(timeout=5) == 0
    server.wait_for("Room server stopped")


def test_pt_alias_servidor_speaks_portuguese(run_process):
    port = free_tcp_port()
    server = run_process([*PAPO, "servidor", "--host", HOST, "--port", str(port)], lang="pt")
    server.wait_for("ouvindo em")


def test_a_port_really_in_use_gives_a_one_line_error(run_process):
    port = free_tcp_port()
    with socket.socket() as holder:
        holder.bind((HOST, port))
        holder.listen()
        server = run_process([*PAPO, "serve", "--host", HOST, "--port", str(port)])
        assert server.wait(timeout=10) == 1
        error = server.stderr_now().strip()
    assert "\n" not in error and "Traceback" not in error
    assert str(port) in error and "--port" in error
    assert server.rest() == []  # no "listening" or "shutting down" line either


def test_bad_input_from_one_client_does_not_hurt_the_others(run_process):
    port = free_tcp_port()
    server = start_server(run_process, port)
    ana, bia = Sock(port), Sock(port)
    ana.send(join_line("ana"))
    ana.until("welcome")
    bia.send(join_line("bia"))
    bia.until("welcome")
    vandal = Sock(port)
    vandal.send(b"\xff\xfe garbage\n" + b"x" * 70_000 + b"\nnot json\n")
    codes = [vandal.until("error")["code"] for _ in range(3)]
    assert codes == ["decode_invalid_utf8", "frame_too_long", "room_not_json"]
    ana.send(encode_room(ChatMessage(user="ana", data="nothing lost")))
    assert bia.until("chat")["data"] == "nothing lost"
    assert server.popen.poll() is None


def connect(run_process, port: int, nick: str, *extra: str, lang: str = "en"):
    return run_process([*PAPO, "connect", f"{HOST}:{port}", nick, "--plain", *extra], lang=lang)


def test_connect_is_the_chat_window_on_the_room(run_process):
    port = free_tcp_port()
    server = start_server(run_process, port)
    ana = connect(run_process, port, "ana")
    ana.wait_for("connected to the room")
    bia = connect(run_process, port, "bia")
    bia.wait_for("connected to the room")
    ana.wait_for("bia joined")
    ana.write("oi bia\n")
    bia.wait_for("ana: oi bia")
    bia.write("/msg ana psst\n")
    ana.wait_for("psst")
    bia.write("/me acena\n")
    ana.wait_for("* bia acena")
    ana.write("/who\n")
    ana.wait_for("ana, bia")
    ana.write("sair\n")
    assert ana.wait(timeout=10) == 0
    bia.wait_for("ana left")
    server.wait_for("ana left")
    assert bia.popen.poll() is None  # sair means "I leave", not "everyone stops"
    bia.close_stdin()
    assert bia.wait(timeout=10) == 0
    assert "Traceback" not in ana.stderr_now() + bia.stderr_now()


def test_connect_rejoins_after_the_server_restarts(run_process):
    port = free_tcp_port()
    server = start_server(run_process, port)
    ana = connect(run_process, port, "ana")
    ana.wait_for("connected to the room")
    server.popen.send_signal(signal.SIGTERM)
    assert server.wait(timeout=5) == 0
    ana.wait_for("shutting down")
    ana.wait_for("retrying")
    again = start_server(run_process, port)
    ana.wait_for("connected to the room", timeout=20)
    again.wait_for("ana joined")
    bia = Sock(port)
    bia.send(join_line("bia"))
    bia.until("welcome")
    ana.write("de volta\n")
    assert bia.until("chat")["data"] == "de volta"


def test_connect_with_a_taken_nick_says_so_in_one_line_with_a_suggestion(run_process):
    port = free_tcp_port()
    start_server(run_process, port)
    first = Sock(port)
    first.send(join_line("ana"))
    first.until("welcome")
    second = connect(run_process, port, "ANA")
    assert second.wait(timeout=10) == 2
    error = second.stderr_now().strip()
    assert "\n" not in error and "ANA2" in error and "Traceback" not in error


def test_connect_to_no_server_says_so_in_one_line(run_process):
    port = free_tcp_port()
    client = connect(run_process, port, "ana", lang="pt")
    assert client.wait(timeout=10) == 1
    error = client.stderr_now().strip()
    assert "\n" not in error and f"127.0.0.1:{port}" in error and "papo serve" in error


def test_addresses_parse_with_default_port_and_ipv6_brackets():
    from papo.cli.room import parse_address
    from papo.errors import ConfigError
    from papo.protocol.room import DEFAULT_ROOM_PORT

    assert parse_address("example.lan") == ("example.lan", DEFAULT_ROOM_PORT)
    assert parse_address("10.0.0.2:6000") == ("10.0.0.2", 6000)
    assert parse_address("[::1]:6000") == ("::1", 6000)
    assert parse_address("[fe80::1]") == ("fe80::1", DEFAULT_ROOM_PORT)
    for bad in ("", ":80", "host:port", "[::1", "[::1]x", "host:0", "host:70000"):
        with pytest.raises(ConfigError):
            parse_address(bad)


@pytest.mark.netns  # listens on every interface: only inside the private namespace
def test_serve_on_every_address_takes_ipv4_and_ipv6_clients(run_process):
    port = free_tcp_port()
    server = run_process([*PAPO, "serve", "--host", "*", "--port", str(port)])
    ready = server.wait_for("listening on")
    assert f"0.0.0.0:{port}" in ready and f"[::]:{port}" in ready
    four = Sock(port)
    four.send(join_line("four"))
    four.until("welcome")
    six = socket.create_connection(("::1", port), timeout=5)
    six.sendall(join_line("six"))
    assert four.until("join")["user"] == "six"
    six.close()
