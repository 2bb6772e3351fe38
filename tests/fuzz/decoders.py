"""Every decoder and framer of ``papo.protocol``, behind one shape for fuzzers.

A :class:`Decoder` takes any bytes; :func:`check` runs it and asserts the contract every
decoder keeps: it returns a value of its own types or a :class:`~papo.errors.DecodeError`
whose code has a text in both languages, and it never raises. Modules that do not exist
yet are skipped, so the list grows by itself as the protocol grows (add new decoders
here). Used by the hypothesis suite (``test_fuzz_decoders.py``) and the long atheris run
(``atheris_fuzz.py``, see docs/fuzzing.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from papo.errors import DecodeError
from papo.i18n import CATALOG, translate


@dataclass(frozen=True)
class Decoder:
    """One decoder: ``run(data)`` returns one of ``accepts`` or a DecodeError."""

    name: str
    run: Callable[[bytes], object]
    accepts: tuple[type, ...]


def _optional(module: str) -> object | None:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _codec() -> list[Decoder]:
    from papo.protocol.codec import decode
    from papo.protocol.message import ChatMessage

    return [Decoder("codec.decode", lambda data: decode(data, "fuzz"), (ChatMessage,))]


def _framer() -> list[Decoder]:
    from papo.protocol.framing import LineFramer

    def feed_in_chunks(data: bytes) -> list[object]:
        # The first byte picks the chunk size, so fuzzers explore every chunking.
        step = (data[0] % 17 + 1) if data else 1
        framer = LineFramer(max_line_bytes=64)
        out: list[object] = []
        for start in range(0, len(data), step):
            out.extend(framer.feed(data[start : start + step]))
            assert framer.pending_bytes <= 64
        for item in out:
            assert isinstance(item, DecodeError) or (len(item) <= 64 and b"\n" not in item)
        return out

    return [Decoder("framing.LineFramer", feed_in_chunks, (list,))]


def _sealed() -> list[Decoder]:
    sealed = _optional("papo.protocol.sealed")
    if sealed is None or not sealed.CRYPTO_AVAILABLE:
        return []
    key = sealed.derive_room_key("fuzz", "224.3.29.71", 5007, sealed.ScryptParams(n=2**4))
    receiver = sealed.DatagramSeal(key, sender_id=bytes(16))
    key_id = receiver.key_id

    def open_forgery(data: bytes) -> object:
        # Also try it behind a valid magic and key id, so the AEAD itself is reached.
        for candidate in (data, sealed.MAGIC + key_id + data):
            result = receiver.open(candidate, "fuzz")
            assert isinstance(result, DecodeError), "a forgery was accepted"
        return result

    return [Decoder("sealed.DatagramSeal.open", open_forgery, ())]


def _room() -> list[Decoder]:
    room = _optional("papo.protocol.room")
    if room is None or not hasattr(room, "decode_room"):
        return []
    return [Decoder("room.decode_room", room.decode_room, (room.RoomMessage,))]


def _mesh() -> list[Decoder]:
    mesh = _optional("papo.protocol.mesh")
    if mesh is None or not hasattr(mesh, "decode_frame"):
        return []
    frames = tuple(getattr(mesh, name) for name in ("Hello", "Heartbeat", "Flood"))
    return [Decoder("mesh.decode_frame", lambda data: mesh.decode_frame(data, "fuzz"), frames)]


def _beacon() -> list[Decoder]:
    beacon = _optional("papo.protocol.beacon")
    if beacon is None or not hasattr(beacon, "decode_beacon"):
        return []
    announcements = (beacon.Beacon, beacon.RoomBeacon, beacon.Seek)
    return [
        Decoder("beacon.decode_beacon", beacon.decode_beacon, (beacon.Beacon,)),
        Decoder("beacon.decode_announcement", beacon.decode_announcement, announcements),
    ]


def _record() -> list[Decoder]:
    record = _optional("papo.protocol.record")
    if record is None or not hasattr(record, "decode_record"):
        return []
    return [
        Decoder("record.decode_record", record.decode_record, (record.Record,)),
        Decoder(
            "record.decode_record(partial)",
            lambda data: record.decode_record(data, complete=False),
            (record.Record,),
        ),
        Decoder("record.is_complete_record", record.is_complete_record, (bool,)),
    ]


def _nick_pins() -> list[Decoder]:
    nickkeys = _optional("papo.protocol.nickkeys")
    sealed = _optional("papo.protocol.sealed")
    if nickkeys is None or sealed is None or not sealed.CRYPTO_AVAILABLE:
        return []

    def pins_from_bytes(data: bytes) -> object:
        import json

        try:
            value = json.loads(data)
        except (ValueError, RecursionError):
            return DecodeError("pins_bad_file")
        return nickkeys.NickPins.from_json(value)

    return [Decoder("nickkeys.NickPins.from_json", pins_from_bytes, (nickkeys.NickPins,))]


def _text() -> list[Decoder]:
    from papo.protocol.text import terminal_safe

    def safe(data: bytes) -> str:
        text = data.decode("utf-8", "surrogateescape")
        shown = terminal_safe(text)
        for char in shown:
            code = ord(char)
            assert code >= 0x20 and not 0x7F <= code <= 0x9F, repr(shown)
            assert not 0x202A <= code <= 0x202E and not 0x2066 <= code <= 0x2069, repr(shown)
        return shown

    decoders = [Decoder("text.terminal_safe", safe, (str,))]
    confusables = _optional("papo.protocol.confusables")
    if confusables is not None and hasattr(confusables, "skeleton"):
        decoders.append(
            Decoder(
                "confusables.skeleton",
                lambda data: confusables.skeleton(data.decode("utf-8", "replace")),
                (str,),
            )
        )
    return decoders


DECODERS: list[Decoder] = [
    *_codec(),
    *_framer(),
    *_sealed(),
    *_room(),
    *_mesh(),
    *_beacon(),
    *_record(),
    *_nick_pins(),
    *_text(),
]


def check(decoder: Decoder, data: bytes) -> object:
    """Run ``decoder`` on ``data`` and assert the decoder contract; return the result."""
    result = decoder.run(data)
    if isinstance(result, DecodeError):
        assert result.code in CATALOG, f"{decoder.name}: no text for code {result.code!r}"
        for lang in ("pt", "en"):
            assert translate(result.code, lang, **result.details)
        return result
    assert isinstance(result, decoder.accepts), f"{decoder.name} returned {result!r}"
    return result
