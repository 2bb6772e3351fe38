"""The chat window in a real terminal: tmux panes driven with send-keys, read with capture-pane."""

from __future__ import annotations

import json
import re
import shutil
import socket
import struct
from collections.abc import Iterator

import pytest
from conftest import PAPO, free_udp_port
from terminals import Tmux

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]

GROUP = "224.3.29.71"
STAMP = r"\[\d\d:\d\d:\d\d\] "


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    server = Tmux()
    yield server
    server.close()


#: The window's bottom toolbar (nick, head count, link state), under the input line.
TOOLBAR = re.compile(r"^ \S+ · \d")  # cut short in a narrow window


def shown_lines(lines: list[str]) -> list[str]:
    """The lines with text on a screen, the toolbar left out."""
    return [line for line in lines if line.strip() and not TOOLBAR.match(line)]


def last_line(lines: list[str]) -> str:
    """The input line: the last one with text, the toolbar under it left out."""
    return next(line for line in reversed(lines) if line.strip() and not TOOLBAR.match(line))


def send_raw(payload: bytes, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as sock:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("b", 1))
        sock.sendto(payload, (GROUP, port))


def start_pair(tmux: Tmux) -> int:
    port = free_udp_port()
    tmux.start("a", ["chat", "ana", "--port", str(port)])
    tmux.wait_text("a", r"^ana>$")
    tmux.start("b", ["chat", "bob", "--port", str(port)])
    tmux.wait_text("b", r"^bob>$")
    tmux.wait_text("a", STAMP + "-- bob joined the room")
    return port


def test_two_users_chat_in_two_terminals_with_time_nick_and_text(tmux: Tmux) -> None:
    start_pair(tmux)
    tmux.type("a", "oi bob, ção 日本 😀 tudo bem?", enter=True)
    tmux.wait_text("b", "^" + STAMP + re.escape("ana: oi bob, ção 日本 😀 tudo bem?") + "$")
    tmux.wait_text("a", "^" + STAMP + re.escape("ana: oi bob, ção 日本 😀 tudo bem?") + "$")
    tmux.type("b", "/me acena", enter=True)
    tmux.wait_text("a", "^" + STAMP + re.escape("* bob acena") + "$")
    tmux.type("b", "/who", enter=True)
    tmux.wait_text("b", re.escape("In the room (2): ana, bob"))
    tmux.run("send-keys", "-t", "b", "Up", "Up")  # history of typed lines
    tmux.wait_for("b", lambda lines: last_line(lines) == "bob> /me acena")
    tmux.run("send-keys", "-t", "b", "C-u")
    tmux.type("b", "/nick bruno", enter=True)
    tmux.wait_for("b", lambda lines: last_line(lines) == "bruno>")
    tmux.wait_text("a", STAMP + "-- bob is now bruno")
    assert last_line(tmux.screen("a")) == "ana>"  # the input line stays at the bottom

    tmux.type("a", "/quit", enter=True)
    tmux.wait_text("b", STAMP + "-- ana left")
    tmux.wait_text("a", "you left the room")


def test_text_typed_while_messages_arrive_is_not_broken(tmux: Tmux) -> None:
    start_pair(tmux)
    tmux.type("b", "meio digitado ção")
    tmux.wait_for("b", lambda lines: last_line(lines) == "bob> meio digitado ção")
    for index in range(8):
        tmux.type("a", f"mensagem {index}", enter=True)
    lines = tmux.wait_for(
        "b",
        lambda lines: (
            any(re.match(STAMP + "ana: mensagem 7$", ln) for ln in lines)
            and last_line(lines) == "bob> meio digitado ção"
        ),
    )
    messages = [line for line in lines if re.match(STAMP + "ana: mensagem", line)]
    assert len(messages) == 8
    tmux.type("b", " e terminado", enter=True)
    tmux.wait_text("a", "^" + STAMP + "bob: meio digitado ção e terminado$")


