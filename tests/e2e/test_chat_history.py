"""`papo chat` keeps a local history: /history, restarts, scroll-back, and catch-up from peers."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MULTICAST_PY, PAPO, free_udp_port
from terminals import untimed

pytestmark = pytest.mark.netns

IN_ROOM = "in the room of multicast group"
WELCOME = "-- You are ana. Type and press Enter; /help lists the commands; sair or /quit leaves."


def start_chat(run_process, nick: str, port: int, history: Path | None, *extra: str):
    where = ["--history", str(history)] if history is not None else ["--no-history"]
    chat = run_process([*PAPO, "chat", nick, "--port", str(port), "--plain", *where, *extra])
    chat.wait_for(IN_ROOM)
    return chat


def test_history_survives_a_restart_and_history_n_shows_the_last_n_lines(
    run_process, tmp_path: Path
) -> None:
    port = free_udp_port()
    history = tmp_path / "history.sqlite3"
    first = start_chat(run_process, "ana", port, history)
    for text in ("um", "dois", "três"):
        first.write(text + "\n")
        first.wait_for("ana: " + text)
    first.write("sair\n")
    assert first.wait() == 0

    second = start_chat(run_process, "ana", port, history)
    second.write("/history 2\n")
    second.wait_for("end of history")
    second.write("quatro\n")
    second.write("/history\n")
    second.wait_for("the last 4 message(s)")
    second.wait_for("end of history")
    second.write("/history 0\n")
    second.write("/quit\n")
    assert second.wait() == 0
    assert untimed(second.rest()) == [
        WELCOME,
        f"-- in the room of multicast group 224.3.29.71 port {port}",
        "-- history: the last 2 message(s) of this room",
        "ana: dois",
        "ana: três",
        "-- end of history",
        "ana: quatro",
        "-- history: the last 4 message(s) of this room",
        "ana: um",
        "ana: dois",
        "ana: três",
        "ana: quatro",
        "-- end of history",
        "! usage: /history [N], N from 1 to 500",
        "-- you left the room.",
    ]


def test_plain_mode_shows_scroll_back_only_when_asked(run_process, tmp_path: Path) -> None:
    port = free_udp_port()
    history = tmp_path / "history.sqlite3"
    first = start_chat(run_process, "ana", port, history)
    for text in ("um", "dois"):
        first.write(text + "\n")
        first.wait_for("ana: " + text)
    first.close_stdin()
    assert first.wait() == 0

    quiet = start_chat(run_process, "ana", port, history)
    quiet.close_stdin()
    assert quiet.wait() == 0
    assert not any("history" in line for line in quiet.rest())

    asked = start_chat(run_process, "ana", port, history, "--scrollback", "1")
    asked.close_stdin()
    assert asked.wait() == 0
    assert untimed(asked.rest())[:4] == [
        WELCOME,
        "-- history: 1 earlier message(s)",
        "ana: dois",
        "-- end of history",
    ]


def test_without_history_the_history_command_says_it_is_off(run_process) -> None:
    chat = start_chat(run_process, "ana", free_udp_port(), None)
    chat.write("/history\n")
    chat.wait_for("! history is off (--no-history): nothing was kept")
    chat.close_stdin()
    assert chat.wait() == 0


def test_late_joiner_catches_up_once_from_two_members_and_handout_receivers_see_nothing(
    run_process, tmp_path: Path
) -> None:
    port = free_udp_port()
    receiver = run_process([*MULTICAST_PY, "receptor", "rui", "--port", str(port)])
    receiver.wait_for("waiting for messages")
    ana = start_chat(run_process, "ana", port, tmp_path / "ana.sqlite3")
    bob = start_chat(run_process, "bob", port, tmp_path / "bob.sqlite3")
    ana.wait_for("bob joined the room")
    ana.write("oi bob\n")
    bob.wait_for("ana: oi bob")
    bob.write("/me acena\n")
    ana.wait_for("* bob acena")
    bob.write("/msg ana só pra você\n")
    ana.wait_for("só pra você")
    receiver.wait_for("bob: só pra você")  # the handout's receivers see everything sent

    cid = start_chat(run_process, "cid", port, tmp_path / "cid.sqlite3")
    cid.wait_for("caught up from peers")
    cid.wait_for("end of history")
    receiver.wait_for("cid: entrou / joined")
    ana.write("fim\n")
    cid.wait_for("ana: fim")
    receiver.wait_for("ana: fim")
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
    assert lines.count("ana: oi bob") == 2  # the catch-up, then /history: never twice at once
    assert not any("só pra você" in line for line in lines)  # private lines are not shared
    history = lines[lines.index("-- history: the last 3 message(s) of this room") :]
    assert history[:5] == [
        "-- history: the last 3 message(s) of this room",
        "ana: oi bob",
        "* bob acena",
        "ana: fim",
        "-- end of history",
    ]
    # The handout receiver printed cid's join and the next line, nothing in between.
    heard = receiver.lines
    joined = next(i for i, line in enumerate(heard) if "cid: entrou / joined" in line)
    after = [line for line in heard[joined + 1 :] if line.strip()]
    assert after[0].endswith("ana: fim"), after
    receiver.stop()


def test_an_unwritable_default_history_is_one_warning_and_the_chat_goes_on(
    run_process, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the history directory should be\n")
    port = free_udp_port()
    unwritable = f"PAPO_HISTORY={blocker}/h.sqlite3"
    chat = run_process(["env", unwritable, *PAPO, "chat", "ana", "--plain", "--port", str(port)])
    chat.wait_for("! could not open the history")
    chat.wait_for(IN_ROOM)
    chat.write("/history\n")
    chat.wait_for("history is off")
    chat.close_stdin()
    assert chat.wait() == 0

    named = run_process([*PAPO, "chat", "ana", "--plain", "--history", f"{blocker}/h.sqlite3"])
    assert named.wait() == 2
    assert "could not open the history" in named.popen.stderr.read()
