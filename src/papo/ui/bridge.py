"""The bridge's console (``papo bridge``): one timestamped line per status change."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from typing import TextIO

from papo.errors import PapoError
from papo.i18n import translate
from papo.protocol.text import terminal_safe
from papo.transport.base import Dropped, StatusChanged
from papo.transport.bridge import MulticastNatsBridge
from papo.ui.text import clock_stamp, error_text


def bridge_line(event: StatusChanged | Dropped, lang: str, moment: float | None = None) -> str:
    """The console line of one bridge event, every remote character made terminal-safe."""
    stamp = clock_stamp(time.time() if moment is None else moment)
    if isinstance(event, Dropped):
        text = translate(
            "rejected",
            lang,
            source=terminal_safe(event.source),
            reason=error_text(event.error, lang),
        )
    else:
        details = {
            key: terminal_safe(value) if isinstance(value, str) else value
            for key, value in event.details.items()
        }
        text = translate(event.code, lang, **details)
    return f"[{stamp}] {text}"


def run_bridge(bridge: MulticastNatsBridge, lang: str, out: TextIO | None = None) -> int:
    """Run the bridge until Ctrl-C or SIGTERM; return the exit code."""
    return asyncio.run(serve_bridge(bridge, lang, out or sys.stdout))


async def serve_bridge(bridge: MulticastNatsBridge, lang: str, out: TextIO) -> int:
    """Open the bridge, log its events to ``out``, close it on SIGINT/SIGTERM."""

    def show(text: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            out.write(text + "\n")
            out.flush()

    await bridge.open()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:
        loop.add_signal_handler(number, stop.set)

    async def log_events() -> None:
        async for event in bridge.events():
            show(bridge_line(event, lang))

    logger = asyncio.create_task(log_events())
    try:
        await stop.wait()
    finally:
        for number in signals:
            loop.remove_signal_handler(number)
        try:
            await bridge.close()
        except PapoError as error:
            show(error_text(error, lang))
        await asyncio.wait_for(logger, 5)
        show(
            translate(
                "bridge_stopped",
                lang,
                to_nats=bridge.to_nats,
                to_lan=bridge.to_lan,
                loops=bridge.loops_cut,
                dropped=bridge.dropped,
            )
        )
    return 0


__all__ = ["bridge_line", "run_bridge", "serve_bridge"]
