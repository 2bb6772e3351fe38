"""The room server's console (``papo serve``): one timestamped line per event."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable
from typing import TextIO

from papo.discovery.rooms import RoomAnnouncer
from papo.errors import PapoError
from papo.i18n import translate
from papo.protocol.room_state import Log
from papo.protocol.text import terminal_safe
from papo.transport.tcp_server import RoomServer, RoomServerConfig
from papo.ui.text import clock_stamp, error_text


def log_line(entry: Log, lang: str, moment: float | None = None) -> str:
    """The console line of one server event, every remote character made terminal-safe."""
    details: dict[str, object] = {
        key: terminal_safe(value) if isinstance(value, str) else value
        for key, value in entry.details.items()
        if key != "details"
    }
    if isinstance(details.get("reason"), str):
        details["reason"] = translate(str(details["reason"]), lang)
    if entry.code == "room_log_bad_line":
        extra = entry.details.get("details", {})
        safe = {
            k: terminal_safe(v) if isinstance(v, str) else v
            for k, v in (extra.items() if isinstance(extra, dict) else ())
        }
        details["reason"] = translate(str(entry.details.get("code")), lang, **safe)
    stamp = clock_stamp(time.time() if moment is None else moment)
    room = details.get("room")  # a named room's event (papo.protocol.room_state.Rooms)
    where = f"[{room}] " if isinstance(room, str) else ""
    return f"[{stamp}] {where}{translate(entry.code, lang, **details)}"


def print_warning(code: str, lang: str, out: TextIO | None = None) -> None:
    """Print the one-line warning ``code`` (an i18n key) on stderr."""
    with contextlib.suppress(OSError, ValueError):
        print(translate(code, lang), file=out or sys.stderr, flush=True)


def run_server(
    config: RoomServerConfig,
    lang: str,
    out: TextIO | None = None,
    announcer: RoomAnnouncer | None = None,
) -> int:
    """Run the room server until Ctrl-C or SIGTERM; return the exit code."""
    return asyncio.run(serve(config, lang, out or sys.stdout, announcer))


async def serve(
    config: RoomServerConfig, lang: str, out: TextIO, announcer: RoomAnnouncer | None = None
) -> int:
    """Start the server, log to ``out``, and shut down gracefully on SIGINT/SIGTERM.

    With an ``announcer`` the room is announced on the local network once it listens; a
    network that refuses the beacons costs one warning line, never the server.
    """

    def show(entry: Log) -> None:
        with contextlib.suppress(OSError, ValueError):
            out.write(log_line(entry, lang) + "\n")
            out.flush()

    server = RoomServer(config, log=show)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:  # before the ready line, so a signal right after it is ours
        loop.add_signal_handler(number, stop.set)
    try:
        await server.start()
        if announcer is not None:
            await _announce(announcer, show, lang)
        await stop.wait()
        await server.close()
        show(Log("room_log_stopped"))
    finally:
        for number in signals:
            loop.remove_signal_handler(number)
        if announcer is not None:
            await announcer.close()
        await server.close()
    return 0


async def _announce(announcer: RoomAnnouncer, show: Callable[[Log], None], lang: str) -> None:
    try:
        await announcer.start()
    except PapoError as error:
        show(Log("room_log_not_announced", {"why": error_text(error, lang)}))
        return
    show(Log("room_log_announced", {"name": announcer.announcement.name}))


__all__ = ["log_line", "print_warning", "run_server", "serve"]
