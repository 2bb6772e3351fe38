"""Hypothesis strategies for what peers send: raw bytes, JSON of any shape, near-envelopes."""

from __future__ import annotations

import json

from hypothesis import strategies as st

#: Every ``type`` value papo's protocols use, so generated objects reach deep branches.
KNOWN_TYPES = [
    "chat",
    "me",
    "private",
    "nick",
    "leave",
    "join",
    "presence",
    "system",
    "hello",
    "beat",
    "welcome",
    "roster",
    "joined",
    "left",
    "error",
    "who",
    "ping",
    "pong",
    "shutdown",
]

#: Keys of the envelope and of every protocol built on it.
KNOWN_KEYS = [
    "v",
    "type",
    "id",
    "node",
    "seq",
    "ts",
    "part",
    "parts",
    "to",
    "room",
    "port",
    "hops",
    "code",
    "nicks",
    "suggestion",
    "details",
    "nick",
    "peers",
    "nome",
    "idade",
    "email",
]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(KNOWN_TYPES)
)

json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

near_envelopes = st.fixed_dictionaries(
    {"user": st.text(min_size=1, max_size=40) | json_values, "data": st.text() | json_values},
    optional={key: json_values | st.integers(0, 70_000) for key in KNOWN_KEYS}
    | {"type": st.sampled_from(KNOWN_TYPES)},
)


def _dump(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[bytes]) -> bytes:
    """``base`` bytes cut short, or with bytes flipped, inserted or deleted."""
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(0, 3))):
        if not data:
            break
        where = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["cut", "flip", "insert", "delete"]))
        if action == "cut":
            del data[where:]
        elif action == "flip":
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=4))
        else:
            del data[where]
    return bytes(data)


#: Everything the fuzz suite feeds to decoders.
payloads = (
    st.binary(max_size=2048)
    | json_values.map(_dump)
    | near_envelopes.map(_dump)
    | mutated(near_envelopes.map(_dump))
    | st.integers(0, 5_000).map(lambda depth: b"[" * depth + b"]" * depth)
)
