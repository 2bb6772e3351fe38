"""Passphrase mode of the P2P mesh: sealed lines, the mesh key, counted rejections."""

from __future__ import annotations

import base64

import pytest

pytest.importorskip("cryptography")

from papo.errors import ConfigError, DecodeError
from papo.i18n import translate
from papo.protocol.framing import LineFramer, frame_line
from papo.protocol.sealed import ScryptParams, derive_room_key
from papo.protocol.sealed_link import (
    MESH_SALT,
    SEALED_LINE_PREFIX,
    LineSeal,
    derive_mesh_key,
    is_plain_line,
    is_sealed_line,
)

FAST = ScryptParams(n=2**4, r=8, p=1)
ANA_ID = bytes(range(16))
BIA_ID = bytes(range(16, 32))
FRAME = b'{"user":"ana","data":"segredo","type":"chat","node":"n1","id":"n1:1","hops":3}'


def make(passphrase: str = "correct horse", sender_id: bytes = ANA_ID) -> LineSeal:
    return LineSeal.from_passphrase(passphrase, sender_id=sender_id, params=FAST)


def test_member_opens_a_line_another_member_sealed() -> None:
    ana, bia = make(), make(sender_id=BIA_ID)
    line = ana.seal_line(FRAME)
    assert bia.open_line(line, "10.0.0.1:1") == FRAME
    assert not bia.counts


def test_sealed_line_is_one_framed_line_without_plaintext() -> None:
    line = make().seal_line(FRAME)
    assert line.startswith(SEALED_LINE_PREFIX) and is_sealed_line(line)
    assert b"\n" not in line and b"segredo" not in line and b"ana" not in line
    framer = LineFramer()
    assert framer.feed(frame_line(line)) == [line]


def test_wrong_passphrase_is_named_and_counted() -> None:
    line = make("correct horse").seal_line(FRAME)
    other = make("battery staple", BIA_ID)
    first = other.open_line(line, "x")
    second = other.open_line(line, "x")
    assert isinstance(first, DecodeError) and first.code == "sealed_wrong_passphrase"
    assert isinstance(second, DecodeError) and second.details["count"] == 2
    assert "senha errada" in translate(first.code, "pt", **first.details)


def test_replayed_line_is_rejected() -> None:
    ana, bia = make(), make(sender_id=BIA_ID)
    line = ana.seal_line(FRAME)
    assert bia.open_line(line, "x") == FRAME
    again = bia.open_line(line, "x")
    assert isinstance(again, DecodeError) and again.code == "sealed_replayed"


def test_tampered_line_is_rejected_as_forged() -> None:
    ana, bia = make(), make(sender_id=BIA_ID)
    raw = bytearray(base64.b64decode(ana.seal_line(FRAME)[len(SEALED_LINE_PREFIX) :]))
    raw[-1] ^= 1
    forged = bia.open_line(SEALED_LINE_PREFIX + base64.b64encode(bytes(raw)), "x")
    assert isinstance(forged, DecodeError) and forged.code == "sealed_forged"
    garbage = bia.open_line(SEALED_LINE_PREFIX + b"not base64!!", "x")
    assert isinstance(garbage, DecodeError) and garbage.code == "sealed_forged"


def test_plain_frame_on_a_sealed_link_says_the_peer_has_no_passphrase() -> None:
    error = make().open_line(FRAME, "x")
    assert isinstance(error, DecodeError) and error.code == "mesh_peer_plain"
    assert is_plain_line(FRAME) and not is_sealed_line(FRAME)
    other = make().open_line(b"\xff\x00junk", "x")
    assert isinstance(other, DecodeError) and other.code == "sealed_not_sealed"


def test_mesh_key_differs_from_any_multicast_room_key() -> None:
    mesh = derive_mesh_key("correct horse", FAST)
    assert len(mesh) == 32 and mesh == derive_mesh_key("correct horse", FAST)
    assert mesh != derive_room_key("correct horse", "224.3.29.71", 5007, FAST)
    assert mesh != derive_mesh_key("correct horse!", FAST)
    assert MESH_SALT.startswith(b"papo/mesh/")


def test_empty_passphrase_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        derive_mesh_key("   ", FAST)
    assert caught.value.code == "passphrase_empty"


def test_mesh_texts_exist_in_both_languages() -> None:
    for code in ("mesh_peer_plain", "mesh_peer_sealed", "mesh_sealed_on"):
        assert translate(code, "pt", count=1) != translate(code, "en", count=1)
        assert "{" not in translate(code, "en", count=1)


def handshake(a: LineSeal, b: LineSeal):  # type: ignore[no-untyped-def]
    """Both ends of a link after the challenges; returns (a's link, b's link)."""
    left, right = a.link(b"L" * 16), b.link(b"R" * 16)
    assert left.take_challenge(right.challenge_line()) is None
    assert right.take_challenge(left.challenge_line()) is None
    return left, right


def test_link_handshake_binds_the_hello_to_the_peers_challenge() -> None:
    ana, bia = make(), make(sender_id=BIA_ID)
    left, right = handshake(ana, bia)
    assert right.open(left.seal_hello(b"hello"), "x") == b"hello" and right.opened_hello
    line = ana.seal_line(FRAME)
    assert right.open(line, "x") == FRAME


def test_recorded_link_played_to_a_restarted_node_fails_at_the_hello() -> None:
    ana = make()
    left, _right = handshake(ana, make(sender_id=BIA_ID))
    recorded = [left.seal_hello(b"hello"), ana.seal_line(FRAME)]
    restarted = make(sender_id=BIA_ID).link(b"N" * 16)  # new challenge, empty windows
    assert restarted.take_challenge(left.challenge_line()) is None
    error = restarted.open(recorded[0], "x")
    assert isinstance(error, DecodeError) and error.code == "sealed_replayed"
    assert not restarted.opened_hello


def test_after_the_hello_only_the_hellos_sender_is_accepted_on_the_link() -> None:
    ana, bia, caio = make(), make(sender_id=BIA_ID), make(sender_id=bytes(16))
    left, right = handshake(ana, bia)
    right.open(left.seal_hello(b"hello"), "x")
    spliced = right.open(caio.seal_line(FRAME), "x")  # a member's line from another link
    assert isinstance(spliced, DecodeError) and spliced.code == "sealed_forged"


def test_first_line_that_is_not_a_challenge_is_named() -> None:
    link = make().link(b"L" * 16)
    cases = {
        FRAME: "mesh_peer_plain",
        b"sealed AAAA": "sealed_forged",
        b"\x00": "sealed_not_sealed",
    }
    for line, code in cases.items():
        error = link.take_challenge(line)
        assert isinstance(error, DecodeError) and error.code == code
    short = link.take_challenge(b"sealed challenge AAAA")
    assert isinstance(short, DecodeError) and short.code == "sealed_forged"
    with pytest.raises(ValueError):
        link.seal_hello(b"hello")
