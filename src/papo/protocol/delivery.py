"""Which of a client's own lines reached the room server: ids, in-flight lines, acks (pure).

TCP says a byte left this machine, not that the server got it: a line written while the
link is silently dead sits in the kernel's buffer and dies with the connection. So a
client that opens its ``join`` with a ``session`` token gives each chat line an ``id``;
the server answers each with ``{"type": "ack", "id": ...}`` once it has relayed (or
refused) it. As in MQTT's QoS 1 (the "inflight" window, re-sent with the same packet
id on reconnect) and Matrix's transaction ids (idempotent per access token):

- :class:`Inflight` (client) keeps the lines not yet acknowledged, at most
  :data:`MAX_UNACKED_LINES`; after a reconnect they are sent again, same ids; when the
  client gives up they are reported to the user (:meth:`Inflight.take_undelivered`);
- :class:`SessionIds` (server) remembers the last ids of each session, so a line sent
  again after a reconnect is acknowledged but not relayed twice;
- :class:`SeenIds` (every receiver) remembers the ``(nick, id)`` of lines shown, so a line
  a restarted server relays again (it lost its memory) is not shown twice.

Clients that send no ``session`` (old papo, the handout's programs, ``nc``) get no acks
and see no difference. Nothing here touches sockets, clocks or randomness: the random
parts (id prefix, session token) are passed in.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from papo.protocol.mesh import DedupCache
from papo.protocol.room import nick_key

#: The most lines a client keeps waiting for the server's ack; one more waits for room
#: (or fails after the send timeout). 64 lines is more than anyone types during a
#: reconnect, and bounds what is re-sent (and what the server must remember per session).
MAX_UNACKED_LINES = 64

#: Ids the room server remembers per session to drop a line sent again after a reconnect:
#: twice the client's in-flight window, so every line a client may re-send is covered.
REMEMBERED_IDS_PER_SESSION = 2 * MAX_UNACKED_LINES

#: Sessions whose ids the room server remembers (the least recently active go first):
#: as many as its clients, which bounds that memory to about 10 MB in the worst case.
REMEMBERED_SESSIONS = 1_000

#: ``(nick, id)`` pairs a client remembers of the lines it showed, so a line relayed
#: again by a restarted server is not shown twice.
SEEN_LINE_IDS = 4_096

#: Characters of the texts quoted when lines could not be delivered (the rest is cut).
UNDELIVERED_PREVIEW_CHARS = 120


@dataclass(frozen=True, slots=True)
class PendingLine:
    """One sent line not yet acknowledged: its ``id``, the framed ``line``, what it says."""

    id: str
    line: bytes
    message: int  # the number of the typed message it belongs to (parts share it)
    text: str


@dataclass(frozen=True, slots=True)
class Undelivered:
    """Lines given up on: ``count`` typed messages, quoted (shortened) in ``texts``."""

    count: int
    texts: str


class Inflight:
    """The client's lines sent but not acknowledged, in the order they were sent.

    Ids are ``<prefix>.<n>``: the random ``prefix`` (chosen once per client) keeps them
    unique across runs, ``n`` counts the lines of this run.
    """

    def __init__(self, prefix: str, limit: int = MAX_UNACKED_LINES) -> None:
        if limit < 1:
            raise ValueError("limit must be positive")
        self.prefix = prefix
        self.limit = limit
        self._lines: OrderedDict[str, PendingLine] = OrderedDict()
        self._line_number = 0
        self._message_number = 0

    def __len__(self) -> int:
        return len(self._lines)

    def has_room(self, count: int) -> bool:
        """True if ``count`` more lines fit (a message longer than the window fits alone)."""
        return not self._lines or len(self._lines) + count <= self.limit

    def new_message(self) -> int:
        """The number of the next typed message (its parts share it)."""
        self._message_number += 1
        return self._message_number

    def new_id(self) -> str:
        """A fresh line id."""
        self._line_number += 1
        return f"{self.prefix}.{self._line_number}"

    def add(self, line: PendingLine) -> None:
        """Remember ``line`` until :meth:`ack` (its id must be new)."""
        self._lines[line.id] = line

    def ack(self, line_id: str) -> bool:
        """The server has ``line_id``: forget it. False if it was not waiting (ignored)."""
        return self._lines.pop(line_id, None) is not None

    def pending(self) -> list[bytes]:
        """The lines to send again after a reconnect, oldest first, same ids."""
        return [pending.line for pending in self._lines.values()]

    def take_undelivered(self) -> Undelivered | None:
        """Give up on every waiting line: what to tell the user (None if nothing waits)."""
        if not self._lines:
            return None
        texts: dict[int, str] = {}
        for pending in self._lines.values():
            texts[pending.message] = texts.get(pending.message, "") + pending.text
        self._lines.clear()
        return Undelivered(len(texts), preview(list(texts.values())))


def preview(texts: list[str], limit: int = UNDELIVERED_PREVIEW_CHARS) -> str:
    """``texts`` quoted and joined, cut to ``limit`` characters with an ellipsis."""
    joined = " / ".join(f'"{" ".join(text.split())}"' for text in texts)
    return joined if len(joined) <= limit else joined[: limit - 1] + "…"


class SessionIds:
    """The room server's memory of line ids per session (both bounded, see the limits)."""

    def __init__(
        self,
        sessions: int = REMEMBERED_SESSIONS,
        ids_per_session: int = REMEMBERED_IDS_PER_SESSION,
    ) -> None:
        self.max_sessions = sessions
        self.ids_per_session = ids_per_session
        self._sessions: OrderedDict[str, DedupCache] = OrderedDict()
        #: Lines recognised as sent again and not relayed twice.
        self.duplicates = 0

    def __len__(self) -> int:
        return len(self._sessions)

    def first_time(self, session: str, line_id: str) -> bool:
        """Remember ``line_id`` of ``session``; False if it was already seen (a re-send)."""
        ids = self._sessions.get(session)
        if ids is None:
            ids = self._sessions[session] = DedupCache(self.ids_per_session)
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
        else:
            self._sessions.move_to_end(session)
        if ids.first_time(line_id):
            return True
        self.duplicates += 1
        return False


class SeenIds:
    """A receiver's memory of the ``(nick, id)`` of lines shown (bounded, oldest forgotten)."""

    def __init__(self, size: int = SEEN_LINE_IDS) -> None:
        self._seen = DedupCache(size)

    def first_time(self, nick: str, line_id: str) -> bool:
        """Remember the line; False if ``nick`` already showed a line with ``line_id``."""
        return self._seen.first_time(f"{nick_key(nick)} {line_id}")  # ids have no spaces

    @property
    def duplicates(self) -> int:
        """Lines recognised as already shown."""
        return self._seen.duplicates


__all__ = [
    "MAX_UNACKED_LINES",
    "REMEMBERED_IDS_PER_SESSION",
    "REMEMBERED_SESSIONS",
    "SEEN_LINE_IDS",
    "UNDELIVERED_PREVIEW_CHARS",
    "Inflight",
    "PendingLine",
    "SeenIds",
    "SessionIds",
    "Undelivered",
    "preview",
]
