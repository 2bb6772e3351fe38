"""The bad-input catalogue: what broken or hostile peers send, as target-independent cases.

A case makes its payloads for a target: ``make(max_payload)`` returns the byte strings a
peer sends (datagrams, or lines on a stream target). ``max_payload`` is the most one
payload may hold on that target: datagram targets cannot carry a 10 MB line or 100 000
levels of nesting in one datagram, so those cases send the largest datagram UDP allows
(65 507 bytes) there, and the full size to stream targets.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

#: The largest payload one IPv4 UDP datagram carries (65 535 - 8 UDP - 20 IP header bytes).
MAX_UDP_PAYLOAD = 65_507

#: How many datagrams a flood case sends, and at what rate (datagrams per second).
FLOOD_COUNT = 10_000
FLOOD_RATE = 10_000

#: The most time sending one flood may take (a burst sends as fast as it can).
FLOOD_SECONDS = 2.0

TEN_MB = 10 * 1024 * 1024
DEEP = 100_000


@dataclass(frozen=True)
class Case:
    """One kind of bad input.

    ``rate``: send the payloads paced at this many per second (None: one burst, as fast
    as the sender can). ``lossy``: a flood may overflow the kernel's socket buffer, so a
    datagram target may never see some payloads (UDP has no flow control); it must
    recover and show the next good message within seconds.
    """

    name: str
    make: Callable[[int], list[bytes]]
    rate: int | None = None
    lossy: bool = False

    def __str__(self) -> str:
        return self.name


def one(payload: bytes) -> Callable[[int], list[bytes]]:
    return lambda _max: [payload]


def obj(**fields: object) -> Callable[[int], list[bytes]]:
    return one(json.dumps(fields).encode())


def _huge_line(max_payload: int) -> list[bytes]:
    return [b"x" * min(TEN_MB, max_payload)]


def _deep_nesting(max_payload: int) -> list[bytes]:
    depth = min(DEEP, max_payload // 2)
    return [b"[" * depth + b"]" * depth]


def _deep_in_field(max_payload: int) -> list[bytes]:
    depth = min(DEEP, (max_payload - 40) // 2)
    return [b'{"user":"eve","data":' + b"{" * depth + b"}" * depth + b"}"]


def _many_keys(max_payload: int) -> list[bytes]:
    fields = {f"k{index}": index for index in range(min(5000, max_payload // 16))}
    return [json.dumps({"user": "eve", "data": "x", **fields}).encode()]


def _escapes(max_payload: int) -> list[bytes]:
    count = min(10_000, (max_payload - 40) // 6)
    return [b'{"user":"eve","data":"' + b"\\u0041" * count + b'"}']


def _flood_garbage(_max: int) -> list[bytes]:
    return [b"{not json " + str(index).encode() for index in range(FLOOD_COUNT)]


def _flood_messages(_max: int) -> list[bytes]:
    return [
        json.dumps({"user": "spammer", "data": f"spam {index}"}).encode()
        for index in range(FLOOD_COUNT)
    ]


CASES: list[Case] = [
    # not JSON, or not the envelope
    Case("plain-text", one(b"eve: not json at all")),
    Case("truncated-json", one(b'{"user": "eve", "da')),
    Case("json-trailing-garbage", one(b'{"user": "eve", "data": "x"} trailing')),
    Case("json-array", one(b"[1, 2, 3]")),
    Case("json-number", one(b"42")),
    Case("json-string", one(b'"just a string"')),
    Case("json-true", one(b"true")),
    Case("json-null", one(b"null")),
    Case("empty-object", one(b"{}")),
    Case("missing-user", obj(data="no user")),
    Case("missing-data", obj(user="eve")),
    Case("user-number", obj(user=7, data="x")),
    Case("user-null", obj(user=None, data="x")),
    Case("data-number", obj(user="eve", data=42)),
    Case("data-object", obj(user="eve", data={"a": 1})),
    Case("data-list", obj(user="eve", data=["a"])),
    Case("seq-string", obj(user="eve", data="x", node="n1", seq="1")),
    Case("seq-negative", obj(user="eve", data="x", node="n1", seq=-5)),
    Case("seq-bool", obj(user="eve", data="x", node="n1", seq=True)),
    Case("seq-float", obj(user="eve", data="x", node="n1", seq=1.5)),
    Case("part-without-parts", obj(user="eve", data="x", part=2)),
    Case("part-beyond-parts", obj(user="eve", data="x", part=9, parts=2)),
    Case("unknown-type", obj(user="eve", data="x", type="DROP TABLE")),
    Case("duplicate-keys", one(b'{"user": "eve", "user": "ana", "data": "dup"}')),
    # numbers
    Case("nan", one(b'{"user": "eve", "data": "x", "ts": NaN}')),
    Case("infinity-literal", one(b'{"user": "eve", "data": "x", "ts": Infinity}')),
    Case("float-overflow", one(b'{"user": "eve", "data": "x", "ts": 1e999}')),
    Case("huge-integer-5000-digits", one(b'{"user":"eve","data":"x","seq":' + b"9" * 5000 + b"}")),
    Case("integer-beyond-64-bits", obj(user="eve", data="x", node="n1", seq=2**70)),
    # sizes and nesting
    Case("10mb-line", _huge_line),
    Case("deep-nesting-100000", _deep_nesting),
    Case("deep-nesting-inside-data", _deep_in_field),
    Case("nick-too-long", obj(user="e" * 500, data="x")),
    Case("data-too-long", obj(user="eve", data="x" * 9000)),
    Case("5000-unknown-keys", _many_keys),
    Case("10000-unicode-escapes", _escapes),
    # encodings and invisible bytes
    Case("invalid-utf8", one(b"\xff\xfe\xfd")),
    Case("invalid-utf8-inside-json", one(b'{"user": "eve", "data": "\xc3\x28"}')),
    Case("overlong-utf8", one(b'{"user": "eve", "data": "\xc0\xaf"}')),
    Case("lone-surrogate-escape", one(b'{"user": "eve", "data": "\\ud800"}')),
    Case("raw-nul-bytes", one(b"\x00\x00\x00\x00")),
    Case("escaped-nul-in-data", obj(user="eve", data="a\x00b")),
    Case("bom-only", one(b"\xef\xbb\xbf")),
    Case("whitespace-only", one(b"  \t \r\n ")),
    Case("empty-datagram", one(b"")),
    # terminal attacks
    Case("ansi-clear-screen", obj(user="eve", data="\x1b[2J\x1b[Hfake system message")),
    Case("osc-set-title", obj(user="eve", data="\x1b]0;pwned\x07")),
    Case("osc8-hyperlink", obj(user="eve", data="\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\")),
    Case("ansi-in-nick", obj(user="\x1b[32mana\x1b[0m", data="x")),
    Case("c1-csi", obj(user="eve", data="\x9b2J")),
    Case("carriage-return-overwrite", obj(user="eve", data="harmless\rana: fake line")),
    Case("newline-fake-line", obj(user="eve", data="x\n[12:00:00] ana: fake")),
    Case("backspaces", obj(user="eve", data="abc\b\b\bxyz")),
    Case("bidi-override-data", obj(user="eve", data="\u202etxt.exe")),
    Case("bidi-isolate-nick", obj(user="\u2067ana\u2069", data="x")),
    Case("zero-width-nick", obj(user="a\u200bna", data="x")),
    Case("look-alike-cyrillic-nick", obj(user="\u0430na", data="x")),
    Case("tag-characters", obj(user="eve", data="hi\U000e0041\U000e0042")),
    # the stop word in disguise must not stop anybody
    Case("sair-with-nul", obj(user="eve", data="sair\x00")),
    Case("sair-cyrillic-a", obj(user="eve", data="s\u0430ir")),
    Case("sair-zero-width", obj(user="eve", data="sa\u200bir")),
    # encrypted-looking garbage at a plain receiver
    Case("sealed-magic-garbage", one(b"\xffPS1" + bytes(60))),
    # floods
    # A receiver keeps up with 10 000/s on an idle machine (all shown, measured); on a busy
    # one the kernel may drop a few hundred datagrams, so these are lossy too.
    Case("flood-10000-garbage-per-second", _flood_garbage, rate=FLOOD_RATE, lossy=True),
    Case("flood-10000-messages-per-second", _flood_messages, rate=FLOOD_RATE, lossy=True),
    Case("burst-10000-garbage", _flood_garbage, lossy=True),
]

#: Characters that must never reach the terminal raw from remote input.
UNSAFE_OUTPUT = (
    "\x00",
    "\x07",
    "\x08",
    "\x1b",
    "\r",
    "\x9b",
    "\u200b",
    "\u202e",
    "\u2067",
    "\u2069",
    "\U000e0041",
)
