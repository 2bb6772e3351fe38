"""The bridge's loop cutting, fed by hand (no sockets, no server)."""

from __future__ import annotations

import asyncio
import json

from papo.protocol.codec import decode, encode
from papo.protocol.message import ChatMessage
from papo.protocol.ratelimit import SEND_RATE, SOURCE_RATE, SendPacer
from papo.transport.bridge import BRIDGE_SEEN_CAPACITY, MulticastNatsBridge, _Seen
from papo.transport.multicast import MulticastConfig
from papo.transport.nats import presence_subject, room_subject


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, payload: bytes) -> None:
        self.sent.append(payload)

    def close(self) -> None:
        pass


def make_bridge() -> tuple[MulticastNatsBridge, FakeSender]:
    bridge = MulticastNatsBridge(MulticastConfig(), ["nats://127.0.0.1:4222"], "geral")
    sender = FakeSender()
    bridge._sender = sender  # type: ignore[assignment]
    return bridge, sender


def outbox(bridge: MulticastNatsBridge) -> list[tuple[str, bytes, str | None]]:
    items = []
    while not bridge._outbox.empty():
        items.append(bridge._outbox.get_nowait())
    return items


def envelope(text: str, node: str = "lan1", seq: int = 1, kind: str = "chat") -> bytes:
    return encode(ChatMessage(user="ana", data=text, type=kind, v=1, node=node, seq=seq))


def test_lan_message_goes_to_nats_once_even_when_heard_twice() -> None:
    async def scenario() -> None:
        bridge, _sender = make_bridge()
        bridge.from_lan(envelope("oi"), "10.0.0.2:5007")
        bridge.from_lan(envelope("oi"), "10.0.0.2:5007")
        assert outbox(bridge) == [(room_subject("geral"), envelope("oi"), "lan1:1")]
        assert bridge.loops_cut == 1

    asyncio.run(scenario())


def test_nats_message_reaches_the_lan_once_and_its_echo_is_not_sent_back() -> None:
    async def scenario() -> None:
        bridge, sender = make_bridge()
        remote = envelope("de longe", node="far", seq=7)
        bridge.from_nats(remote)
        bridge.from_nats(remote)  # a second bridge or a redelivery
        assert sender.sent == [remote]
        bridge.from_lan(remote, "10.0.0.1:5007")  # the kernel loops our datagram back
        assert outbox(bridge) == []
        assert bridge.loops_cut == 2
        assert bridge.to_lan == 1

    asyncio.run(scenario())


def test_handout_message_echo_is_ignored_once_then_the_same_text_is_relayed() -> None:
    async def scenario() -> None:
        bridge, sender = make_bridge()
        handout = json.dumps({"user": "zé", "data": "oi"}).encode()
        bridge.from_nats(handout)
        assert sender.sent == [handout]
        bridge.from_lan(handout, "10.0.0.1:5007")  # our own datagram, looped back
        assert outbox(bridge) == []
        bridge.from_lan(handout, "10.0.0.9:5007")  # zé on this LAN really types "oi" again
        assert [item[1] for item in outbox(bridge)] == [handout]

    asyncio.run(scenario())


def test_presence_uses_the_presence_subject_and_bad_datagrams_are_counted() -> None:
    async def scenario() -> None:
        bridge, sender = make_bridge()
        bridge.from_lan(envelope("", kind="presence"), "10.0.0.2:5007")
        bridge.from_lan(b"\xff\xfe not utf-8", "10.0.0.3:5007")
        bridge.from_nats(b"[1, 2]")
        bridge.from_nats(b"plain text is not an envelope")
        assert [item[0] for item in outbox(bridge)] == [presence_subject("geral")]
        assert bridge.dropped == 3
        assert sender.sent == []

    asyncio.run(scenario())


def test_plain_text_from_a_handout_program_gets_an_envelope_on_nats() -> None:
    async def scenario() -> None:
        bridge, _sender = make_bridge()
        bridge.from_lan(b"ana: oi", "10.0.0.2:5007")
        (item,) = outbox(bridge)
        message = decode(item[1])
        assert isinstance(message, ChatMessage)
        assert (message.user, message.data, message.plain) == ("10.0.0.2:5007", "ana: oi", False)

    asyncio.run(scenario())


def test_remembered_identities_are_bounded() -> None:
    seen = _Seen(3)
    assert all(seen.add(key) for key in "abcd")
    assert seen.add("a") is True  # forgotten: the oldest went first
    assert seen.add("d") is False
    assert BRIDGE_SEEN_CAPACITY >= 1024


class FakeNatsMsg:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.headers: dict[str, str] = {}


def test_what_comes_from_nats_reaches_the_lan_paced_after_its_burst() -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async def scenario() -> None:
        bridge, sender = make_bridge()
        bridge.lan_pacer = SendPacer(rate=100, burst=2)
        bridge._pace_clock = lambda: 0.0
        bridge._sleep = record
        for seq in range(1, 6):
            await bridge._from_nats(FakeNatsMsg(envelope(f"m{seq}", node="far", seq=seq)))
        assert len(sender.sent) == 5
        assert waits == [0.01, 0.02, 0.03], "the burst at once, then at the pacer's rate"

    asyncio.run(scenario())


def test_what_goes_to_nats_is_published_paced() -> None:
    waits: list[float] = []
    published: list[bytes] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async def scenario() -> None:
        bridge, _sender = make_bridge()
        bridge.nats_pacer = SendPacer(rate=100, burst=1)
        bridge._pace_clock = lambda: 0.0
        bridge._sleep = record

        async def publish(subject: str, payload: bytes, key: str | None) -> None:
            published.append(payload)

        bridge._publish_stored = publish  # type: ignore[method-assign]
        for seq in range(1, 4):
            bridge.from_lan(envelope(f"m{seq}", seq=seq), "10.0.0.2:5007")
        task = asyncio.create_task(bridge._publish_loop())
        for _ in range(1000):  # a few loop turns are enough; bounded anyway
            if len(published) == 3:
                break
            await asyncio.sleep(0)
        task.cancel()
        assert waits == [0.01, 0.02]

    asyncio.run(scenario())


def test_the_bridge_paces_both_ways_at_the_senders_rate_by_default() -> None:
    bridge, _sender = make_bridge()
    assert bridge.lan_pacer.rate == bridge.nats_pacer.rate == SEND_RATE < SOURCE_RATE
