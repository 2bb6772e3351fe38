"""Write a seed corpus for ``atheris_fuzz.py``: one valid input of every kind for every decoder.

Usage: ``PYTHONPATH=src:tests python tests/fuzz/make_seeds.py corpus/`` (see docs/fuzzing.md).
Valid seeds let the fuzzer start past the JSON parser, in the checks of each protocol.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from fuzz.decoders import DECODERS

from papo.protocol.codec import encode
from papo.protocol.message import ChatMessage


def valid_payloads() -> list[bytes]:
    """One well-formed example of every kind of bytes papo reads."""
    message = ChatMessage(user="ana", data="oi ção 😀", v=1, node="n1", seq=3, ts=1.5, id="n1:3")
    payloads = [
        encode(message),
        encode(ChatMessage(user="ana", data="parte", v=1, part=1, parts=2, to="bia")),
        b"ana: plain text\n",
    ]
    from papo.protocol import beacon, mesh, record, room

    payloads += [
        room.join_line("ana").rstrip(b"\n"),
        room.welcome_line("ana", ["ana", "bia"]).rstrip(b"\n"),
        room.error_line("room_nick_taken", suggestion="ana2").rstrip(b"\n"),
        mesh.encode_frame(mesh.Hello("n1", "ana", 5050)),
        mesh.encode_frame(mesh.Heartbeat("n1", "ana", 7)),
        mesh.encode_frame(mesh.Flood(message, hops=3)),
        beacon.encode_beacon(beacon.Beacon("n1", "ana", 5050)),
        record.encode_record(record.Record("Ana", 20, "ana@example.com")),
    ]
    from papo.protocol import sealed

    if sealed.CRYPTO_AVAILABLE:
        # A datagram of another room with the fuzzed room's key id spliced in: well formed
        # up to the authentication tag, so the fuzzer starts at the AEAD (a genuine one
        # would be accepted, and the harness counts any accepted datagram as a forgery).
        cheap = sealed.ScryptParams(n=2**4)
        room = sealed.DatagramSeal(
            sealed.derive_room_key("fuzz", "224.3.29.71", 5007, cheap), sender_id=bytes(16)
        )
        other = sealed.DatagramSeal(
            sealed.derive_room_key("other", "224.3.29.71", 5007, cheap), sender_id=bytes(16)
        )
        datagram = other.seal(encode(message))
        start = len(sealed.MAGIC)
        payloads.append(datagram[:start] + room.key_id + datagram[start + len(room.key_id) :])
    return payloads


def main() -> None:
    """Write every payload once per decoder (the first byte picks the decoder)."""
    corpus = Path(sys.argv[1])
    corpus.mkdir(parents=True, exist_ok=True)
    for index in range(len(DECODERS)):
        for payload in valid_payloads():
            data = bytes([index]) + payload
            (corpus / hashlib.sha1(data).hexdigest()).write_bytes(data)
    print(f"{len(DECODERS) * len(valid_payloads())} seeds in {corpus}")


if __name__ == "__main__":
    main()
