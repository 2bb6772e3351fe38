"""The §1 1:1 TCP chat end to end: papo and a video-style program, real processes, 127.0.0.1."""

from __future__ import annotations

import signal
import socket
import sys

import pytest
from conftest import PAPO, ROOT, free_tcp_port

HOST = "127.0.0.1"
VIDEO = [sys.executable, str(ROOT / "tests" / "handout" / "tcp_chat_video.py")]


def papo_server(run_process, name: str, port: int, *extra: str, lang: str = "en"):
    server = run_process(
        [*PAPO, "tcp", "servidor", name, "--host", HOST, "--port", str(port), *extra], lang=lang
    )
    server.wait_for(f"{HOST}:{port}")
    return server


def papo_client(run_process, name: str, port: int, *extra: str, lang: str = "en"):
    return run_process(
        [*PAPO, "tcp", "cliente", name, "--host", HOST, "--port", str(port), *extra], lang=lang
    )


def video_server(run_process, name: str, port: int):
    server = run_process([*VIDEO, "servidor", name, HOST, str(port)], lang="pt")
    server.wait_for("Aguardando conexão")
    return server


def video_client(run_process, name: str, port: int):
    return run_process([*VIDEO, "cliente", name, HOST, str(port)], lang="pt")


CONNECTED = {"en": "Connected with {peer}", "pt": "Conectado com {peer}"}


def papo_server_with_video_client(run_process, *, lang: str = "en"):
    """bia's papo server with ana's video client connected to it (both started)."""
    port = free_tcp_port()
    bia = papo_server(run_process, "bia", port, lang=lang)
    ana = video_client(run_process, "ana", port)
    bia.wait_for(CONNECTED[lang].format(peer="ana"))
    return bia, ana


def video_server_with_papo_client(run_process):
    """bia's video server with ana's papo client connected to it (both started)."""
    port = free_tcp_port()
    bia = video_server(run_process, "bia", port)
    ana = papo_client(run_process, "ana", port)
    ana.wait_for("Connected with bia")
    return bia, ana


def papo_pair(
    run_process,
    server_extra: tuple[str, ...] = (),
    client_extra: tuple[str, ...] = (),
    *,
    lang: str = "en",
    port: int | None = None,
):
    """bia's papo server and ana's papo client, each seen connected to the other."""
    port = port or free_tcp_port()
    bia = papo_server(run_process, "bia", port, *server_extra, lang=lang)
    ana = papo_client(run_process, "ana", port, *client_extra, lang=lang)
    bia.wait_for(CONNECTED[lang].format(peer="ana"))
    ana.wait_for(CONNECTED[lang].format(peer="bia"))
    return bia, ana


def talk(speaker, listener, shown: str) -> None:
    """``speaker`` types the text of ``shown`` ("nick: text"); ``listener`` shows it so."""
    speaker.write(shown.split(": ", 1)[1] + "\n")
    listener.wait_for(shown)


def assert_clean_exit(process, code: int = 0) -> None:
    returned = process.wait()
    stderr = process.stderr_now()
    assert returned == code, (process.args, process.rest(), stderr)
    assert "Traceback" not in stderr


def test_papo_server_and_video_client_alternate_and_fim_from_papo_ends_both(run_process):
    bia, ana = papo_server_with_video_client(run_process, lang="pt")
    ana.wait_for("Conectado com bia")

    talk(ana, bia, "ana: oi bia")
    talk(bia, ana, "bia: oi ana, tudo bem? ção 😀")
    talk(ana, bia, "ana: tudo ótimo")
    talk(bia, ana, "bia: fim")

    assert_clean_exit(ana)
    assert_clean_exit(bia)
    assert "chat encerrado." in bia.rest()


def test_video_server_and_papo_client_alternate_and_fim_from_video_ends_both(run_process):
    bia, ana = video_server_with_papo_client(run_process)
    bia.wait_for("Conectado com ana")

    talk(ana, bia, "ana: oi bia")
    talk(bia, ana, "bia: oi ana")
    talk(ana, bia, "ana: como vai?")
    talk(bia, ana, "bia: fim")
    ana.wait_for("bia ended the chat.")

    assert_clean_exit(ana)
    assert_clean_exit(bia)


def test_video_server_sees_papo_client_fim_and_ends(run_process):
    bia, ana = video_server_with_papo_client(run_process)
    talk(ana, bia, "ana: tchau")
    talk(bia, ana, "bia: tchau ana")
    talk(ana, bia, "ana: fim")
    assert_clean_exit(bia)
    assert_clean_exit(ana)


def test_a_quit_word_typed_in_capitals_still_ends_the_video_peer(run_process):
    bia, ana = video_server_with_papo_client(run_process)
    ana.write("  FIM \n")
    bia.wait_for("ana: fim")
    assert_clean_exit(bia)
    assert_clean_exit(ana)


