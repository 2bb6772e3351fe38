"""The chat window in a real terminal (tmux) opens with scroll-back and answers /history."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PAPO, ROOT, free_udp_port, papo_env

from papo.protocol.message import ChatMessage
from papo.store.history import HistoryStore
from papo.ui.chat import SCROLLBACK_LINES

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]

GROUP = "224.3.29.71"
STAMP = r"\[\d\d:\d\d:\d\d\] "


class Tmux:
    """A private tmux server running one papo chat in a real terminal."""

    def __init__(self) -> None:
        self.base = ["tmux", "-u", "-L", f"papo-hist-{os.getpid()}-{time.monotonic_ns()}"]
        self.base += ["-f", "/dev/null"]

    def run(self, *args: str) -> str:
        result = subprocess.run(
            [*self.base, *args], capture_output=True, text=True, timeout=10, check=True
        )
        return result.stdout

    def start(self, args: list[str]) -> None:
        env = {k: v for k, v in papo_env("en").items() if k in ("PYTHONPATH", "LANG", "PATH")}
        env["TERM"] = "tmux-256color"
        command = ["env", *(f"{k}={v}" for k, v in env.items()), *PAPO, *args]
        self.run(
            "new-session", "-d", "-s", "w", "-x", "100", "-y", "40",
            "-c", str(ROOT), shlex.join(command),
        )  # fmt: skip
        self.run("set-option", "-t", "w", "remain-on-exit", "on")

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", "w", "-l", text)
        self.run("send-keys", "-t", "w", "Enter")

    def screen(self) -> list[str]:
        out = self.run("capture-pane", "-p", "-J", "-t", "w", "-S", "-")
        return [line.rstrip() for line in out.split("\n")]

    def wait_text(self, pattern: str, timeout: float = 10.0) -> list[str]:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            lines = self.screen()
            if any(regex.search(line) for line in lines):
                return lines
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never shown:\n" + "\n".join(lines))
            time.sleep(0.05)  # polling a screen: there is no event to await

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, timeout=10, check=False)


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    server = Tmux()
    yield server
    server.close()


def test_window_opens_with_the_last_lines_as_scroll_back_and_shows_history_n(
    tmux: Tmux, tmp_path: Path
) -> None:
    port = free_udp_port()
    path = tmp_path / "history.sqlite3"
    kept = [
        ChatMessage(user="bob", data=f"linha {i}", node="b", seq=i, ts=1_700_000_000.0 + i)
        for i in range(SCROLLBACK_LINES + 2)
    ]
    with HistoryStore(path) as store:
        store.merge(f"{GROUP}:{port}", kept)
    tmux.start(["chat", "ana", "--port", str(port), "--history", str(path)])
    lines = tmux.wait_text(r"^ana>$")
    text = [re.sub("^" + STAMP, "", line) for line in lines if re.match(STAMP, line)]
    start = text.index(f"-- history: {SCROLLBACK_LINES} earlier message(s)")
    assert text[start + 1 : start + 2 + SCROLLBACK_LINES] == [
        *(f"bob: linha {i}" for i in range(2, SCROLLBACK_LINES + 2)),
        "-- end of history",
    ]
    tmux.type("/history 1")
    lines = tmux.wait_text(re.escape("-- history: the last 1 message(s) of this room"))
    tail = [re.sub("^" + STAMP, "", line) for line in lines if re.match(STAMP, line)]
    assert tail[-3:] == [
        "-- history: the last 1 message(s) of this room",
        f"bob: linha {SCROLLBACK_LINES + 1}",
        "-- end of history",
    ]
    tmux.type("/quit")
