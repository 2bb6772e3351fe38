"""`papo chat` in plain mode end to end: real processes over pipes, real multicast."""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import sys

import pytest
from conftest import MULTICAST_PY, PAPO, ROOT, free_udp_port, papo_env
from terminals import untimed

pytestmark = pytest.mark.netns

GROUP = "224.3.29.71"
IN_ROOM = "in the room of multicast group"
STUDENT = [sys.executable, str(ROOT / "tests" / "handout" / "multicast_s4.py")]


def send_raw(payload: bytes, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as sock:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("b", 1))
        sock.sendto(payload, (GROUP, port))


def start_chat(run_process, nick: str, port: int, *extra: str, lang: str = "en"):
    chat = run_process([*PAPO, "chat", nick, "--port", str(port), *extra], lang=lang)
    chat.wait_for(IN_ROOM if lang == "en" else "na sala do grupo multicast")
    return chat


def test_three_users_chat_over_pipes_line_by_line(run_process) -> None:
    port = free_udp_port()
    ana = start_chat(run_process, "ana", port)
    bob = start_chat(run_process, "bob", port)
    ana.wait_for("bob joined the room")
    cid = start_chat(run_process, "cid", port, "--plain")
    for chat in (ana, bob):
        chat.wait_for("cid joined the room")

    ana.write("oi, gente\n")
    for chat in (ana, bob, cid):
        chat.wait_for("ana: oi, gente")
    bob.write("/me acena\n")
    for chat in (ana, bob, cid):
        chat.wait_for("* bob acena")
    cid.write("/msg ana segredo\n")
    ana.wait_for("cid → ana (private): segredo")
    cid.wait_for("cid → ana (private): segredo")
    ana.write("/who\n")
    ana.wait_for("In the room (3): ana, bob, cid")
    bob.write("sair\n")
    bob.wait_for("you left the room.")
    assert bob.wait() == 0
    for chat in (ana, cid):
        chat.wait_for("bob left")
    cid.write("/quit\n")
    ana.wait_for("cid left")
    assert cid.wait() == 0
    ana.close_stdin()  # end of input leaves too
    assert ana.wait() == 0

    assert untimed(ana.rest()) == [
        "-- You are ana. Type and press Enter; /help lists the commands; sair or /quit leaves.",
        "-- in the room of multicast group 224.3.29.71 port " + str(port),
        "-- bob joined the room",
        "-- cid joined the room",
        "ana: oi, gente",
        "* bob acena",
        "cid → ana (private): segredo",
        "-- In the room (3): ana, bob, cid",
        "-- bob left",
        "-- cid left",
        "-- you left the room.",
    ]
    assert untimed(bob.rest())[2:] == [
        "-- cid joined the room",
        "ana: oi, gente",
        "* bob acena",
        "-- you left the room.",
    ]
    assert untimed(cid.rest())[2:] == [
        "ana: oi, gente",
        "* bob acena",
        "cid → ana (private): segredo",
        "-- bob left",
        "-- you left the room.",
    ]


def test_chat_and_help_speak_portuguese_with_lang_pt(run_process) -> None:
    port = free_udp_port()
    ana = start_chat(run_process, "ana", port, lang="pt")
    ana.write("/help\n")
    ana.wait_for("/msg NOME texto")
    ana.write("sair\n")
    ana.wait_for("você saiu da sala.")
    assert ana.wait() == 0
    english = run_process([*PAPO, "--lang", "en", "chat", "bob", "--port", str(port)], lang="pt")
    english.wait_for(IN_ROOM)
    english.close_stdin()
    assert english.wait() == 0


def test_handout_sender_and_receivers_interoperate_with_the_chat(run_process) -> None:
    port = free_udp_port()
    papo_receiver = run_process([*MULTICAST_PY, "receptor", "bia", "--port", str(port)])
    papo_receiver.wait_for("waiting for messages")
    ana = start_chat(run_process, "ana", port)
    sender = run_process([*MULTICAST_PY, "emissor", "zé", "--port", str(port)])
    sender.wait_for("ready")

    sender.write("olá sala\n")
    ana.wait_for("zé: olá sala")
    papo_receiver.wait_for("zé: olá sala")
    ana.write("oi zé\n")
    papo_receiver.wait_for("ana: oi zé")
    ana.write("sair\n")
    assert ana.wait() == 0
    papo_receiver.wait_for("ana: saiu / left")  # shown, and it does not stop the receiver

    bob = start_chat(run_process, "bob", port)
    sender.write("sair\n")
    assert sender.wait() == 0
    bob.wait_for("zé left")  # the handout's sair is that user leaving, not the window
    papo_receiver.wait_for("typed 'sair'")
    assert papo_receiver.wait() == 0
    bob.write("/who\n")
    bob.wait_for("In the room (1): bob")
    bob.write("sair\n")
    assert bob.wait() == 0


def test_student_receiver_survives_join_presence_and_leave_of_the_chat(run_process) -> None:
    student = run_process([*STUDENT, "receptor", "bia"])  # the handout's fixed port 5007
    student.wait_for("aguardando mensagens")
    ana = start_chat(run_process, "ana", 5007)
    student.wait_for("ana: entrou / joined")
    ana.write("oi bia\n")
    student.wait_for("ana: oi bia")
    ana.write("sair\n")
    assert ana.wait() == 0
    student.wait_for("ana: saiu / left")
    assert student.popen.poll() is None  # still running: papo's leave is not "sair"
    send_raw(json.dumps({"user": "prof", "data": "sair"}).encode(), 5007)
    assert student.wait() == 0


def test_hostile_message_stays_on_its_own_line_in_plain_mode(run_process) -> None:
    port = free_udp_port()
    ana = start_chat(run_process, "ana", port)
    hostile = "\x1b[2J\x1b[H\x1b]0;pwned\x07\rX\u202eevil\u2066\x9b31m" + "y" * 7_000
    send_raw(json.dumps({"user": "mal\x1b[0m", "data": hostile}).encode(), port)
    line = ana.wait_for("mal")
    assert "\x1b" not in line and "\r" not in line and "\u202e" not in line
    assert line.count("y") == 7_000
    long_sender = start_chat(run_process, "longo", port)
    long_sender.write("z" * 10_000 + "\n")
    long_sender.write("fim\n")
    ana.wait_for("longo: fim")
    (long_line,) = [line for line in ana.lines if "z" * 50 in line]
    assert long_line.endswith("longo: " + "z" * 10_000)  # sent in parts, shown whole
    ana.write("sair\n")
    long_sender.write("sair\n")
    assert ana.wait() == 0 and long_sender.wait() == 0
    for line in ana.rest():
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in line), line


def test_json_mode_prints_received_envelopes(run_process) -> None:
    port = free_udp_port()
    reader = run_process([*PAPO, "chat", "leitor", "--port", str(port), "--json"])
    reader.wait_for('"code":"chat_connected_multicast"')
    send_raw(json.dumps({"user": "zé", "data": "oi\x1b"}).encode(), port)
    line = reader.wait_for('"user"')
    assert line.isascii()
    envelope = json.loads(line)
    assert (envelope["user"], envelope["data"]) == ("zé", "oi\x1b")
    reader.close_stdin()
    assert reader.wait() == 0


def test_invalid_nick_is_one_clear_line_and_exit_code_2() -> None:
    result = subprocess.run(
        [*PAPO, "chat", "ana maria"],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
        env=papo_env("en"),
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "invalid nick" in result.stderr