def test_papo_server_ends_when_video_client_types_fim(run_process):
    bia, ana = papo_server_with_video_client(run_process)
    talk(ana, bia, "ana: fim")
    bia.wait_for("ana ended the chat.")
    assert_clean_exit(bia)
    assert_clean_exit(ana)


def test_piped_lines_are_sent_one_per_turn(run_process):
    """All of papo's lines are written at once: each still waits for the peer's turn."""
    port = free_tcp_port()
    bia = papo_server(run_process, "bia", port)
    bia.write("um\ndois\ntrês\n")
    ana = video_client(run_process, "ana", port)
    for mine, theirs in (("a", "um"), ("b", "dois"), ("c", "três")):
        ana.write(mine + "\n")
        bia.wait_for(f"ana: {mine}")
        ana.wait_for(f"bia: {theirs}")
    ana.write("fim\n")
    assert_clean_exit(ana)
    assert_clean_exit(bia)
    assert [line for line in bia.rest() if line.startswith("ana: ")] == [
        "ana: a",
        "ana: b",
        "ana: c",
        "ana: fim",
    ]


@pytest.mark.parametrize("quitter", ["client", "server"])
def test_papo_talks_to_papo_and_sair_from_either_side_ends_both(run_process, quitter: str):
    bia, ana = papo_pair(run_process, lang="pt")
    talk(ana, bia, "ana: oi")
    talk(bia, ana, "bia: olá")
    if quitter == "client":
        ana.write("  SAIR \n")
        bia.wait_for("ana encerrou o chat.")
    else:
        talk(ana, bia, "ana: mais uma")
        bia.write("sair\n")
        ana.wait_for("bia encerrou o chat.")
    assert_clean_exit(ana)
    assert_clean_exit(bia)


def test_end_of_input_sends_fim_to_the_video_peer(run_process):
    bia, ana = papo_server_with_video_client(run_process)
    talk(ana, bia, "ana: oi")
    bia.close_stdin()
    ana.wait_for("bia: fim")
    assert_clean_exit(ana)
    assert_clean_exit(bia)


def test_ctrl_c_sends_fim_to_the_video_peer_without_traceback(run_process):
    bia, ana = papo_server_with_video_client(run_process)
    talk(ana, bia, "ana: oi")  # now it is bia's turn: papo waits for a typed line
    bia.popen.send_signal(signal.SIGINT)
    ana.wait_for("bia: fim")
    assert_clean_exit(ana)
    assert_clean_exit(bia)


def test_a_peer_killed_mid_chat_is_reported_in_one_line(run_process):
    bia, ana = papo_server_with_video_client(run_process)
    talk(ana, bia, "ana: oi")
    talk(bia, ana, "bia: tudo bem?")
    ana.popen.kill()
    bia.wait_for("the connection to ana dropped")
    assert_clean_exit(bia, 1)


def test_papo_client_reports_a_vanished_papo_server(run_process):
    bia, ana = papo_pair(run_process)
    talk(ana, bia, "ana: oi")
    bia.popen.kill()
    ana.wait_for("the connection to bia dropped")
    assert_clean_exit(ana, 1)


def test_a_port_really_in_use_gives_one_line_naming_it(run_process):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind((HOST, 0))
        holder.listen()
        port = holder.getsockname()[1]
        bia = run_process([*PAPO, "tcp", "server", "bia", "--host", HOST, "--port", str(port)])
        assert bia.wait() == 1
        error = bia.stderr_now().strip()
    assert error.count("\n") == 0
    assert str(port) in error and "--port" in error


def test_a_restarted_server_reuses_its_port_at_once(run_process):
    port = free_tcp_port()
    for _ in range(2):
        bia, ana = papo_pair(run_process, port=port)
        ana.write("oi\n")
        bia.write("fim\n")  # the server closes first, so its port sits in TIME_WAIT
        assert_clean_exit(bia)
        assert_clean_exit(ana)


def test_client_with_no_server_gives_one_line_and_what_to_do(run_process):
    ana = papo_client(run_process, "ana", free_tcp_port())
    assert ana.wait() == 1
    error = ana.stderr_now().strip()
    assert error.count("\n") == 0 and "start the server first" in error


def test_moderno_papo_chat_is_full_duplex(run_process):
    bia, ana = papo_pair(run_process, ("--moderno",), ("--framed",), lang="pt")
    bia.write("primeira\nsegunda\n")  # two in a row: no alternation in this mode
    ana.wait_for("bia: primeira")
    ana.wait_for("bia: segunda")
    talk(ana, bia, "ana: resposta")
    ana.write("fim\n")
    bia.wait_for("ana encerrou o chat.")
    assert_clean_exit(bia)
    assert_clean_exit(ana)


