"""Catch-up in serverless rooms (multicast, P2P): ask peers for what you missed (pure).

A node that joins sends a ``history-request`` whose ``data`` is the time of the newest
message it already has (``"0"`` for none). Each peer that keeps a history answers with
at most :data:`CATCH_UP_MAX_MESSAGES` ``history`` messages addressed (``to``) to the
requester, each carrying one stored envelope as JSON text in ``data``. The requester
unwraps them with :class:`CatchUp`, which drops what it already has by message
identity (``id``, else ``node:seq``), so the answers of several peers merge without
duplicates.

Transports send the answers only to the requester (unicast on multicast, the link on
P2P): programs written to the handout would print a ``history`` datagram as a chat line.
Everything here is pure: values in, values out.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from collections.abc import Iterable

from papo.errors import DecodeError
from papo.protocol.codec import decode, encode
from papo.protocol.limits import DEFAULT_LIMITS, Limits
from papo.protocol.message import PROTOCOL_VERSION, ChatMessage

#: ``type`` of the message a joining node sends to ask for what it missed.
HISTORY_REQUEST_TYPE = "history-request"

#: ``type`` of one answer: ``data`` holds one stored envelope as JSON text.
HISTORY_TYPE = "history"

#: The most messages one peer sends in answer to one request.
CATCH_UP_MAX_MESSAGES = 50

#: Message identities a :class:`CatchUp` remembers (the oldest forgotten first).
CATCH_UP_SEEN_CAPACITY = 4096


def identity(message: ChatMessage) -> str | None:
    """``id``, else ``node:seq``; None for messages without either (handout programs)."""
    if message.id:
        return f"id:{message.id}"
    if message.node is not None and message.seq is not None:
        return f"ns:{message.node}:{message.seq}"
    return None


def history_request(nick: str, node: str, seq: int, since: float | None, ts: float) -> ChatMessage:
    """The request a joining node sends: "what came after ``since``?" (None: everything)."""
    return ChatMessage(
        user=nick,
        data=repr(float(since or 0.0)),
        type=HISTORY_REQUEST_TYPE,
        v=PROTOCOL_VERSION,
        node=node,
        seq=seq,
        ts=ts,
    )


def requested_since(message: ChatMessage) -> float | DecodeError:
    """The ``since`` time of a ``history-request``, or why the request is invalid."""
    if message.type != HISTORY_REQUEST_TYPE:
        return DecodeError("decode_bad_value", field="type")
    try:
        since = float(message.data)
    except ValueError:
        return DecodeError("decode_bad_value", field="data")
    if not math.isfinite(since) or since < 0:
        return DecodeError("decode_bad_value", field="data")
    return since


def history_answers(
    stored: Iterable[ChatMessage],
    requester: str,
    *,
    nick: str,
    node: str,
    first_seq: int,
    ts: float,
    limits: Limits = DEFAULT_LIMITS,
) -> list[ChatMessage]:
    """The ``history`` messages answering ``requester`` with the newest of ``stored``.

    Messages without an identity (from handout programs) are not exchanged. At most
    :data:`CATCH_UP_MAX_MESSAGES` are sent, oldest first; an envelope whose answer would
    not fit ``limits.max_datagram_bytes`` is left out. ``seq`` counts up from ``first_seq``.
    """
    chosen = [message for message in stored if identity(message) is not None]
    chosen = chosen[-CATCH_UP_MAX_MESSAGES:]
    answers: list[ChatMessage] = []
    for original in chosen:
        answer = ChatMessage(
            user=nick,
            data=encode(original).decode("utf-8"),
            type=HISTORY_TYPE,
            v=PROTOCOL_VERSION,
            node=node,
            seq=first_seq + len(answers),
            ts=ts,
            to=requester,
        )
        if len(encode(answer)) <= limits.max_datagram_bytes and len(answer.data) <= (
            limits.max_text_chars
        ):
            answers.append(answer)
    return answers


def unwrap(answer: ChatMessage, limits: Limits = DEFAULT_LIMITS) -> ChatMessage | DecodeError:
    """The stored envelope carried by one ``history`` answer, or why it is invalid."""
    if answer.type != HISTORY_TYPE:
        return DecodeError("decode_bad_value", field="type")
    try:
        json.loads(answer.data)
    except ValueError:
        return DecodeError("decode_bad_value", field="data")
    inner = decode(answer.data.encode("utf-8"), answer.source, limits)
    if isinstance(inner, DecodeError):
        return inner
    if inner.plain or inner.type in (HISTORY_TYPE, HISTORY_REQUEST_TYPE):
        return DecodeError("decode_bad_value", field="data")
    return inner


class CatchUp:
    """Merges the answers of several peers, each message once (sans-I/O).

    Call :meth:`known` with every message the node already has or sees live, and
    :meth:`receive` with every ``history`` answer addressed to it: it returns the
    carried message when it is new, else None (a duplicate, or not for ``nick``).
    """

    def __init__(
        self, nick: str, limits: Limits = DEFAULT_LIMITS, capacity: int = CATCH_UP_SEEN_CAPACITY
    ) -> None:
        self.nick = nick
        self.duplicates = 0
        self.invalid = 0
        self._limits = limits
        self._capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()

    def known(self, message: ChatMessage) -> None:
        """Remember that this node has ``message`` already."""
        key = identity(message)
        if key is not None:
            self._remember(key)

    def receive(self, answer: ChatMessage) -> ChatMessage | None:
        """The carried message if it is new to this node, else None."""
        if answer.to != self.nick:
            return None
        inner = unwrap(answer, self._limits)
        if isinstance(inner, DecodeError):
            self.invalid += 1
            return None
        key = identity(inner)
        if key is None:  # cannot be merged reliably: never exchanged
            self.invalid += 1
            return None
        if key in self._seen:
            self.duplicates += 1
            return None
        self._remember(key)
        return inner

    def _remember(self, key: str) -> None:
        self._seen[key] = None
        self._seen.move_to_end(key)
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)


__all__ = [
    "CATCH_UP_MAX_MESSAGES",
    "CATCH_UP_SEEN_CAPACITY",
    "HISTORY_REQUEST_TYPE",
    "HISTORY_TYPE",
    "CatchUp",
    "history_answers",
    "history_request",
    "identity",
    "requested_since",
    "unwrap",
]
