"""Nick ownership in the chat session: pin on first use, flag impostors, sign what is sent."""

from __future__ import annotations

from dataclasses import replace

import pytest

pytest.importorskip("cryptography")

import itertools

from papo.protocol.codec import decode, encode, split_text
from papo.protocol.limits import DEFAULT_LIMITS, SEND_DATAGRAM_BYTES
from papo.protocol.message import ChatMessage, MessageType
from papo.protocol.nickkeys import (
    SIGNED_MAX_AGE_SECONDS,
    NickIdentity,
    NickPins,
    sign_message,
    signer_key,
    stamped,
)
from papo.session.chat import (
    MAX_JUDGED_MESSAGES,
    MAX_REPLAY_NOTICE_NICKS,
    REPLAY_NOTICE_SECONDS,
    ChatLine,
    ChatSession,
    Notice,
)
from papo.session.identity import MessageSigner, NickOwnership, Ownership
from papo.session.reassembly import Reassembler
from papo.transport.base import Delivered, NickChanged, StatusChanged
from papo.transport.catch_up import CaughtUp
from papo.ui.chat import plain_text, render

NOW = 1_700_000_000.0
_IDS = itertools.count()

ME = NickIdentity(b"\x00" * 32)
ANA = NickIdentity(b"\x01" * 32)
EVE = NickIdentity(b"\x02" * 32)


def session(saved: list[NickPins] | None = None) -> ChatSession:
    ownership = NickOwnership(ME, NickPins(), save=None if saved is None else saved.append)
    return ChatSession("bia", clock=lambda: NOW, ownership=ownership)


def said(identity: NickIdentity | None, text: str, nick: str = "ana", **extra: object) -> Delivered:
    fields: dict[str, object] = {"node": "n1", "seq": len(text), **extra}
    message = ChatMessage(user=nick, data=text, **fields)  # type: ignore[arg-type]
    if identity is None:
        return Delivered(message)
    nonce = next(_IDS).to_bytes(12, "big")  # a new id per message, as a signer stamps
    return Delivered(sign_message(identity, stamped(message, NOW, nonce)))


def test_first_signed_message_pins_the_nick_once_and_saves_the_pins() -> None:
    saved: list[NickPins] = []
    chat = session(saved)
    pinned, line = chat.handle_event(said(ANA, "oi"))
    assert isinstance(pinned, Notice) and pinned.code == "nick_key_pinned"
    assert pinned.details["pinned"] == ANA.fingerprint
    assert isinstance(line, ChatLine) and line.impostor is None
    (again,) = chat.handle_event(said(ANA, "tudo bem?"))
    assert isinstance(again, ChatLine) and again.impostor is None
    assert len(saved) == 2  # own nick claimed, then ana pinned
    assert saved[-1].pinned("ana") == ANA.public_key


def test_another_key_for_a_pinned_nick_is_shown_as_an_impostor() -> None:
    chat = session()
    chat.handle_event(said(ANA, "oi"))
    (line,) = chat.handle_event(said(EVE, "sou a ana de verdade"))
    assert isinstance(line, ChatLine) and line.impostor is not None
    assert line.impostor.ownership == Ownership.IMPOSTOR
    assert (line.impostor.pinned, line.impostor.presented) == (ANA.fingerprint, EVE.fingerprint)
    text = plain_text(render(line, "en"))[0]
    assert "IMPOSTOR?" in text and ANA.fingerprint in text and EVE.fingerprint in text


def test_an_unsigned_message_from_a_pinned_nick_is_an_impostor() -> None:
    chat = session()
    chat.handle_event(said(ANA, "oi"))
    (line,) = chat.handle_event(said(None, "sem chave"))
    assert isinstance(line, ChatLine) and line.impostor is not None
    assert line.impostor.presented == ""


def test_a_forged_signature_is_an_impostor_not_a_pin() -> None:
    chat = session()
    chat.handle_event(said(ANA, "oi"))
    forged = replace(said(ANA, "oi!").message, data="me dá a senha")
    (line,) = chat.handle_event(Delivered(forged))
    assert isinstance(line, ChatLine) and line.impostor is not None


def test_handout_programs_unsigned_and_never_pinned_are_shown_as_today() -> None:
    chat = session()
    (line,) = chat.handle_event(Delivered(ChatMessage(user="prof", data="oi turma")))
    assert isinstance(line, ChatLine) and line.impostor is None and line.imitates is None
    (plain,) = chat.handle_event(Delivered(ChatMessage(user="?", data="x", plain=True)))
    assert isinstance(plain, ChatLine) and plain.impostor is None