def test_moderno_sends_one_json_envelope_per_line(run_process):
    port = free_tcp_port()
    bia = papo_server(run_process, "bia", port, "--moderno")
    with socket.create_connection((HOST, port), timeout=10) as sock:
        reader = sock.makefile("rb")
        hello = reader.readline()
        assert b'"user":"bia"' in hello and b'"type":"join"' in hello
        sock.sendall(b'{"user": "eve", "data": "", "type": "join"}\n{broken\n')
        sock.sendall(b'{"user": "eve", "data": "oi"}\n')
        bia.wait_for("eve: oi")
        bia.write("olá eve\n")
        line = reader.readline()
        assert '"user":"bia","data":"olá eve"'.encode() in line and line.endswith(b"\n")
        reader.close()  # the file object holds the socket open too
    bia.wait_for("the connection to eve dropped")
    assert_clean_exit(bia, 1)
    assert any("message dropped from eve" in line for line in bia.lines)


def test_ctrl_c_on_a_moderno_side_ends_the_other(run_process):
    bia, ana = papo_pair(run_process, ("--moderno",), ("--moderno",))
    ana.popen.send_signal(signal.SIGINT)
    bia.wait_for("ana ended the chat.")
    assert_clean_exit(bia)
    assert_clean_exit(ana)


def test_moderno_on_one_side_only_is_explained_in_one_line(run_process):
    port = free_tcp_port()
    bia = papo_server(run_process, "bia", port, "--moderno")
    ana = papo_client(run_process, "ana", port)
    bia.wait_for("the other side does not use --framed")
    assert_clean_exit(bia, 1)
    ana.wait_for("the other side uses --framed")
    assert_clean_exit(ana, 1)


def test_a_line_over_1024_bytes_is_refused_and_the_next_one_is_sent(run_process):
    bia, ana = papo_server_with_video_client(run_process)
    talk(ana, bia, "ana: oi")
    bia.write("ç" * 600 + "\ncurta\n")
    ana.wait_for("bia: curta")
    ana.write("fim\n")
    assert bia.wait() == 0
    assert "message too long (1200 bytes" in bia.stderr_now()
    assert_clean_exit(ana)
    assert not any("ç" in line for line in ana.rest())


def test_control_characters_from_the_peer_are_shown_escaped(run_process):
    port = free_tcp_port()
    bia = papo_server(run_process, "bia", port)
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall("e\x1b[31mve\u202e".encode())
        assert sock.recv(1024) == b"bia"
        bia.wait_for("Connected with e\\x1b[31mve\\u202e")
        sock.sendall(b"\x1b[2J\x07oi")
        assert bia.wait_for("oi") == "e\\x1b[31mve\\u202e: \\x1b[2J\\x07oi"


def test_ctrl_c_on_a_server_still_waiting_stops_it_cleanly(run_process):
    bia = papo_server(run_process, "bia", free_tcp_port())
    bia.popen.send_signal(signal.SIGINT)
    bia.wait_for("stopped.")
    assert_clean_exit(bia)


def read_pty_until(fd: int, needle: bytes, timeout: float = 10.0) -> bytes:
    """What the terminal shows until ``needle`` appears; fail after ``timeout`` seconds."""
    import os
    import select
    import time

    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"{needle!r} not seen on the terminal; got {seen!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the terminal closed: the program ended
                chunk = b""
            assert chunk, f"{needle!r} not seen before the terminal closed; got {seen!r}"
            seen += chunk
    return seen


def test_on_a_terminal_papo_prompts_with_the_name_and_ctrl_d_ends_cleanly(run_process):
    import fcntl
    import os
    import pty
    import subprocess
    import termios

    from conftest import papo_env

    def own_the_terminal() -> None:  # the pty is its controlling terminal, as in a shell
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    port = free_tcp_port()
    bia = video_server(run_process, "bia", port)
    main_fd, child_fd = pty.openpty()
    ana = subprocess.Popen(
        [*PAPO, "tcp", "client", "ana", "--host", HOST, "--port", str(port)],
        stdin=child_fd,
        stdout=child_fd,
        stderr=child_fd,
        env=papo_env("en"),
        cwd=ROOT,
        preexec_fn=own_the_terminal,
    )
    os.close(child_fd)
    try:
        read_pty_until(main_fd, b"Connected with bia\r\nana> ")
        os.write(main_fd, b"oi bia\r")
        bia.wait_for("ana: oi bia")
        bia.write("oi ana\n")
        read_pty_until(main_fd, b"bia: oi ana\r\nana> ")
        # Ctrl-D, not Ctrl-C: CPython's input() can miss a SIGINT that lands between the
        # prompt and its select() (Ctrl-C is covered by the signal tests above).
        os.write(main_fd, b"\x04")
        shown = read_pty_until(main_fd, b"chat ended.")
        assert b"Traceback" not in shown
        assert ana.wait(10) == 0
        bia.wait_for("ana: fim")
        assert_clean_exit(bia)
    finally:
        if ana.poll() is None:
            ana.kill()
            ana.wait(5)
        os.close(main_fd)
