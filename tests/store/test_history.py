"""The local SQLite history: dedup by message identity, retention, restart, kill -9."""

from __future__ import annotations

import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from papo.errors import ConfigError
from papo.protocol.message import ChatMessage
from papo.store.history import (
    DEFAULT_RETENTION,
    HistoryStore,
    default_history_path,
    message_key,
)


def chat(text: str, seq: int, node: str = "n1", ts: float | None = None) -> ChatMessage:
    return ChatMessage(user="ana", data=text, v=1, node=node, seq=seq, ts=ts or 1000.0 + seq)


def test_history_path_follows_xdg_and_can_be_overridden(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path), "HOME": "/nowhere"}
    assert default_history_path(env) == tmp_path / "papo" / "history.sqlite3"
    assert default_history_path({"HOME": "/h"}) == Path("/h/.local/share/papo/history.sqlite3")
    assert default_history_path({**env, "PAPO_HISTORY": "/x/h.db"}) == Path("/x/h.db")


def test_history_file_uses_wal_mode(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.append("geral", chat("oi", 1))
    mode = sqlite3.connect(tmp_path / "h.sqlite3").execute("PRAGMA journal_mode").fetchone()
    assert mode == ("wal",)


def test_last_returns_the_newest_messages_oldest_first(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        for seq in range(1, 11):
            store.append("geral", chat(f"m{seq}", seq))
        assert [m.data for m in store.last("geral", 3)] == ["m8", "m9", "m10"]
        assert store.last("outra", 3) == []
        assert store.last("geral", 0) == []


def test_merge_stores_each_message_once_by_id_or_node_and_seq(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        first = [chat("a", 1), chat("b", 2)]
        assert store.merge("geral", first) == 2
        assert store.merge("geral", [chat("b", 2), chat("c", 3)]) == 1
        assert store.append("geral", chat("a", 1)) is False
        with_id = ChatMessage(user="bia", data="x", id="abc")
        assert store.append("geral", with_id) is True
        assert store.append("geral", ChatMessage(user="bia", data="x again", id="abc")) is False
        assert [m.data for m in store.last("geral", 10)] == ["a", "b", "c", "x"]


def test_same_message_in_two_rooms_is_kept_in_both(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.append("a", chat("oi", 1))
        store.append("b", chat("oi", 1))
        assert store.count("a") == store.count("b") == 1
        assert store.rooms() == ["a", "b"]


def test_handout_messages_without_ids_are_stamped_and_kept(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3", clock=lambda: 5000.0) as store:
        store.append("geral", ChatMessage(user="zé", data="oi"))
        store.append("geral", ChatMessage(user="zé", data="oi de novo"))
        got = store.last("geral", 5)
    assert [(m.user, m.data, m.ts) for m in got] == [
        ("zé", "oi", 5000.0),
        ("zé", "oi de novo", 5000.0),
    ]
    assert message_key(got[0]) != message_key(got[1])


def test_since_returns_what_came_after_a_time_or_a_message(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.merge("geral", [chat(f"m{seq}", seq) for seq in range(1, 6)])
        assert [m.data for m in store.since("geral", ts=1003.0)] == ["m4", "m5"]
        assert [m.data for m in store.since("geral", after=chat("m2", 2))] == ["m3", "m4", "m5"]
        unknown = chat("?", 99, node="other")
        assert len(store.since("geral", after=unknown)) == 5


def test_merge_orders_by_message_time_not_arrival(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.append("geral", chat("late", 5))
        store.merge("geral", [chat("early", 1, node="n2")])
        assert [m.data for m in store.last("geral", 2)] == ["early", "late"]


def test_retention_keeps_only_the_newest_messages_per_room(tmp_path: Path) -> None:
    assert DEFAULT_RETENTION >= 1000
    with HistoryStore(tmp_path / "h.sqlite3", retention=5) as store:
        store.merge("geral", [chat(f"m{seq}", seq) for seq in range(1, 9)])
        store.append("outra", chat("x", 1))
        assert store.count("geral") == 5
        assert [m.data for m in store.last("geral", 10)] == ["m4", "m5", "m6", "m7", "m8"]
        assert store.count("outra") == 1
    with pytest.raises(ConfigError):
        HistoryStore(tmp_path / "h2.sqlite3", retention=0)


def test_history_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dir" / "h.sqlite3"
    with HistoryStore(path) as store:
        store.merge("geral", [chat("antes", 1), chat("do fim", 2)])
    with HistoryStore(path) as store:
        assert [m.data for m in store.last("geral", 5)] == ["antes", "do fim"]
        assert all(m.room == "geral" for m in store.last("geral", 5))


def test_unusable_history_path_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError) as info:
        HistoryStore(blocker / "h.sqlite3")
    assert info.value.code == "history_open_failed"


_WRITER = """
import sys
from papo.protocol.message import ChatMessage
from papo.store.history import HistoryStore
store = HistoryStore(sys.argv[1])
for seq in range(1, 200_001):
    store.append("geral", ChatMessage(user="ana", data="x" * 200, node="w", seq=seq, ts=float(seq)))
    print(seq, flush=True)
"""


def test_kill_9_during_writes_leaves_a_consistent_file(tmp_path: Path, run_process) -> None:
    path = tmp_path / "h.sqlite3"
    writer = run_process([sys.executable, "-c", _WRITER, str(path)])
    writer.wait_for("300", timeout=20)
    writer.popen.send_signal(signal.SIGKILL)
    writer.wait(5)
    printed = [int(line) for line in writer.rest(5) if line.strip().isdigit()]
    assert writer.popen.returncode == -signal.SIGKILL
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    count = db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    highest = db.execute("SELECT MAX(ts) FROM messages").fetchone()[0]
    db.close()
    # Every printed message was committed; at most the one being written after it may be too.
    assert max(printed) <= count <= max(printed) + 1
    assert highest == count
    with HistoryStore(path) as store:
        assert store.append("geral", chat("after the crash", 1, node="new")) is True


def test_search_finds_the_newest_matches_in_text_or_nick_ignoring_case(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.append("geral", chat("Reunião amanhã", 1))
        store.append("geral", chat("sem nada", 2))
        store.append("geral", chat("a REUNIÃO mudou", 3))
        store.append("geral", ChatMessage(user="reuniao", data="x", v=1, node="n2", seq=1))
        store.append(
            "geral", ChatMessage(user="bia", data="reunião", type="join", node="n3", seq=1)
        )
        store.append("outra", chat("reunião noutra sala", 4))
        assert [m.data for m in store.search("geral", "reunião", 10)] == [
            "Reunião amanhã",
            "a REUNIÃO mudou",
        ]
        assert [m.data for m in store.search("geral", "reunião", 1)] == ["a REUNIÃO mudou"]
        assert [m.user for m in store.search("geral", "REUNIAO", 10)] == ["reuniao"]
        assert store.search("geral", "", 10) == []
        assert store.search("geral", "inexistente", 10) == []
