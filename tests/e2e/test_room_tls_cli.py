"""``papo serve`` with TLS and history, end to end: real processes on 127.0.0.1."""

from __future__ import annotations

import pytest
from conftest import PAPO, free_tcp_port

from tests.e2e.test_room_cli import HOST, Sock, start_server

pytest.importorskip("cryptography")

from papo.protocol.message import ChatMessage
from papo.protocol.room import encode_room, join_line
from tests.transport.tls_certs import ServerFiles, make_server_files


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> ServerFiles:
    return make_server_files(tmp_path_factory.mktemp("tls-cli"))


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> ServerFiles:
    """A certificate for a name that is not this machine."""
    return make_server_files(
        tmp_path_factory.mktemp("tls-cli-other"), names=("other.example",), addresses=()
    )


def tls_server(run_process, certs: ServerFiles, port: int, *extra: str):
    return start_server(
        run_process, port, "--tls-cert", str(certs.cert), "--tls-key", str(certs.key), *extra
    )


def one_line_error(process) -> str:
    assert process.wait(timeout=15) in (1, 2)  # a network problem, a bad option
    error = process.stderr_now().strip()
    assert error and "\n" not in error and "Traceback" not in error, error
    return error


def test_two_users_chat_over_tls_with_connect_and_chat_server(run_process, certs) -> None:
    port = free_tcp_port()
    server = tls_server(run_process, certs, port)
    assert "TLS" in server.lines[-1]
    ana = run_process(
        [*PAPO, "connect", f"{HOST}:{port}", "ana", "--plain", "--tls-ca", str(certs.ca)]
    )
    ana.wait_for("connected to the room")
    bia = run_process(
        [
            *PAPO,
            "chat",
            "bia",
            "--server",
            f"localhost:{port}",
            "--tls-ca",
            str(certs.ca),
            "--plain",
        ]
    )
    bia.wait_for("connected to the room")
    ana.wait_for("bia joined")
    ana.write("oi por TLS\n")
    bia.wait_for("ana: oi por TLS")
    bia.write("/me acena\n")
    ana.wait_for("* bia acena")
    server.wait_for("bia joined")
    for process in (ana, bia):
        process.close_stdin()
        assert process.wait(timeout=10) == 0
        assert "Traceback" not in process.stderr_now()


def test_each_tls_mistake_is_one_line_and_the_server_keeps_serving(
    run_process, certs, stranger
) -> None:
    port = free_tcp_port()
    server = tls_server(run_process, certs, port)
    where = f"{HOST}:{port}"
    plain = run_process([*PAPO, "connect", where, "eve", "--plain"])
    assert "--tls" in one_line_error(plain)
    system_cas = run_process([*PAPO, "connect", where, "eve", "--plain", "--tls"])
    assert "not trusted" in one_line_error(system_cas)
    other_port = free_tcp_port()
    tls_server(run_process, stranger, other_port)
    wrong_name = run_process(
        [*PAPO, "connect", f"{HOST}:{other_port}", "eve", "--plain", "--tls-ca", str(stranger.ca)]
    )
    assert f"not valid for the name '{HOST}'" in one_line_error(wrong_name)
    insecure = run_process([*PAPO, "connect", where, "eve", "--plain", "--tls-insecure"])
    insecure.wait_for("connected to the room")
    insecure.close_stdin()
    assert insecure.wait(timeout=10) == 0
    warning = insecure.stderr_now().strip()
    assert warning.startswith("WARNING: --tls-insecure") and "\n" not in warning
    server.wait_for("eve joined")
    assert server.popen.poll() is None


def test_a_tls_client_on_a_plain_server_is_one_line_and_the_server_logs_it(
    run_process, certs
) -> None:
    port = free_tcp_port()
    server = start_server(run_process, port)
    client = run_process(
        [*PAPO, "connect", f"{HOST}:{port}", "eve", "--plain", "--tls-ca", str(certs.ca)]
    )
    assert "did not answer in TLS" in one_line_error(client)
    server.wait_for("tried TLS")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["serve", "--tls-cert", "x.pem"], "go together"),
        (["serve", "--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"], "read"),
        (["serve", "--history", "-1"], "--history"),
        (["chat", "ana", "--tls"], "--server"),
        (["connect", "127.0.0.1:1", "ana", "--tls-ca", "/nonexistent.pem"], "read"),
    ],
)
def test_bad_tls_and_history_options_are_one_line(run_process, args, needle) -> None:
    process = run_process([*PAPO, *args])
    assert needle in one_line_error(process)


def test_a_late_joiner_sees_the_last_lines_once_in_order_and_no_private(run_process) -> None:
    port = free_tcp_port()
    start_server(run_process, port, "--history", "3")
    ana, bia = Sock(port), Sock(port)
    ana.send(join_line("ana"))
    ana.until("welcome")
    bia.send(join_line("bia"))
    bia.until("welcome")
    for number in range(1, 5):
        ana.send(encode_room(ChatMessage(user="ana", data=f"linha {number}")))
    ana.send(encode_room(ChatMessage(user="ana", data="segredo", type="private", to="bia")))
    assert bia.until("private")["data"] == "segredo"  # every line above was handled
    cida = run_process([*PAPO, "connect", f"{HOST}:{port}", "cida", "--plain"])
    cida.wait_for("3 earlier message(s)")
    cida.wait_for("end of the earlier messages")
    ana.send(encode_room(ChatMessage(user="ana", data="ao vivo")))
    cida.wait_for("ana: ao vivo")
    shown = [line for line in cida.lines if "ana: " in line]
    assert [line.split("ana: ", 1)[1] for line in shown] == [
        "linha 2",
        "linha 3",
        "linha 4",
        "ao vivo",
    ]
    assert not any("segredo" in line for line in cida.lines)
