"""Paced sending in an event loop: the burst goes at once, then one wait per datagram."""

from __future__ import annotations

import asyncio

from papo.protocol.ratelimit import SendPacer
from papo.transport.pacing import wait_for_turn


def test_waits_only_once_the_burst_is_spent_and_then_at_the_pacers_rate() -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async def scenario() -> list[float]:
        pacer = SendPacer(rate=100, burst=3)
        return [await wait_for_turn(pacer, lambda: 0.0, record) for _ in range(6)]

    returned = asyncio.run(scenario())
    assert returned[:3] == [0.0, 0.0, 0.0]
    assert waits == returned[3:] == [0.01, 0.02, 0.03]