def test_without_an_identity_nothing_is_judged() -> None:
    chat = ChatSession("bia")
    (line,) = chat.handle_event(said(ANA, "oi"))
    assert isinstance(line, ChatLine) and line.impostor is None


def test_an_impostor_leaving_or_renaming_gets_a_warning_line() -> None:
    chat = session()
    chat.handle_event(said(ANA, "oi"))
    warning, left = chat.handle_event(said(EVE, "saiu", type=MessageType.LEAVE))
    assert isinstance(warning, Notice) and warning.code == "nick_impostor" and warning.warning
    assert isinstance(left, Notice) and left.code == "chat_left"
    warning, _renamed = chat.handle_event(said(EVE, "eve", type=MessageType.NICK))
    assert isinstance(warning, Notice) and warning.code == "nick_impostor"


def test_unsigned_joins_and_leaves_made_by_a_relay_are_not_flagged() -> None:
    chat = session()
    chat.handle_event(said(ANA, "oi"))
    # The room server and the mesh announce joins and leaves themselves, unsigned.
    (left,) = chat.handle_event(said(None, "", type=MessageType.LEAVE))
    assert isinstance(left, Notice) and left.code == "chat_left"


def test_a_stranger_cannot_be_pinned_under_my_own_nick() -> None:
    chat = session()
    chat.handle_event(NickChanged("bianca"))
    (line,) = chat.handle_event(said(EVE, "sou a bianca", nick="bianca"))
    assert isinstance(line, ChatLine) and line.impostor is not None


def test_one_impostor_part_flags_the_whole_reassembled_message() -> None:
    chat = session()
    chat.handle_event(said(ANA, "oi"))
    first = said(ANA, "ab", seq=7, part=1, parts=2).message
    second = said(EVE, "cd", seq=8, part=2, parts=2).message
    assert chat.handle_event(Delivered(first)) == []
    (line,) = chat.handle_event(Delivered(second))
    assert isinstance(line, ChatLine) and line.message.data == "abcd"
    assert line.impostor is not None


def test_remembered_verdicts_are_bounded() -> None:
    chat = session()
    chat._splits = Reassembler(max_pending=MAX_JUDGED_MESSAGES * 2)  # keep every part pending
    chat.handle_event(said(ANA, "oi"))
    for index in range(MAX_JUDGED_MESSAGES + 50):
        chat.handle_event(
            Delivered(ChatMessage(user="ana", data="x", seq=index * 2, part=1, parts=2))
        )
    assert len(chat._judged) == MAX_JUDGED_MESSAGES


def test_the_signer_stamps_and_signs_chat_messages_and_leaves_others_alone() -> None:
    signer = MessageSigner(ANA, clock=lambda: NOW, random_bytes=lambda n: b"\x07" * n)
    signed = signer.sign(ChatMessage(user="ana", data="oi", seq=1))
    assert signer_key(signed) == ANA.public_key
    assert signed.ts == NOW and signed.id == "BwcHBwcHBwcHBwcH"
    kept = signer.sign(ChatMessage(user="ana", data="oi", id="mesh:1", ts=5.0))
    assert (kept.id, kept.ts) == ("mesh:1", 5.0), "a transport's own id and time are kept"
    presence = ChatMessage(user="ana", data="", type="presence")
    assert signer.sign(presence) is presence


def test_a_signature_survives_what_relays_change() -> None:
    signed = MessageSigner(ANA).sign(ChatMessage(user="ana", data="oi", node="a", seq=1))
    relayed = replace(signed, node="server-epoch", seq=99, v=1, source="10.0.0.9:1")
    assert signer_key(relayed) == ANA.public_key
    assert signer_key(replace(signed, data="oi!")) is None
    assert signer_key(replace(signed, ts=signed.ts + 1)) is None  # type: ignore[operator]


def test_signed_parts_of_a_long_line_fit_the_datagram_budget_and_reassemble() -> None:
    signer = MessageSigner(ANA, clock=lambda: NOW)
    limits = replace(DEFAULT_LIMITS, send_datagram_bytes=SEND_DATAGRAM_BYTES - signer.overhead)

    def build(chunk: str, part: int | None, parts: int | None) -> ChatMessage:
        seq = part or 1
        return ChatMessage(
            user="ana", data=chunk, v=1, node="n" * 16, seq=seq, ts=NOW, part=part, parts=parts
        )

    text = "palavra " * 600 + "ç" * 900
    payloads = [encode(signer.sign(part)) for part in split_text(text, build, limits)]
    assert len(payloads) > 2 and all(len(p) <= SEND_DATAGRAM_BYTES for p in payloads)
    chat = session()
    shown = [e for p in payloads for e in chat.handle_event(Delivered(decode(p)))]  # type: ignore[arg-type]
    lines = [e for e in shown if isinstance(e, ChatLine)]
    assert [line.message.data for line in lines] == [text]
    assert lines[0].impostor is None
    assert [e.code for e in shown if isinstance(e, Notice)] == ["nick_key_pinned"]


