"""Passphrase mode end to end: real processes, real multicast, inside a network namespace."""

from __future__ import annotations

import socket
import struct
import sys
from pathlib import Path

import pytest
from conftest import MULTICAST_PY, PAPO, Process, free_udp_port

pytest.importorskip("cryptography")

from papo.protocol.sealed import MAGIC, SEAL_OVERHEAD

pytestmark = pytest.mark.netns

GROUP = "224.3.29.71"
SECRET = "cavalo correto bateria grampo"
READY = "waiting for messages"


def send_raw(payload: bytes, port: int) -> None:
    """One datagram to the group, as anybody on the LAN could send it."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as sock:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("b", 1))
        sock.sendto(payload, (GROUP, port))


class Eavesdropper:
    """A raw socket joined to the group: what any stranger on the LAN captures."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        self.sock.bind((GROUP, port))
        membership = socket.inet_aton(GROUP) + socket.inet_aton("0.0.0.0")
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)

    def capture(self, count: int, timeout: float = 10.0) -> list[bytes]:
        self.sock.settimeout(timeout)
        return [self.sock.recv(70_000) for _ in range(count)]

    def close(self) -> None:
        self.sock.close()


def papo(role: str, nick: str, port: int, *extra: str, secret: str | None = None) -> list[str]:
    """The papo command line; ``secret`` goes through PAPO_SENHA, not argv."""
    env = ["env", f"PAPO_SENHA={secret}"] if secret is not None else []
    return [*env, *PAPO, role, nick, "--port", str(port), *extra]


def start_receiver(run_process, nick: str, port: int, *extra: str, secret=None) -> Process:
    receiver = run_process(papo("receive", nick, port, *extra, secret=secret))
    receiver.wait_for(READY)
    return receiver


def test_members_read_each_other_and_an_eavesdropper_sees_only_ciphertext(run_process) -> None:
    port = free_udp_port()
    spy = Eavesdropper(port)
    try:
        bia = start_receiver(run_process, "bia", port, "--senha", SECRET)
        cid = start_receiver(run_process, "cid", port, secret=SECRET)
        assert "passphrase mode" in bia.lines[0]
        ana = run_process(papo("send", "ana", port, "--passphrase", SECRET))
        ana.wait_for("ready")
        ana.write("encontro às 18h na sala 3\n")
        for receiver in (bia, cid):
            receiver.wait_for("ana: encontro às 18h na sala 3")
        (captured,) = spy.capture(1)
    finally:
        spy.close()
    assert captured.startswith(MAGIC)
    # Clues of 3+ bytes only: a single byte (say "{") turns up in random ciphertext by chance.
    for clue in (b"encontro", "às".encode(), b"ana", b"user", b"data", b'{"us'):
        assert clue not in captured[len(MAGIC) :]
    assert len(captured) > SEAL_OVERHEAD
    ana.write("sair\n")
    for receiver in (bia, cid):
        receiver.wait_for("ana typed 'sair'")
        assert receiver.wait() == 0


def test_replayed_and_forged_datagrams_are_rejected_and_counted(run_process) -> None:
    port = free_udp_port()
    spy = Eavesdropper(port)
    try:
        bia = start_receiver(run_process, "bia", port, secret=SECRET)
        ana = run_process(papo("send", "ana", port, secret=SECRET))
        ana.write("transfira 10 reais\n")
        bia.wait_for("ana: transfira 10 reais")
        (captured,) = spy.capture(1)
    finally:
        spy.close()

    send_raw(captured, port)  # an attacker replays what it captured
    assert "replayed; rejected so far: 1" in bia.wait_for("datagram dropped")
    send_raw(captured, port)
    assert "replayed; rejected so far: 2" in bia.wait_for("datagram dropped")
    forged = bytearray(captured)
    forged[-20] ^= 0x01  # flip one bit of the ciphertext
    send_raw(bytes(forged), port)
    assert "forged or corrupted" in bia.wait_for("datagram dropped")
    send_raw(captured[:-1] + bytes([captured[-1] ^ 0xFF]), port)
    assert "forged or corrupted (authentication failed); rejected so far: 2" in bia.wait_for(
        "datagram dropped"
    )

    ana.write("depois do ataque\n")
    bia.wait_for("ana: depois do ataque")
    shown = [line for line in bia.lines if "transfira" in line]
    assert len(shown) == 1, "the replayed message must be shown once"
    ana.write("sair\n")
    assert bia.wait() == 0
    assert "Traceback" not in bia.stderr_now()


