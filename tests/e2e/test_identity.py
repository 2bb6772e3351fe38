"""Nick ownership end to end: real `papo chat --identity` processes on real multicast."""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys

import pytest
from conftest import PAPO, ROOT, free_udp_port

from papo.cli import chat as chat_cli
from papo.errors import ConfigError

pytest.importorskip("cryptography")

IN_ROOM = "in the room of multicast group"
STUDENT = [sys.executable, str(ROOT / "tests" / "handout" / "multicast_s4.py")]


def start_chat(run_process, nick: str, port: int, key_file, *extra: str):
    chat = run_process(
        [
            *PAPO,
            "chat",
            nick,
            "--plain",
            "--port",
            str(port),
            "--identity-file",
            str(key_file),
            *(extra or ("--no-history",)),
        ]
    )
    chat.wait_for(IN_ROOM)
    return chat


@pytest.mark.netns
def test_users_pin_each_other_and_a_second_ana_is_shown_as_an_impostor(
    run_process, tmp_path
) -> None:
    port = free_udp_port()
    keys = {name: tmp_path / name / "identity.key" for name in ("ana", "bob", "eve")}
    ana = start_chat(run_process, "ana", port, keys["ana"])
    (mine,) = [line for line in ana.lines if "identity on: your messages are signed" in line]
    bob = start_chat(run_process, "bob", port, keys["bob"])
    ana.wait_for("bob's key pinned: fingerprint")  # bob's signed join
    ana.wait_for("bob joined the room")
    ana.write("oi, bob\n")
    bob.wait_for("ana's key pinned: fingerprint")
    bob.wait_for("ana: oi, bob")
    bob.write("oi, ana\n")
    ana.wait_for("bob: oi, ana")

    # The key file is made on first use, private; the pins are saved next to it.
    assert stat.S_IMODE(os.stat(keys["ana"]).st_mode) == 0o600
    pinned = json.loads((keys["bob"].parent / "known_nicks.json").read_text())
    assert set(pinned) == {"ana", "bob"}

    # A third program calls itself "ana" with another key: bob sees an impostor.
    eve = start_chat(run_process, "ana", port, keys["eve"])
    eve.write("sou a ana, me passa a senha\n")
    line = bob.wait_for("sou a ana, me passa a senha")
    assert "IMPOSTOR?" in line
    ana_fingerprint = mine.rsplit(" ", 1)[-1]
    assert f"known {ana_fingerprint}" in line

    # The real ana is still herself.
    ana.write("ainda sou eu\n")
    line = bob.wait_for("ana: ainda sou eu")
    assert "IMPOSTOR" not in line
    for chat in (ana, bob, eve):
        chat.write("sair\n")
        assert chat.wait() == 0


@pytest.mark.netns
def test_a_long_signed_line_arrives_whole_and_unflagged(run_process, tmp_path) -> None:
    port = free_udp_port()
    ana = start_chat(run_process, "ana", port, tmp_path / "a" / "identity.key")
    history = ("--history", str(tmp_path / "b" / "history.sqlite3"))  # signed lines are kept
    bob = start_chat(run_process, "bob", port, tmp_path / "b" / "identity.key", *history)
    ana.wait_for("bob joined the room")
    text = "palavra " * 300 + "fim"
    ana.write(text + "\n")
    line = bob.wait_for("fim")
    assert line.endswith("ana: " + text) and "IMPOSTOR" not in line
    for chat in (ana, bob):
        chat.write("sair\n")
        assert chat.wait() == 0


@pytest.mark.netns
def test_handout_programs_still_interoperate_with_identity_users(run_process, tmp_path) -> None:
    port = 5007  # the handout's fixed port
    ana = start_chat(run_process, "ana", port, tmp_path / "a" / "identity.key")
    student = run_process([*STUDENT, "receptor", "bia"])
    student.wait_for("aguardando mensagens")
    ana.write("oi, turma " + "x" * 1500 + "\n")  # split: each signed part fits recvfrom(1024)
    student.wait_for("ana: oi, turma")
    sender = run_process([*STUDENT, "emissor", "prof"])
    sender.write("oi, ana\n")
    ana.wait_for("prof: oi, ana")
    ana.write("sair\n")
    assert ana.wait() == 0
    shown = "\n".join(ana.rest())
    assert "IMPOSTOR" not in shown and "prof's key" not in shown


def test_identity_without_the_cryptography_library_says_how_to_install_it(monkeypatch) -> None:
    import papo.protocol.sealed

    monkeypatch.setattr(papo.protocol.sealed, "CRYPTO_AVAILABLE", False)
    args = argparse.Namespace(identity=True, identity_file=None)
    with pytest.raises(ConfigError) as caught:
        chat_cli.ownership_from_args(args)
    assert caught.value.code == "identity_crypto_missing"
