"""`papo chat --p2p`: a late joiner of the mesh catches up from the members, once."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PAPO, free_tcp_port

pytestmark = pytest.mark.netns


def untimed(lines: list[str]) -> list[str]:
    """The lines without their ``[HH:MM:SS] `` stamp."""
    return [line[11:] if line.startswith("[") and line[9:11] == "] " else line for line in lines]


def start_peer(run_process, nick: str, port: int, history: Path, *peers: int):
    dial = [arg for peer in peers for arg in ("--peer", f"127.0.0.1:{peer}")]
    chat = run_process(
        [
            *PAPO,
            "chat",
            nick,
            "--p2p",
            "--no-beacon",
            "--p2p-port",
            str(port),
            "--plain",
            "--lang",
            "en",
            "--history",
            str(history),
            *dial,
        ]
    )
    chat.wait_for(f"listening on TCP port {port}")
    return chat


def test_late_joiner_of_the_mesh_catches_up_once_from_two_members_never_the_private_line(
    run_process, tmp_path: Path
) -> None:
    ports = [free_tcp_port() for _ in range(3)]
    ana = start_peer(run_process, "ana", ports[0], tmp_path / "ana.sqlite3", ports[1])
    bob = start_peer(run_process, "bob", ports[1], tmp_path / "bob.sqlite3", ports[0])
    ana.wait_for("connected to bob")
    ana.write("oi bob\n")
    bob.wait_for("ana: oi bob")
    bob.write("/me acena\n")
    ana.wait_for("* bob acena")
    bob.write("/msg ana só pra você\n")
    ana.wait_for("só pra você")

    cid = start_peer(run_process, "cid", ports[2], tmp_path / "cid.sqlite3", ports[0], ports[1])
    cid.wait_for("caught up from peers")
    cid.wait_for("end of history")
    ana.write("fim\n")
    cid.wait_for("ana: fim")
    cid.write("/history\n")
    cid.wait_for("the last 3 message(s)")
    cid.wait_for("end of history")
    for chat in (cid, bob, ana):
        chat.close_stdin()
        assert chat.wait() == 0

    lines = untimed(cid.rest())
    start = lines.index("-- caught up from peers: 2 message(s) you missed")
    assert lines[start : start + 4] == [
        "-- caught up from peers: 2 message(s) you missed",
        "ana: oi bob",
        "* bob acena",
        "-- end of history",
    ]
    assert sum("caught up from peers" in line for line in lines) == 1
    assert not any("só pra você" in line for line in lines)  # private lines are not shared
    history = lines[lines.index("-- history: the last 3 message(s) of this room") :]
    assert history[:5] == [
        "-- history: the last 3 message(s) of this room",
        "ana: oi bob",
        "* bob acena",
        "ana: fim",
        "-- end of history",
    ]
