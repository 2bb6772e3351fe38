"""A local SQLite history of the rooms this node saw: append, last N, since, merge.

One table keeps every message of every room, keyed by ``(room, key)`` where the key is
the message ``id``, else ``node:seq``, else a hash of the envelope (handout programs send
neither), so merging the same message twice (from a peer's catch-up, a JetStream replay
or a bridge) stores it once. The file uses WAL mode and one transaction per write: a
process killed with SIGKILL in the middle of a write leaves the last committed state,
never a corrupt file. Each room keeps at most :data:`DEFAULT_RETENTION` messages.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sqlite3
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from papo.errors import ConfigError, PapoError
from papo.protocol.codec import decode, encode
from papo.protocol.history import identity
from papo.protocol.message import ChatMessage, MessageType

#: Message types ``/search`` looks in: the conversation, not joins, leaves or renames.
SEARCHED_TYPES = frozenset({MessageType.CHAT, MessageType.ME, MessageType.PRIVATE})

#: Messages kept per room; older ones are deleted when a write goes past it.
DEFAULT_RETENTION = 10_000

#: The most messages :meth:`HistoryStore.last` and :meth:`HistoryStore.since` return at once.
MAX_QUERY_MESSAGES = 10_000

#: Milliseconds a writer waits for another process holding the file's write lock.
BUSY_TIMEOUT_MS = 5_000

#: Environment variable that overrides the history file's path.
HISTORY_PATH_VARIABLE = "PAPO_HISTORY"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    room TEXT NOT NULL,
    key TEXT NOT NULL,
    ts REAL NOT NULL,
    envelope TEXT NOT NULL,
    UNIQUE (room, key)
);
CREATE INDEX IF NOT EXISTS messages_by_time ON messages (room, ts, position);
"""


