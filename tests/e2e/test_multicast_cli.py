"""The handout's §4 deliverable end to end: real processes, real multicast, in a namespace."""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator

import pytest
from conftest import MULTICAST_PY, PAPO, ROOT

pytestmark = pytest.mark.netns

GROUP, PORT = "224.3.29.71", 5007
READY = "waiting for messages"
HANDOUT = ROOT / "tests" / "handout"


def send_raw(payload: bytes, group: str = GROUP, port: int = PORT) -> None:
    """One datagram to the group, as any program on the LAN could send it."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as sock:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("b", 1))
        sock.sendto(payload, (group, port))


def start_receiver(run_process, name: str, command=MULTICAST_PY, role="receptor", lang="en"):
    receiver = run_process([*command, role, name], lang=lang)
    receiver.wait_for(READY if lang == "en" else "aguardando mensagens")
    return receiver


def test_each_sender_reaches_both_receivers_and_sair_from_either_ends_both(run_process) -> None:
    bia = start_receiver(run_process, "bia", MULTICAST_PY, "receptor")
    cid = start_receiver(run_process, "cid", PAPO, "receive")
    ana = run_process([*MULTICAST_PY, "emissor", "ana"])
    bob = run_process([*PAPO, "sender", "bob"])
    ana.wait_for("ready")
    bob.wait_for("ready")

    ana.write("oi de ana\n")
    for receiver in (bia, cid):
        receiver.wait_for("ana: oi de ana")
    bob.write("oi do bob\n")
    for receiver in (bia, cid):
        receiver.wait_for("bob: oi do bob")

    bob.write("sair\n")
    for receiver in (bia, cid):
        receiver.wait_for("bob typed 'sair'")
        assert receiver.wait() == 0
    assert bob.wait() == 0
    ana.write("sair\n")
    assert ana.wait() == 0

    for sender, other in ((ana, "oi do bob"), (bob, "oi de ana")):
        output = "\n".join(sender.rest())
        assert other not in output, "a sender must not receive another sender's messages"


def test_receiver_shows_user_and_time_stamp_in_portuguese(run_process) -> None:
    bia = start_receiver(run_process, "bia", MULTICAST_PY, "receptor", lang="pt")
    ana = run_process([*MULTICAST_PY, "emissor", "ana"], lang="pt")
    ana.write("olá, ção 😀\nsair\n")
    line = bia.wait_for("ana: olá, ção 😀")
    assert line.startswith("[") and line[9] == "]" and line[3] == ":"  # [HH:MM:SS]
    bia.wait_for("ana digitou 'sair'")
    assert bia.wait() == 0 and ana.wait() == 0


@pytest.mark.parametrize("stop", ["  SAIR  ", "Sair"])
def test_sair_is_recognised_in_any_case_and_with_spaces(run_process, stop: str) -> None:
    bia = start_receiver(run_process, "bia")
    ana = run_process([*MULTICAST_PY, "emissor", "ana"])
    ana.write("antes\n" + stop + "\n")
    bia.wait_for("ana typed 'sair'")
    assert bia.wait() == 0 and ana.wait() == 0
    assert "antes" in "\n".join(bia.lines)


def test_end_of_input_on_a_sender_acts_like_sair(run_process) -> None:
    bia = start_receiver(run_process, "bia")
    ana = run_process([*PAPO, "send", "ana"])
    ana.write("última\n")
    ana.close_stdin()
    bia.wait_for("ana typed 'sair'")
    assert bia.wait() == 0 and ana.wait() == 0


def test_ctrl_c_on_a_sender_sends_sair_without_traceback(run_process) -> None:
    bia = start_receiver(run_process, "bia")
    ana = run_process([*PAPO, "send", "ana"])
    ana.wait_for("ready")
    ana.popen.send_signal(signal.SIGINT)
    bia.wait_for("ana typed 'sair'")
    assert ana.wait() == 0
    assert "Traceback" not in ana.stderr_now()


def test_ctrl_c_on_a_receiver_stops_it_without_traceback(run_process) -> None:
    bia = start_receiver(run_process, "bia")
    bia.popen.send_signal(signal.SIGINT)
    assert bia.wait() == 0
    assert "Traceback" not in bia.stderr_now()


def test_papo_sender_talks_to_the_handout_receivers(run_process) -> None:
    listing = run_process([sys.executable, str(HANDOUT / "receiver_s2.py")])
    listing.wait_for("Receptor aguardando mensagens...")
    student = run_process([sys.executable, str(HANDOUT / "multicast_s4.py"), "receptor", "bia"])
    student.wait_for("aguardando mensagens")
    ana = run_process([*MULTICAST_PY, "emissor", "ana"])
    ana.write("oi, turma\n")

    raw = listing.wait_for("oi, turma")
    payload = json.loads(raw.split(": ", 1)[1])
    assert payload["user"] == "ana" and payload["data"] == "oi, turma"
    student.wait_for("ana: oi, turma")

    ana.write("sair\n")
    student.wait_for("ana: sair")
    assert student.wait() == 0 and ana.wait() == 0


def test_handout_sender_talks_to_the_papo_receiver(run_process) -> None:
    cid = start_receiver(run_process, "cid", PAPO, "receptor")
    student = run_process([sys.executable, str(HANDOUT / "multicast_s4.py"), "emissor", "ana"])
    student.write("mensagem do roteiro\nsair\n")
    cid.wait_for("ana: mensagem do roteiro")
    cid.wait_for("ana typed 'sair'")
    assert cid.wait() == 0 and student.wait() == 0


def test_plain_text_sender_is_shown_not_crashed_on(run_process) -> None:
    cid = start_receiver(run_process, "cid")
    listing = run_process([sys.executable, str(HANDOUT / "sender_s2.py")])
    assert listing.wait() == 0
    line = cid.wait_for("Olá, grupo multicast!")
    assert "(plain text)" in line and "127.0.0.1:" in line
    send_raw(b'{"user": "ana", "data": "depois"}')
    cid.wait_for("ana: depois")


def test_long_message_reaches_handout_receivers_in_parts_that_fit_1024_bytes(run_process) -> None:
    student = run_process([sys.executable, str(HANDOUT / "multicast_s4.py"), "receptor", "bia"])
    student.wait_for("aguardando mensagens")
    cid = start_receiver(run_process, "cid")
    text = " ".join(f"palavra{index:04d}" for index in range(400))  # about 5 KB
    ana = run_process([*MULTICAST_PY, "emissor", "ana"])
    ana.write(text + "\nsair\n")
    student.wait_for("ana: sair")
    assert student.wait() == 0, student.stderr_now()
    received = "".join(
        line.removeprefix("ana: ") for line in student.lines if line.startswith("ana: ")
    )
    assert received.removesuffix("sair") == text
    cid.wait_for("ana typed 'sair'")
    parts = [line for line in cid.lines if "ana [" in line]
    assert len(parts) >= 5 and "[1/" in parts[0]


BAD_DATAGRAMS = [
    (b"\xff\xfe\x00garbage", "not valid UTF-8"),
    (b"{broken json", "invalid JSON"),
    (b"[1, 2, 3]", "not an object"),
    (b'{"data": "no user"}', "'user' is missing"),
    (b'{"user": "ana", "data": 42}', "'data' should be string"),
    (b'{"user": ["x"], "data": "oi"}', "'user' should be string"),
    (b'{"user": "ana", "data": "' + b"x" * 20_000 + b'"}', "too long"),
    (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    (b"", "empty datagram"),
]


def test_bad_datagrams_are_reported_in_one_line_and_the_receiver_goes_on(run_process) -> None:
    cid = start_receiver(run_process, "cid")
    for index, (payload, expected) in enumerate(BAD_DATAGRAMS):
        send_raw(payload)
        line = cid.wait_for("datagram dropped")
        assert expected in line, (payload[:40], line)
        send_raw(json.dumps({"user": "ana", "data": f"good {index}"}).encode())
        cid.wait_for(f"ana: good {index}")
    assert cid.popen.poll() is None
    send_raw(b'{"user": "ana", "data": "sair"}')
    assert cid.wait() == 0
    assert "Traceback" not in cid.stderr_now()


def test_remote_text_is_rendered_terminal_safe(run_process) -> None:
    cid = start_receiver(run_process, "cid")
    evil = {"user": "ev\x1b[31mil", "data": "a\x1b]0;title\x07b\rc\u202ed\u2066e\nf"}
    send_raw(json.dumps(evil).encode())
    line = cid.wait_for("ev\\x1b[31mil")
    for forbidden in ("\x1b", "\x07", "\r", "\u202e", "\u2066"):
        assert forbidden not in line
    assert "\\x1b]0;title\\x07b\\x0dc\\u202ed\\u2066e\\x0af" in line


def test_interface_by_name_and_by_address(run_process) -> None:
    for interface in ("lo", "127.0.0.1"):
        cid = run_process([*PAPO, "receive", "cid", "--interface", interface])
        cid.wait_for(READY)
        ana = run_process([*PAPO, "send", "ana", "--interface", interface])
        ana.write(f"via {interface}\nsair\n")
        cid.wait_for(f"ana: via {interface}")
        assert cid.wait() == 0 and ana.wait() == 0


@pytest.fixture
def veth_pair() -> Iterator[str]:
    """A veth pair inside the test's namespace (IPv6 multicast does not loop on lo)."""
    name = f"pv6{os.getpid() % 10000}"
    for conf in ("default", "all"):
        with open(f"/proc/sys/net/ipv6/conf/{conf}/accept_dad", "w") as knob:
            knob.write("0")  # no duplicate-address detection: the address is usable at once
    subprocess.run(
        ["ip", "link", "add", name, "type", "veth", "peer", "name", name + "b"], check=True
    )
    try:
        for device in (name, name + "b"):
            subprocess.run(["ip", "link", "set", device, "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "link", "del", name], check=False)


def test_ipv6_group_on_an_interface(run_process, veth_pair) -> None:
    options = ["--group", "ff02::7007", "--port", "5008", "--interface", veth_pair]
    cid = run_process([*PAPO, "receive", "cid", *options])
    cid.wait_for(READY)
    ana = run_process([*PAPO, "send", "ana", *options])
    ana.write("olá por IPv6\nsair\n")
    cid.wait_for("ana: olá por IPv6")
    assert cid.wait() == 0 and ana.wait() == 0, ana.stderr_now()


def test_other_group_and_port_options_keep_rooms_apart(run_process) -> None:
    other = run_process([*PAPO, "receive", "cid", "--group", "239.1.2.3", "--port", "6000"])
    other.wait_for(READY)
    default = start_receiver(run_process, "bia")
    ana = run_process([*PAPO, "send", "ana", "--group", "239.1.2.3", "--port", "6000"])
    ana.write("só para o outro grupo\nsair\n")
    other.wait_for("ana: só para o outro grupo")
    assert other.wait() == 0 and ana.wait() == 0
    send_raw(b'{"user": "x", "data": "sair"}')
    assert default.wait() == 0
    assert not any("outro grupo" in line for line in default.lines)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--group", "10.0.0.1"], "is not a multicast group address"),
        (["--group", "not-an-ip"], "is not a multicast group address"),
        (["--port", "70000"], "invalid port 70000"),
        (["--port", "0"], "invalid port 0"),
        (["--ttl", "300"], "invalid TTL 300"),
        (["--interface", "nosuchnic0"], "unknown interface 'nosuchnic0'"),
        (["--group", "ff02::1"], "needs an interface"),
    ],
)
@pytest.mark.parametrize("role", ["send", "receive"])
def test_bad_settings_give_one_clear_line_and_exit_2(run_process, role, args, expected) -> None:
    process = run_process([*PAPO, role, "ana", *args])
    process.close_stdin()
    assert process.wait() == 2
    stderr = process.stderr_now().strip()
    assert expected in stderr and "\n" not in stderr and "Traceback" not in stderr


def test_bad_nick_gives_one_clear_line(run_process) -> None:
    process = run_process([*MULTICAST_PY, "emissor", "a\x1bb"])
    assert process.wait() == 2
    assert "invalid nick" in process.stderr_now()


@pytest.mark.parametrize("role", ["send", "receive"])
def test_no_multicast_route_is_explained(run_process, role) -> None:
    # A fresh namespace inside ours: loopback down, no route at all.
    process = run_process(["unshare", "--net", *PAPO, role, "ana"])
    process.close_stdin()
    assert process.wait() == 1
    stderr = process.stderr_now().strip()
    assert "no multicast route to 224.3.29.71" in stderr and "Traceback" not in stderr


def test_multicast_py_runs_without_the_package_installed(tmp_path) -> None:
    # A student's fresh clone: the base interpreter (no venv, papo not installed), no
    # PYTHONPATH, started from another directory.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    python = getattr(sys, "_base_executable", sys.executable)
    result = subprocess.run(
        [python, "-I", str(ROOT / "multicast.py"), "--lang", "pt", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "emissor" in result.stdout and "receptor" in result.stdout
