"""Stamping what a serverless node sends: its node id, consecutive numbers, the time (pure).

Receivers of the multicast and NATS rooms find losses, duplicates and reordering from the
``node``/``seq`` pair, so every envelope one node sends takes the next number, and the
parts of a split text take consecutive ones. :class:`EnvelopeStamper` is that counter and
the envelopes it makes; the caller passes the time, so this stays free of clocks.
"""

from __future__ import annotations

from papo.protocol.codec import split_text
from papo.protocol.limits import Limits
from papo.protocol.message import PROTOCOL_VERSION, ChatMessage

#: Digits of a second kept in the ``ts`` of a stamped envelope (milliseconds).
TS_DIGITS = 3


class EnvelopeStamper:
    """Numbers the envelopes of one node (``seq`` from 1) and stamps node, time and room."""

    def __init__(self, node: str, room: str | None = None) -> None:
        self.node = node
        self.room = room
        #: The number the next envelope takes.
        self.next_seq = 1

    def control(self, nick: str, kind: str, data: str, now: float) -> ChatMessage:
        """One envelope (join, leave, nick, presence...) with the next number."""
        seq = self.next_seq
        self.next_seq += 1
        return ChatMessage(
            user=nick,
            data=data,
            type=kind,
            v=PROTOCOL_VERSION,
            node=self.node,
            seq=seq,
            ts=round(now, TS_DIGITS),
            room=self.room,
        )

    def text(
        self, nick: str, kind: str, text: str, to: str | None, now: float, limits: Limits
    ) -> list[ChatMessage]:
        """``text`` as envelopes that each fit ``limits``, numbered consecutively."""
        first_seq = self.next_seq
        ts = round(now, TS_DIGITS)

        def build(chunk: str, part: int | None, parts: int | None) -> ChatMessage:
            return ChatMessage(
                user=nick,
                data=chunk,
                type=kind,
                v=PROTOCOL_VERSION,
                node=self.node,
                seq=first_seq + (part or 1) - 1,
                ts=ts,
                part=part,
                parts=parts,
                to=to,
                room=self.room,
            )

        messages = split_text(text, build, limits)
        self.next_seq += len(messages)
        return messages


__all__ = ["TS_DIGITS", "EnvelopeStamper"]