def test_mention_is_highlighted(tmux: Tmux) -> None:
    start_pair(tmux)
    tmux.type("a", "ei bob, olha isso", enter=True)
    tmux.wait_text("b", "ei bob, olha isso")
    styled = [line for line in tmux.screen("b", escapes=True) if "olha isso" in line]
    assert styled and re.search(r"\x1b\[[0-9;]*7[;m]", styled[0])  # reverse video
    tmux.run("send-keys", "-t", "a", "C-c")  # Ctrl-C leaves the room like sair
    tmux.wait_text("b", STAMP + "-- ana left")
    tmux.run("send-keys", "-t", "b", "C-d")  # and so does Ctrl-D
    tmux.wait_text("b", "you left the room")


def test_hostile_message_does_not_change_the_screen_outside_its_own_lines(
    tmux: Tmux, run_process
) -> None:
    port = start_pair(tmux)
    tmux.type("a", "antes do ataque", enter=True)
    before = tmux.wait_text("b", "ana: antes do ataque")
    before = before[: max(i for i, ln in enumerate(before) if "antes do ataque" in ln) + 1]
    tmux.type("b", "digitando")
    title = tmux.run("display-message", "-p", "-t", "b", "#{pane_title}")

    hostile = "\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b[31m\rX\u202eevil\u2066\x9b2J" + "y" * 7_000
    send_raw(json.dumps({"user": "mal\x1b[5m", "data": hostile}).encode(), port)
    long_sender = run_process([*PAPO, "chat", "longo", "--port", str(port), "--plain"])
    long_sender.wait_for("in the room")
    long_sender.write("z" * 10_000 + "\n")  # one typed line, sent in parts
    long_sender.close_stdin()
    assert long_sender.wait() == 0
    tmux.type("a", "depois do ataque", enter=True)
    after = tmux.wait_for(
        "b",
        lambda lines: (
            any(re.match(STAMP + "ana: depois do ataque$", ln) for ln in lines)
            and last_line(lines) == "bob> digitando"
        ),
        timeout=20,
    )

    assert after[: len(before)] == before  # nothing above was erased, moved or rewritten
    assert tmux.run("display-message", "-p", "-t", "b", "#{pane_title}") == title
    (attack,) = [line for line in after if "y" * 100 in line]
    assert re.match(STAMP + re.escape("mal\\x1b[5m: \\x1b[2J\\x1b[H\\x1b]0;pwned\\x07"), attack)
    assert "\\u202eevil\\u2066" in attack and attack.count("y") == 7_000
    (long_line,) = [line for line in after if "z" * 100 in line]  # sent in parts, shown whole
    assert re.match(STAMP + "longo: " + "z" * 10_000 + "$", long_line)
    colored = tmux.screen("b", escapes=True)
    assert not any("\x1b[31m" in line and "ana: depois" in line for line in colored)


def test_resize_and_clear_keep_the_window_usable(tmux: Tmux) -> None:
    start_pair(tmux)
    tmux.run("resize-window", "-t", "b", "-x", "40", "-y", "12")
    tmux.type("a", "uma mensagem longa que não cabe em quarenta colunas: ção 日本 😀", enter=True)
    tmux.wait_for(
        "b",
        lambda lines: (
            any(ln.endswith("ção 日本 😀") for ln in lines) and last_line(lines) == "bob>"
        ),
    )
    tmux.type("b", "/clear", enter=True)
    tmux.wait_for("b", lambda _: shown_lines(tmux.screen("b")) == ["bob>"])
    tmux.type("b", "abc")
    tmux.type("a", "depois", enter=True)

    def visible(_: list[str]) -> bool:
        shown = shown_lines(tmux.screen("b"))
        return (
            len(shown) == 2
            and bool(re.match(STAMP + "ana: depois$", shown[0]))
            and (shown[1] == "bob> abc")
        )

    tmux.wait_for("b", visible)
