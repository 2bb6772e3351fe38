"""Old signed lines replayed by a transport as the room's past are history, not replays.

The NATS stream replays the room's recent past to a joiner: a line ana signed an hour ago
is shown (judged on its signature), while the same kind of line arriving live is refused.
"""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("cryptography")

from papo.protocol.codec import encode
from papo.protocol.message import ChatMessage
from papo.protocol.nickkeys import NickIdentity, NickPins, sign_message, stamped
from papo.session.chat import ChatLine, ChatSession, Notice
from papo.session.identity import NickOwnership, Ownership
from papo.transport.base import StatusChanged
from papo.transport.nats import NatsTransport

NOW = 1_700_000_000.0
ME = NickIdentity(b"\x00" * 32)
ANA = NickIdentity(b"\x01" * 32)


def signed_payload(text: str, ts: float, nonce: bytes) -> bytes:
    message = ChatMessage(user="ana", data=text, node="ana-node", seq=1, room="geral")
    return encode(sign_message(ANA, stamped(message, ts, nonce)))


def drained(transport: NatsTransport) -> list[object]:
    """The events queued so far (closing a never-connected transport ends the stream)."""

    async def collect() -> list[object]:
        await transport.close()
        return [event async for event in transport.events()]

    return asyncio.run(collect())


def test_the_nats_stream_replay_is_bracketed_and_shown_as_signed_history() -> None:
    transport = NatsTransport(["nats://127.0.0.1:4222"], "bia", clock=lambda: NOW)
    chat = ChatSession("bia", clock=lambda: NOW, ownership=NickOwnership(ME, NickPins()))
    transport.receive_payload(signed_payload("uma hora atrás", NOW - 3600, b"a" * 12), live=False)
    transport.receive_payload(signed_payload("agora", NOW, b"b" * 12), live=True)
    transport.receive_payload(signed_payload("gravada", NOW - 3600, b"c" * 12), live=True)
    events = drained(transport)
    codes = [e.code for e in events if isinstance(e, StatusChanged)]
    assert codes == ["nats_history_start", "nats_history_end"]
    shown = [ui for event in events for ui in chat.handle_event(event)]  # type: ignore[arg-type]
    lines = [e for e in shown if isinstance(e, ChatLine)]
    assert [(line.message.data, line.past) for line in lines] == [
        ("uma hora atrás", True),
        ("agora", False),
    ]
    assert lines[0].judgement is not None and lines[0].judgement.ownership == Ownership.PINNED
    assert [e.code for e in shown if isinstance(e, Notice)][-1] == "nick_replayed"
    assert chat.replays_dropped == 1