def default_history_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$PAPO_HISTORY``, else ``$XDG_DATA_HOME/papo/history.sqlite3`` (~/.local/share)."""
    env = os.environ if environ is None else environ
    override = env.get(HISTORY_PATH_VARIABLE)
    if override:
        return Path(override)
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local/share")
    return Path(base) / "papo" / "history.sqlite3"


def message_key(message: ChatMessage) -> str:
    """The identity of a message across nodes: ``id``, else ``node:seq``, else a hash."""
    key = identity(message)
    if key is not None:
        return key
    digest = hashlib.sha256(encode(message) + repr(message.ts).encode()).hexdigest()
    return f"h:{digest[:32]}"


class HistoryStore:
    """The message history in one SQLite file (see the module doc); close it when done.

    ``clock`` stamps messages that carry no ``ts`` (handout programs send none).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        retention: int = DEFAULT_RETENTION,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if retention < 1:
            raise ConfigError("history_bad_retention", retention=retention)
        self.path = Path(path)
        self.retention = retention
        self._clock = clock
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode survives any process crash; only a power cut may lose
            # the last commits, never consistency.
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError("history_open_failed", path=str(self.path), reason=str(exc)) from None

    # -- writing ---------------------------------------------------------------------

    def append(self, room: str, message: ChatMessage) -> bool:
        """Store one message of ``room``; False when it was already there."""
        return self.merge(room, [message]) == 1

    def merge(self, room: str, messages: Iterable[ChatMessage]) -> int:
        """Store the messages not yet stored (by :func:`message_key`); return how many."""
        rows = [self._row(room, message) for message in messages]
        if not rows:
            return 0
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                before = self._db.total_changes
                self._db.executemany(
                    "INSERT OR IGNORE INTO messages (room, key, ts, envelope) VALUES (?, ?, ?, ?)",
                    rows,
                )
                added = self._db.total_changes - before
                self._trim(room)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise PapoError("history_write_failed", path=str(self.path), reason=str(exc)) from None
        return added

    def _row(self, room: str, message: ChatMessage) -> tuple[str, str, float, str]:
        ts = message.ts if message.ts is not None else round(self._clock(), 3)
        # A signed envelope is kept as signed (its ``room`` is covered by the signature),
        # so a catch-up answer from this store still verifies at the requester.
        stored = dataclasses.replace(
            message, ts=ts, room=room if message.sig is None else message.room
        )
        return (room, message_key(message), float(ts), encode(stored).decode("utf-8"))

    def _trim(self, room: str) -> None:
        self._db.execute(
            "DELETE FROM messages WHERE room = ? AND position IN ("
            " SELECT position FROM messages WHERE room = ?"
            " ORDER BY ts DESC, position DESC LIMIT -1 OFFSET ?)",
            (room, room, self.retention),
        )

    # -- reading ---------------------------------------------------------------------

    def last(self, room: str, n: int) -> list[ChatMessage]:
        """The ``n`` most recent messages of ``room``, oldest first."""
        n = max(0, min(n, MAX_QUERY_MESSAGES))
        rows = self._query(
            "SELECT envelope FROM (SELECT envelope, ts, position FROM messages WHERE room = ?"
            " ORDER BY ts DESC, position DESC LIMIT ?) ORDER BY ts, position",
            (room, n),
        )
        return _decoded(rows)

    def search(self, room: str, text: str, n: int) -> list[ChatMessage]:
        """The ``n`` newest conversation messages of ``room`` whose text or nick contains
        ``text`` (ignoring case and accents' composition), oldest first."""
        wanted = _folded(text)
        n = max(0, min(n, MAX_QUERY_MESSAGES))
        if not wanted or not n:
            return []
        found: list[ChatMessage] = []
        rows = self._query(
            "SELECT envelope FROM messages WHERE room = ? ORDER BY ts DESC, position DESC",
            (room,),
        )  # at most DEFAULT_RETENTION rows: the room's whole history
        for message in _decoded(rows):
            if message.type not in SEARCHED_TYPES:
                continue
            if wanted in _folded(message.data) or wanted in _folded(message.user):
                found.append(message)
                if len(found) >= n:
                    break
        return found[::-1]

    def since(
        self, room: str, *, ts: float | None = None, after: ChatMessage | None = None
    ) -> list[ChatMessage]:
        """Messages of ``room`` newer than ``ts`` or than the stored message ``after``.

        With ``after`` not stored (or neither given) it returns the whole room, so a
        peer asking for what it missed gets everything kept.
        """
        since_ts = ts
        if after is not None:
            found = self._query(
                "SELECT ts FROM messages WHERE room = ? AND key = ?", (room, message_key(after))
            )
            since_ts = found[0][0] if found else None
        if since_ts is None:
            return self.last(room, MAX_QUERY_MESSAGES)
        rows = self._query(
            "SELECT envelope FROM messages WHERE room = ? AND ts > ? ORDER BY ts, position LIMIT ?",
            (room, since_ts, MAX_QUERY_MESSAGES),
        )
        return _decoded(rows)

    def count(self, room: str | None = None) -> int:
        """How many messages are stored (in ``room``, or in every room)."""
        if room is None:
            return int(self._query("SELECT COUNT(*) FROM messages", ())[0][0])
        return int(self._query("SELECT COUNT(*) FROM messages WHERE room = ?", (room,))[0][0])

    def rooms(self) -> list[str]:
        """The rooms with stored messages, sorted."""
        return [row[0] for row in self._query("SELECT DISTINCT room FROM messages ORDER BY 1", ())]

    def _query(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise PapoError("history_read_failed", path=str(self.path), reason=str(exc)) from None

    def close(self) -> None:
        """Close the file (safe to call twice)."""
        self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _folded(text: str) -> str:
    """``text`` for matching: NFC, case-folded (``Ção`` matches ``ção``)."""
    return unicodedata.normalize("NFC", text).casefold()


def _decoded(rows: list[tuple[object, ...]]) -> list[ChatMessage]:
    out: list[ChatMessage] = []
    for (envelope,) in rows:
        result = decode(str(envelope).encode("utf-8"))
        if isinstance(result, ChatMessage):  # rows are ours; a bad one is skipped, not fatal
            out.append(result)
    return out


__all__ = [
    "BUSY_TIMEOUT_MS",
    "DEFAULT_RETENTION",
    "HISTORY_PATH_VARIABLE",
    "MAX_QUERY_MESSAGES",
    "HistoryStore",
    "default_history_path",
    "message_key",
]