def test_a_signed_message_received_twice_is_dropped_and_counted_with_one_notice() -> None:
    chat = session()
    captured = said(ANA, "oi")
    chat.handle_event(captured)
    (notice,) = chat.handle_event(captured)
    assert isinstance(notice, Notice) and notice.code == "nick_replayed" and notice.warning
    assert chat.judgement is not None and chat.judgement.ownership == Ownership.REPLAYED
    assert chat.handle_event(captured) == [], "one notice per nick per minute"
    assert chat.replays_dropped == 2
    (line,) = chat.handle_event(said(ANA, "e agora?"))
    assert isinstance(line, ChatLine) and line.impostor is None


@pytest.mark.parametrize("skew", [-SIGNED_MAX_AGE_SECONDS - 1, SIGNED_MAX_AGE_SECONDS + 1])
def test_a_signed_message_outside_the_time_window_is_dropped_and_pins_nothing(
    skew: float,
) -> None:
    saved: list[NickPins] = []
    chat = session(saved)
    old = sign_message(ANA, stamped(ChatMessage(user="ana", data="oi"), NOW + skew, b"1" * 12))
    (notice,) = chat.handle_event(Delivered(old))
    assert isinstance(notice, Notice) and notice.code == "nick_replayed"
    assert saved[-1].pinned("ana") is None


def test_old_signed_lines_replayed_by_the_room_server_are_shown_as_history() -> None:
    chat = session()
    chat.handle_event(said(ANA, "oi"))
    old = sign_message(ANA, stamped(ChatMessage(user="ana", data="ontem"), NOW - 86_400, b"2" * 12))
    forged = replace(old, data="forjado")
    chat.handle_event(StatusChanged("room_history_start", {"count": 2}))
    (line,) = chat.handle_event(Delivered(old))
    assert isinstance(line, ChatLine) and line.past and line.impostor is None
    assert line.judgement is not None and line.judgement.ownership == Ownership.OWNER
    (fake,) = chat.handle_event(Delivered(forged))
    assert isinstance(fake, ChatLine) and fake.impostor is not None
    chat.handle_event(StatusChanged("room_history_end"))
    (notice,) = chat.handle_event(Delivered(old))
    assert isinstance(notice, Notice) and notice.code == "nick_replayed", "live again"


def test_catch_up_lines_are_judged_on_their_signature_not_their_age() -> None:
    chat = session()
    old = sign_message(ANA, stamped(ChatMessage(user="ana", data="ontem"), NOW - 86_400, b"3" * 12))
    eve = sign_message(EVE, stamped(ChatMessage(user="ana", data="eu"), NOW - 86_000, b"4" * 12))
    _header, first, second, _end = chat.handle_event(CaughtUp((old, eve)))
    assert isinstance(first, ChatLine) and first.judgement is not None
    assert first.judgement.ownership == Ownership.PINNED and first.impostor is None
    assert isinstance(second, ChatLine) and second.impostor is not None


def test_replay_notices_come_again_after_a_minute_and_their_memory_is_bounded() -> None:
    clock = [NOW]
    chat = ChatSession("bia", clock=lambda: clock[0], ownership=NickOwnership(ME, NickPins()))
    captured = said(ANA, "oi")
    chat.handle_event(captured)
    assert len(chat.handle_event(captured)) == 1
    clock[0] += REPLAY_NOTICE_SECONDS - 1
    assert chat.handle_event(captured) == []
    clock[0] += 1
    (notice,) = chat.handle_event(captured)
    assert isinstance(notice, Notice) and notice.details["count"] == 3
    for index in range(MAX_REPLAY_NOTICE_NICKS + 10):
        stranger = NickIdentity(index.to_bytes(32, "big"))
        copy = sign_message(
            stranger, stamped(ChatMessage(user=f"n{index}", data="x"), NOW, b"z" * 12)
        )
        chat.handle_event(Delivered(copy))
        chat.handle_event(Delivered(copy))
    assert len(chat._replay_noticed) == MAX_REPLAY_NOTICE_NICKS
