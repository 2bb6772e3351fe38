"""Paced sending for event loops: wait (without blocking the loop) for the pacer's turn.

The asynchronous twin of :class:`~papo.transport.multicast.MulticastSender`'s ``pacer``:
``papo chat`` and the bridge send from an event loop, where ``time.sleep`` would freeze
everything else, so they ``await`` the wait instead. The sum is the same: papo never
sends faster than its own receivers accept
(:data:`~papo.protocol.ratelimit.SEND_RATE` under
:data:`~papo.protocol.ratelimit.SOURCE_RATE`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from papo.protocol.ratelimit import SendPacer

#: What waits: ``asyncio.sleep`` (tests pass a recorder).
Sleep = Callable[[float], Awaitable[object]]


async def wait_for_turn(
    pacer: SendPacer,
    clock: Callable[[], float] = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> float:
    """Spend one of ``pacer``'s tokens; wait if it is not earned yet. Return the wait."""
    wait = pacer.delay(clock())
    if wait > 0:
        await sleep(wait)
    return wait


__all__ = ["Sleep", "wait_for_turn"]
