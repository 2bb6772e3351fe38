"""Who is in a serverless room: members heard lately, by node, with their nicks (pure).

The multicast room and the NATS room have no server to keep the list: each node keeps
its own from what it hears (presence, chat, joins, renames) and forgets whoever stays
silent too long. :class:`Roster` is that list, bounded and clock-free (the caller passes
the time), and :meth:`Roster.changed` tells the transport when the sorted nicks differ
from what it last reported.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

#: Members tracked in a roster at most (the longest silent is forgotten first).
MAX_ROSTER_MEMBERS = 512


@dataclass(slots=True)
class _Member:
    nick: str
    last_seen: float


class Roster:
    """The members of one room as heard by this node, this user included in :meth:`nicks`."""

    def __init__(self, own_nick: str, max_members: int = MAX_ROSTER_MEMBERS) -> None:
        #: This user's nick (changed by the transport when a rename is accepted).
        self.own_nick = own_nick
        self._max_members = max_members
        self._members: OrderedDict[str, _Member] = OrderedDict()
        self._reported: tuple[str, ...] | None = None

    def __len__(self) -> int:
        return len(self._members)

    def touch(self, key: str, nick: str, now: float) -> None:
        """``key`` (a node) was heard now as ``nick``; the longest silent go past the bound."""
        member = self._members.get(key)
        if member is None:
            self._members[key] = _Member(nick, now)
        else:
            member.nick, member.last_seen = nick, now
            self._members.move_to_end(key)
        while len(self._members) > self._max_members:
            self._members.popitem(last=False)

    def forget(self, key: str) -> None:
        """``key`` left (said goodbye)."""
        self._members.pop(key, None)

    def expire(self, now: float, timeout: float) -> None:
        """Forget members silent for longer than ``timeout`` seconds."""
        for key in [k for k, m in self._members.items() if now - m.last_seen > timeout]:
            del self._members[key]

    def holds(self, nick: str) -> bool:
        """True when another member uses ``nick`` now."""
        return any(member.nick == nick for member in self._members.values())

    def last_heard(self, nick: str) -> float | None:
        """When ``nick`` was last heard from, or None."""
        times = [m.last_seen for m in self._members.values() if m.nick == nick]
        return max(times) if times else None

    def nicks(self) -> tuple[str, ...]:
        """The nicks in the room now, sorted, this user included."""
        return tuple(sorted({self.own_nick, *(m.nick for m in self._members.values())}))

    def changed(self, force: bool = False) -> tuple[str, ...] | None:
        """The nicks if they differ from the last ones returned here (or ``force``), else None."""
        nicks = self.nicks()
        if not force and nicks == self._reported:
            return None
        self._reported = nicks
        return nicks


__all__ = ["MAX_ROSTER_MEMBERS", "Roster"]
