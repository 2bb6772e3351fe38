"""Every size limit of the protocol, named, with its documented default.

Change them per program with :class:`Limits`; the defaults are the wire contract.
"""

from __future__ import annotations

from dataclasses import dataclass

#: papo never sends a datagram larger than this, so the handout's ``recvfrom(1024)``
#: receivers get every byte of every message (longer texts are split into parts).
SEND_DATAGRAM_BYTES = 1024

#: The largest datagram (or line) papo accepts; papo receivers read up to this many bytes.
MAX_DATAGRAM_BYTES = 65_535

#: The longest ``data`` text accepted in one received message, in characters.
MAX_TEXT_CHARS = 8_192

#: The longest line a local user may type and send at once, in characters.
MAX_INPUT_CHARS = 16_384

#: The most datagrams one typed line may be split into.
MAX_PARTS = 128

#: The deepest nesting of JSON arrays/objects accepted (the envelope itself is depth 1).
MAX_JSON_DEPTH = 8

#: The longest nick (``user``), in characters.
MAX_NICK_CHARS = 32

#: The longest message or node id, in characters.
MAX_ID_CHARS = 64


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits one codec, sender or receiver applies; defaults are the wire contract."""

    send_datagram_bytes: int = SEND_DATAGRAM_BYTES
    max_datagram_bytes: int = MAX_DATAGRAM_BYTES
    max_text_chars: int = MAX_TEXT_CHARS
    max_input_chars: int = MAX_INPUT_CHARS
    max_parts: int = MAX_PARTS
    max_json_depth: int = MAX_JSON_DEPTH
    max_nick_chars: int = MAX_NICK_CHARS
    max_id_chars: int = MAX_ID_CHARS


DEFAULT_LIMITS = Limits()
