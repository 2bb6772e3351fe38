"""`papo chat --server auto` finds a `papo serve` on the local network (test namespace)."""

from __future__ import annotations

import pytest
from conftest import PAPO, free_tcp_port

pytestmark = pytest.mark.netns

WAIT = 15.0


def test_a_chat_finds_the_announced_room_server_and_joins_it(run_process) -> None:
    port = free_tcp_port()
    server = run_process(
        [*PAPO, "serve", "--host", "0.0.0.0", "--port", str(port), "--name", "Turma A"]
    )
    server.wait_for("Turma A", WAIT)
    bia = run_process(
        [*PAPO, "chat", "bia", "--plain", "--no-history", "--server", f"127.0.0.1:{port}"]
    )
    bia.wait_for("connected", WAIT)
    ana = run_process([*PAPO, "chat", "ana", "--plain", "--no-history", "--server", "auto"])
    ana.wait_for(f"127.0.0.1:{port}", WAIT)
    ana.write("achei a sala\n")
    bia.wait_for("ana: achei a sala", WAIT)
    ana.write("sair\n")
    assert ana.popen.wait(WAIT) == 0
    assert f"room 'Turma A' at 127.0.0.1:{port}" in ana.stderr_now()


def test_a_room_for_this_machine_only_is_not_announced(run_process) -> None:
    port = free_tcp_port()
    server = run_process([*PAPO, "serve", "--host", "127.0.0.1", "--port", str(port)])
    server.wait_for(f"127.0.0.1:{port}", WAIT)
    ana = run_process([*PAPO, "chat", "ana", "--plain", "--no-history", "--server", "auto"])
    assert ana.popen.wait(WAIT) == 2
    errors = ana.popen.stderr.read()
    assert "no room server answered" in errors
    assert "Traceback" not in errors


def test_an_announcing_server_survives_the_bad_input_catalogue_on_the_beacon_group(
    run_process,
) -> None:
    import socket

    from catalogue.bad_input_cases import CASES, MAX_UDP_PAYLOAD

    from papo.discovery.beacon import BEACON_GROUP, BEACON_PORT

    port = free_tcp_port()
    server = run_process(
        [*PAPO, "serve", "--host", "0.0.0.0", "--port", str(port), "--name", "sala"]
    )
    server.wait_for("sala", WAIT)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)  # never off this host
    sent = 0
    with sender:
        for case in CASES:
            for payload in case.make(MAX_UDP_PAYLOAD)[:2000]:  # bounded per case
                try:
                    sender.sendto(payload, (BEACON_GROUP, BEACON_PORT))
                    sent += 1
                except OSError:
                    pass  # an empty or oversized datagram the kernel refuses: fine
    assert sent > len(CASES)
    ana = run_process([*PAPO, "chat", "ana", "--plain", "--no-history", "--server", "auto"])
    ana.wait_for(f"127.0.0.1:{port}", WAIT)  # still announced, still answering
    ana.write("sair\n")
    assert ana.popen.wait(WAIT) == 0
    assert server.popen.poll() is None
