"""Room servers on the local network: announced by ``papo serve``, found by ``papo chat``.

A room server open to the network announces itself on the beacon group
(:mod:`papo.discovery.beacon`) with a :class:`~papo.protocol.beacon.RoomBeacon`: its
name, TCP port and whether it speaks TLS. A client that wants a server without typing
its address (``papo chat --server`` with no value) sends a
:class:`~papo.protocol.beacon.Seek`; servers answer it at once (the beacon group's answer
rule), so :func:`find_rooms` usually returns in a round trip, and at the latest after
:data:`ROOM_SEARCH_SECONDS` (the servers' own beacons come every two seconds).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable

from papo.discovery.beacon import BeaconDiscovery
from papo.protocol.beacon import MAX_ROOM_NAME_CHARS, RoomBeacon, RoomSighting, Seek

#: Seconds a client looks for room servers before saying it found none.
ROOM_SEARCH_SECONDS = 3.0

#: Seconds to keep listening after the first server answers (others answer together).
ROOM_SEARCH_GRACE_SECONDS = 0.5

#: The most room servers one search lists (a hostile flood of announcements stays small).
MAX_ROOMS_FOUND = 32

DiscoveryFactory = Callable[..., BeaconDiscovery]


def room_name(name: str) -> str:
    """``name`` cut to what an announcement carries (:data:`MAX_ROOM_NAME_CHARS`)."""
    return name.strip()[:MAX_ROOM_NAME_CHARS] or "papo"


class RoomAnnouncer:
    """Announces one room server on the beacon group until closed."""

    def __init__(
        self,
        name: str,
        port: int,
        *,
        tls: bool = False,
        interface: str | None = None,
        discovery: DiscoveryFactory = BeaconDiscovery,
    ) -> None:
        self.announcement = RoomBeacon(secrets.token_hex(6), room_name(name), port, tls)
        self._discovery = discovery(interface)

    async def start(self) -> None:
        """Start announcing (raises NetworkError if the beacon group cannot be used)."""
        await self._discovery.start(self.announcement, lambda _sighting: None)

    async def close(self) -> None:
        """Stop announcing; safe to call twice."""
        await self._discovery.close()


async def find_rooms(
    interface: str | None = None,
    *,
    seconds: float = ROOM_SEARCH_SECONDS,
    grace: float = ROOM_SEARCH_GRACE_SECONDS,
    discovery: DiscoveryFactory = BeaconDiscovery,
    clock: Callable[[], float] = time.monotonic,
) -> list[RoomSighting]:
    """The room servers heard within ``seconds`` (sorted by name, one per server).

    Returns ``grace`` seconds after the first answer, so a lone server is found fast.
    """
    found: dict[tuple[str, int], RoomSighting] = {}
    first = asyncio.Event()

    def heard(sighting: RoomSighting) -> None:
        key = (sighting.host, sighting.port)
        if key in found or len(found) < MAX_ROOMS_FOUND:
            found[key] = sighting
        first.set()

    searcher = discovery(interface, on_room=heard)
    await searcher.start(Seek(secrets.token_hex(6)), lambda _sighting: None)
    try:
        deadline = clock() + seconds
        try:
            async with asyncio.timeout(seconds):
                await first.wait()
        except TimeoutError:
            return []
        await asyncio.sleep(max(0.0, min(grace, deadline - clock())))
    finally:
        await searcher.close()
    return sorted(found.values(), key=lambda room: (room.name.casefold(), room.host, room.port))


__all__ = [
    "MAX_ROOMS_FOUND",
    "ROOM_SEARCH_GRACE_SECONDS",
    "ROOM_SEARCH_SECONDS",
    "RoomAnnouncer",
    "find_rooms",
    "room_name",
]
