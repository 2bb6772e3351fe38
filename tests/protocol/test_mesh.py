"""Mesh frames: encoding, total decoding, relaying with a hop budget, de-duplication, presence."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.errors import DecodeError
from papo.protocol.codec import decode
from papo.protocol.mesh import (
    DEDUP_CACHE_SIZE,
    DEFAULT_MAX_HOPS,
    MAX_HOPS_LIMIT,
    MAX_MESH_MEMBERS,
    DedupCache,
    Flood,
    GapTracker,
    Heartbeat,
    Hello,
    Presence,
    decode_frame,
    encode_frame,
    message_id,
    relayed,
)
from papo.protocol.message import ChatMessage, MessageType


def chat(text: str = "oi", seq: int = 1) -> ChatMessage:
    return ChatMessage(user="ana", data=text, v=1, node="n1", seq=seq, id=message_id("n1", seq))


@pytest.mark.parametrize(
    "frame",
    [
        Hello(node="n1", nick="ana", port=4000),
        Heartbeat(node="n1", nick="ana", seq=9, hops=3),
        Heartbeat(node="n1", nick="ana", seq=10, hops=3, links=("n2", "n3")),
        Flood(chat(), hops=DEFAULT_MAX_HOPS),
        Flood(ChatMessage(user="ana", data="", type=MessageType.JOIN, v=1, node="n1", id="n1:2")),
        Flood(
            ChatMessage(
                user="ana",
                data="psst",
                type=MessageType.PRIVATE,
                v=1,
                node="n1",
                id="n1:3",
                to="bia",
            ),
            hops=0,
        ),
    ],
)
def test_every_frame_round_trips(frame: object) -> None:
    assert decode_frame(encode_frame(frame)) == frame  # type: ignore[arg-type]


def test_frame_is_one_line_a_handout_program_can_read() -> None:
    payload = encode_frame(Flood(chat("ção\nnova linha")))
    assert b"\n" not in payload
    handout_view = json.loads(payload)
    assert (handout_view["user"], handout_view["data"]) == ("ana", "ção\nnova linha")
    assert isinstance(decode(payload), ChatMessage)


def test_relayed_copy_has_one_hop_fewer_and_stops_at_zero() -> None:
    frame = Flood(chat(), hops=1)
    once = relayed(frame)
    assert once is not None and once.hops == 0
    assert relayed(once) is None


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b"not json", "decode_not_mesh"),
        (b'{"user":"ana","data":"oi"}', "decode_not_mesh"),
        (b'{"user":"ana","data":"","type":"hello","node":"n1"}', "decode_bad_value"),
        (b'{"user":"ana","data":"","type":"hello","node":"n1","port":0}', "decode_bad_value"),
        (b'{"user":"ana","data":"oi","node":"n1","id":"n1:1"}', "decode_bad_value"),
        (b'{"user":"ana","data":"oi","node":"n1","id":"n1:1","hops":-1}', "decode_bad_value"),
        (
            b'{"user":"ana","data":"oi","node":"n1","id":"n1:1","hops":%d}' % (MAX_HOPS_LIMIT + 1),
            "decode_bad_value",
        ),
        (b'{"user":"ana","data":"oi","node":"n1","hops":2}', "decode_missing_field"),
        (b'{"user":"ana","data":"","type":"beat","node":"n1","hops":2}', "decode_missing_field"),
        (
            b'{"user":"ana","data":"","type":"weird","node":"n1","id":"x","hops":2}',
            "decode_bad_value",
        ),
        (b"\xff", "decode_invalid_utf8"),
        (
            b'{"user":"ana","data":"","type":"beat","node":"n1","id":"n1:b1","seq":1,"hops":2,'
            b'"links":"n2"}',
            "decode_bad_value",
        ),
        (
            b'{"user":"ana","data":"","type":"beat","node":"n1","id":"n1:b1","seq":1,"hops":2,'
            b'"links":["bad id"]}',
            "decode_bad_value",
        ),
    ],
)
def test_bad_line_is_a_typed_error(line: bytes, code: str) -> None:
    error = decode_frame(line)
    assert isinstance(error, DecodeError)
    assert error.code == code


@given(st.binary(max_size=300))
def test_decoding_any_bytes_never_raises(line: bytes) -> None:
    assert isinstance(decode_frame(line), Hello | Heartbeat | Flood | DecodeError)


def test_dedup_cache_reports_each_id_new_exactly_once() -> None:
    cache = DedupCache(size=8)
    assert cache.first_time("a")
    assert not cache.first_time("a")
    assert not cache.first_time("a")
    assert cache.duplicates == 2


def test_dedup_cache_is_bounded_and_forgets_the_oldest() -> None:
    cache = DedupCache(size=3)
    for name in "abcd":
        assert cache.first_time(name)
    assert len(cache) == 3
    assert cache.first_time("a")  # forgotten, so new again
    assert not cache.first_time("d")


def test_default_dedup_cache_size_is_named() -> None:
    assert DedupCache().size == DEDUP_CACHE_SIZE


def test_presence_reports_new_members_renames_and_silence() -> None:
    presence = Presence()
    assert presence.heard("n1", "ana", now=0.0) == (True, None)
    assert presence.heard("n1", "ana", now=1.0) == (False, None)
    assert presence.heard("n1", "ana2", now=1.5) == (False, "ana")
    assert presence.heard("n2", "bia", now=2.0) == (True, None)
    assert presence.nicks() == ("ana2", "bia")
    assert presence.expire(now=4.0, deadline=2.0) == [("n1", "ana2")]
    assert presence.nicks() == ("bia",)
    assert presence.remove("n2") == "bia"
    assert len(presence) == 0


def test_presence_is_bounded_and_counts_the_nodes_it_refuses() -> None:
    presence = Presence(max_members=2)
    assert presence.heard("n1", "ana", 0.0) == (True, None)
    assert presence.heard("n2", "bia", 0.0) == (True, None)
    assert presence.heard("n3", "caio", 0.0) == (False, None)
    assert presence.refused == 1 and "n3" not in presence
    presence.remove("n1")
    assert presence.heard("n3", "caio", 0.0) == (True, None)


def test_default_presence_bound_is_named() -> None:
    assert Presence().max_members == MAX_MESH_MEMBERS


def test_gap_becomes_a_loss_only_when_still_open_after_the_wait() -> None:
    gaps = GapTracker()
    gaps.seen("n1", "ana", 1, now=0.0)
    gaps.seen("n1", "ana", 4, now=1.0)  # 2 and 3 not here yet
    gaps.seen("n1", "ana", 2, now=1.5)  # 2 took a longer path
    assert gaps.overdue(now=2.0, wait=5.0) == []
    assert gaps.overdue(now=6.5, wait=5.0) == [("ana", 1)]
    assert gaps.overdue(now=60.0, wait=5.0) == []  # told once


def test_reordered_copies_are_no_loss() -> None:
    gaps = GapTracker()
    for seq in (1, 3, 2, 5, 4):
        gaps.seen("n1", "ana", seq, now=0.0)
    assert gaps.overdue(now=100.0, wait=1.0) == []


def test_gap_wider_than_the_bound_is_counted_lost_at_once() -> None:
    gaps = GapTracker(max_missing=10)
    gaps.seen("n1", "ana", 1, now=0.0)
    gaps.seen("n1", "ana", 100, now=0.0)
    assert gaps.overdue(now=0.0, wait=5.0) == [("ana", 98)]


def test_gap_tracker_forgets_the_oldest_origin_beyond_its_bound() -> None:
    gaps = GapTracker(max_nodes=2)
    gaps.seen("n1", "ana", 1, now=0.0)
    gaps.seen("n2", "bia", 1, now=0.0)
    gaps.seen("n3", "caio", 1, now=0.0)
    gaps.seen("n1", "ana", 5, now=0.0)  # n1 was forgotten: this is a new baseline
    assert gaps.overdue(now=100.0, wait=1.0) == []


def test_heartbeat_without_links_has_no_links_key() -> None:
    assert b"links" not in encode_frame(Heartbeat(node="n1", nick="ana", seq=1))
