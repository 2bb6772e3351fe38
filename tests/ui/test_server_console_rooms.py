"""The server console names a named room's events; the default room's look as before."""

from __future__ import annotations

from papo.protocol.room_state import Log
from papo.ui.server import log_line


def test_a_named_rooms_event_is_prefixed_with_the_room() -> None:
    entry = Log("room_log_joined", {"nick": "ana", "peer": "1.2.3.4:5", "count": 1})
    named = Log(entry.code, {**entry.details, "room": "grupo1"})
    assert log_line(named, "en", 0.0).endswith(
        "] [grupo1] + ana joined from 1.2.3.4:5 (1 in the room)"
    )
    assert log_line(entry, "en", 0.0).endswith("] + ana joined from 1.2.3.4:5 (1 in the room)")


def test_a_room_name_is_made_terminal_safe() -> None:
    named = Log("room_log_nick", {"old": "a", "new": "b", "room": "x\x1b[2J"})
    assert "\x1b" not in log_line(named, "pt", 0.0)
