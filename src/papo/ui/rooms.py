"""Finding a room server for ``--server auto``: the search, and what the user is told."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from papo.discovery.rooms import ROOM_SEARCH_SECONDS, find_rooms
from papo.errors import ConfigError
from papo.i18n import translate
from papo.protocol.beacon import RoomSighting
from papo.protocol.text import terminal_safe


def room_address(room: RoomSighting) -> str:
    """``host:port`` of a found room (``[v6]:port`` for IPv6)."""
    host = f"[{room.host}]" if ":" in room.host else room.host
    return f"{host}:{room.port}"


def choose_room(
    interface: str | None,
    lang: str,
    *,
    tls_given: bool = False,
    out: TextIO | None = None,
    seconds: float = ROOM_SEARCH_SECONDS,
) -> RoomSighting:
    """Look for room servers and return the one found; ConfigError for none or several.

    Each server found is one line on ``out`` (stderr), its name made terminal-safe.
    """
    stream = out or sys.stderr
    print(translate("rooms_searching", lang), file=stream, flush=True)
    rooms = asyncio.run(find_rooms(interface, seconds=seconds))
    for room in rooms:
        line = translate(
            "rooms_found_one", lang, name=terminal_safe(room.name), address=room_address(room)
        )
        print(line, file=stream, flush=True)
    if not rooms:
        raise ConfigError("rooms_none", seconds=seconds)
    if len(rooms) > 1:
        raise ConfigError("rooms_several", count=len(rooms))
    room = rooms[0]
    if room.tls and not tls_given:
        name = terminal_safe(room.name)
        raise ConfigError("rooms_needs_tls", name=name, address=room_address(room))
    return room


__all__ = ["choose_room", "room_address"]