def test_wrong_passphrase_gets_one_clear_line_per_datagram(run_process) -> None:
    port = free_udp_port()
    bia = start_receiver(run_process, "bia", port, secret="senha errada")
    cid = start_receiver(run_process, "cid", port, secret=SECRET)
    ana = run_process(papo("send", "ana", port, secret=SECRET))
    ana.write("oi\n")
    cid.wait_for("ana: oi")
    line = bia.wait_for("datagram dropped")
    assert "cannot decrypt: wrong passphrase?" in line
    assert "oi" not in line.split("wrong passphrase")[1]
    ana.write("sair\n")
    cid.wait_for("ana typed 'sair'")
    assert "dropped so far: 2" in bia.wait_for("wrong passphrase")
    assert bia.popen.poll() is None, "a wrong passphrase must not stop the receiver"


def test_plain_sender_is_refused_by_a_passphrase_receiver_and_vice_versa(run_process) -> None:
    port = free_udp_port()
    sealed_bia = start_receiver(run_process, "bia", port, secret=SECRET)
    plain_cid = start_receiver(run_process, "cid", port)
    intruder = run_process(papo("send", "eve", port))
    intruder.write("sou a ana\n")
    plain_cid.wait_for("eve: sou a ana")
    assert "not encrypted (sent without the passphrase?)" in sealed_bia.wait_for("dropped")
    ana = run_process([*MULTICAST_PY, "emissor", "ana", "--port", str(port), "--senha", SECRET])
    ana.write("segredo\n")
    sealed_bia.wait_for("ana: segredo")
    assert "not valid UTF-8" in plain_cid.wait_for("from 127.0.0.1")
    assert all("segredo" not in line for line in plain_cid.lines)


def test_passphrase_without_cryptography_says_how_to_install_it(
    run_process, tmp_path: Path
) -> None:
    fake = tmp_path / "cryptography"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('not installed')\n")
    command = [
        "env",
        f"PYTHONPATH={tmp_path}",
        sys.executable,
        "-c",
        "import sys; sys.path.insert(0, 'src'); from papo.cli import main; "
        "sys.exit(main(sys.argv[1:]))",
        "receive",
        "bia",
        "--senha",
        "x",
        "--port",
        str(free_udp_port()),
    ]
    process = run_process(command)
    assert process.wait() == 2
    stderr = process.popen.stderr.read().strip().splitlines()
    assert stderr == [
        "papo: error: passphrase mode needs the cryptography library: "
        "install it with pip install 'papo[crypto]'"
    ]


def test_chat_room_with_a_passphrase_talks_and_a_stranger_cannot_read(run_process) -> None:
    port = free_udp_port()
    spy = Eavesdropper(port)
    try:
        ana = run_process(
            ["env", f"PAPO_SENHA={SECRET}", *PAPO, "chat", "ana", "--port", str(port)]
        )
        ana.wait_for("in the room")
        bob = run_process([*PAPO, "chat", "bob", "--port", str(port), "--senha", SECRET])
        bob.wait_for("in the room")
        ana.wait_for("bob joined the room")
        bob.write("só entre nós\n")
        ana.wait_for("bob: só entre nós")
        captured = spy.capture(3)
    finally:
        spy.close()
    for datagram in captured:
        assert datagram.startswith(MAGIC) and "só".encode() not in datagram
    bob.write("sair\n")
    ana.wait_for("bob left")


def test_chat_refuses_a_passphrase_with_the_tcp_server() -> None:
    import subprocess

    from conftest import papo_env

    result = subprocess.run(
        [*PAPO, "chat", "ana", "--server", "127.0.0.1:9", "--senha", "x"],
        env=papo_env(),
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "papo: error: the passphrase (--senha, PAPO_SENHA) works only for multicast and P2P "
        "(--p2p) for now: drop --server/--nats, or the passphrase (without it the chat is not "
        "encrypted)"
    ]


def test_every_passphrase_command_in_the_readme_is_accepted() -> None:
    import shlex

    from conftest import ROOT

    from papo.cli import build_parser

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Passphrase mode, safety and fuzzing", 1)[1].split("```")[1]
    commands = [line.split("#", 1)[0].strip() for line in section.strip().splitlines()]
    assert len(commands) == 4
    for command in commands:
        words = shlex.split(command)
        words = [word for word in words if not word.startswith("PAPO_SENHA=")]
        if words[:2] == ["python", "multicast.py"]:
            words = ["papo", *words[2:]]
        assert words[0] == "papo"
        args = build_parser("en").parse_args(words[1:])
        assert args.handler is not None
