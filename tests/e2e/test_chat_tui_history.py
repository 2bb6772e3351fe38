"""The chat window in a real terminal (tmux) opens with scroll-back and answers /history."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import free_udp_port
from terminals import Tmux

from papo.protocol.message import ChatMessage
from papo.store.history import HistoryStore
from papo.ui.chat import SCROLLBACK_LINES

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
    tmux.start("w", ["chat", "ana", "--port", str(port), "--history", str(path)], height=40)
    lines = tmux.wait_text("w", r"^ana>$")
    text = [re.sub("^" + STAMP, "", line) for line in lines if re.match(STAMP, line)]
    start = text.index(f"-- history: {SCROLLBACK_LINES} earlier message(s)")
    assert text[start + 1 : start + 2 + SCROLLBACK_LINES] == [
        *(f"bob: linha {i}" for i in range(2, SCROLLBACK_LINES + 2)),
        "-- end of history",
    ]
    tmux.type("w", "/history 1", enter=True)
    lines = tmux.wait_text("w", re.escape("-- history: the last 1 message(s) of this room"))
    tail = [re.sub("^" + STAMP, "", line) for line in lines if re.match(STAMP, line)]
    assert tail[-3:] == [
        "-- history: the last 1 message(s) of this room",
        f"bob: linha {SCROLLBACK_LINES + 1}",
        "-- end of history",
    ]
    tmux.type("w", "/quit", enter=True)
