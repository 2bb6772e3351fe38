"""Envelope stamping of serverless nodes: consecutive numbers across controls and parts."""

from __future__ import annotations

from papo.protocol.limits import DEFAULT_LIMITS
from papo.protocol.message import MessageType
from papo.protocol.stamp import EnvelopeStamper


def test_controls_and_split_parts_take_consecutive_numbers_with_one_time() -> None:
    stamper = EnvelopeStamper("node1", room="geral")
    join = stamper.control("ana", MessageType.JOIN, "entrou", 10.12345)
    parts = stamper.text("ana", MessageType.CHAT, "x" * 3000, None, 11.0, DEFAULT_LIMITS)
    leave = stamper.control("ana", MessageType.LEAVE, "saiu", 12.0)
    assert join.seq == 1 and join.ts == 10.123 and join.room == "geral" and join.node == "node1"
    assert len(parts) > 1
    assert [p.seq for p in parts] == list(range(2, 2 + len(parts)))
    assert {p.ts for p in parts} == {11.0}
    assert [p.part for p in parts] == list(range(1, len(parts) + 1))
    assert "".join(p.data for p in parts) == "x" * 3000
    assert leave.seq == 2 + len(parts)


def test_a_short_text_is_one_unnumbered_part_addressed_as_asked() -> None:
    stamper = EnvelopeStamper("node1")
    (only,) = stamper.text("ana", MessageType.PRIVATE, "oi", "bia", 1.0, DEFAULT_LIMITS)
    assert (only.part, only.parts, only.to, only.room, only.seq) == (None, None, "bia", None, 1)
    assert stamper.next_seq == 2
