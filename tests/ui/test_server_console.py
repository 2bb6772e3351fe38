"""The room server's console lines: translated, timestamped, terminal-safe."""

from __future__ import annotations

from papo.session.room_server import Log
from papo.ui.server import log_line


def test_join_line_names_nick_peer_and_count() -> None:
    line = log_line(
        Log("room_log_joined", {"nick": "ana", "peer": "127.0.0.1:4000", "count": 2}), "en"
    )
    assert line.endswith("+ ana joined from 127.0.0.1:4000 (2 in the room)")
    assert line.startswith("[")


def test_leave_reason_is_translated() -> None:
    entry = Log(
        "room_log_left", {"nick": "ana", "peer": "p", "reason": "room_slow_consumer", "count": 1}
    )
    assert "too slow to receive" in log_line(entry, "en")
    assert "lento demais" in log_line(entry, "pt")


def test_bad_line_shows_the_decoders_reason_with_its_details() -> None:
    entry = Log(
        "room_log_bad_line",
        {"who": "ana", "code": "frame_too_long", "details": {"size": 70000, "max": 65535}},
    )
    assert "line too long (70000 bytes; limit 65535)" in log_line(entry, "en")


def test_remote_text_cannot_drive_the_terminal() -> None:
    entry = Log("room_log_refused", {"peer": "x", "reason": "room_hello_timeout"})
    evil = Log("room_log_nick", {"old": "ana", "new": "b\x1b[2Jc"})
    assert "\x1b" not in log_line(evil, "en")
    assert "did not join" in log_line(entry, "en")
