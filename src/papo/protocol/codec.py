"""Encoding and strict, total decoding of chat messages (pure: bytes in, values out).

:func:`decode` accepts *any* bytes and returns either a :class:`ChatMessage` or a
:class:`~papo.errors.DecodeError`; it never raises, so one bad datagram cannot stop
a receive loop. Text that is not JSON at all (some handout programs send
``"nome: mensagem"``) becomes a message marked ``plain``, attributed to its source.
"""

from __future__ import annotations

import base64
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from papo.errors import DecodeError, InputError
from papo.protocol.limits import DEFAULT_LIMITS, Limits
from papo.protocol.message import (
    KEY_CHARS,
    PROTOCOL_VERSION,
    SIG_CHARS,
    ChatMessage,
    MessageType,
)

_TYPE_RE = re.compile(r"[a-z][a-z0-9_-]{0,15}\Z")
_ID_RE = re.compile(r"[!-~]+\Z")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_BASE64_RE = re.compile(r"[A-Za-z0-9+/]+={0,2}\Z")
_MAX_VERSION = 1000
_MAX_SEQ = 2**63 - 1
_MAX_TS = 1e11  # seconds since 1970: year 5138; rejects nonsense, accepts any real clock
_MAX_ROOM_CHARS = 64
_ZWJ = "\u200d"
_JSON_OPENERS = ("{", "[", '"')


#: One encoder for every message: ``json.dumps`` with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode(message: ChatMessage) -> bytes:
    """The compact UTF-8 JSON bytes of ``message`` (handout keys first).

    Written out field by field (what a room server does for every line it relays):
    byte for byte what ``JSONEncoder`` makes of :meth:`ChatMessage.wire_dict`, which
    stays the path for any value of an unexpected type (property-tested).
    """
    user, data, v, kind = message.user, message.data, message.v, message.type
    if type(user) is not str or type(data) is not str or not isinstance(kind, str):
        return _encode_dict(message)
    out = ['{"user":', _json_string(user), ',"data":', _json_string(data)]
    if v is not None:
        if type(v) is not int:
            return _encode_dict(message)
        out += (',"v":', int.__repr__(v), ',"type":', _json_string(str(kind)))
    elif kind != MessageType.CHAT:
        out += (',"type":', _json_string(str(kind)))
    id_, node, to, room, key, sig = (
        message.id,
        message.node,
        message.to,
        message.room,
        message.key,
        message.sig,
    )
    if id_ is not None:
        if type(id_) is not str:
            return _encode_dict(message)
        out += (',"id":', _json_string(id_))
    if node is not None:
        if type(node) is not str:
            return _encode_dict(message)
        out += (',"node":', _json_string(node))
    seq, ts, part, parts = message.seq, message.ts, message.part, message.parts
    if seq is not None:
        if type(seq) is not int:
            return _encode_dict(message)
        out += (',"seq":', int.__repr__(seq))
    if ts is not None:
        if type(ts) is float and math.isfinite(ts):
            out += (',"ts":', float.__repr__(ts))
        elif type(ts) is int:
            out += (',"ts":', int.__repr__(ts))
        else:
            return _encode_dict(message)
    if part is not None or parts is not None:
        if (part is not None and type(part) is not int) or (
            parts is not None and type(parts) is not int
        ):
            return _encode_dict(message)
        if part is not None:
            out += (',"part":', int.__repr__(part))
        if parts is not None:
            out += (',"parts":', int.__repr__(parts))
    if to is not None or room is not None or key is not None or sig is not None:
        for name, value in (("to", to), ("room", room), ("key", key), ("sig", sig)):
            if value is not None:
                if type(value) is not str:
                    return _encode_dict(message)
                out += (',"', name, '":', _json_string(value))
    out.append("}")
    return "".join(out).encode("utf-8")


def _encode_dict(message: ChatMessage) -> bytes:
    """:func:`encode` the general way: the JSON encoder walks the wire dict."""
    return _ENCODER.encode(message.wire_dict()).encode("utf-8")


#: JSON's string escape, as the encoder above uses it (``ensure_ascii=False``; C speed).
_json_string = json.encoder.encode_basestring


class LineEncoder:
    """Encodes one sender's chat lines byte for byte as :func:`encode` would, but cheaper.

    A sender's ``user``, ``v``, ``type`` and ``node`` never change, so they are encoded
    once; a line then costs one JSON string escape and one join, not building a
    :class:`ChatMessage` and walking its dict with the JSON encoder (the top of the
    multicast sender's profile). Values the shortcut does not cover (a timestamp that is
    not a finite float, a ``seq`` that is not an int) take the ordinary path.
    """

    def __init__(self, user: str, node: str, v: int = PROTOCOL_VERSION) -> None:
        self.user, self.node, self.v = user, node, v
        self._head = '{"user":' + _ENCODER.encode(user) + ',"data":'
        self._middle = ',"v":' + _ENCODER.encode(v) + ',"type":"chat","node":'
        self._middle += _ENCODER.encode(node) + ',"seq":'

    def message(
        self, data: str, seq: int, ts: float, part: int | None = None, parts: int | None = None
    ) -> ChatMessage:
        """The chat line as a message (what :meth:`encode` encodes when unsplit)."""
        return ChatMessage(
            user=self.user,
            data=data,
            v=self.v,
            node=self.node,
            seq=seq,
            ts=ts,
            part=part,
            parts=parts,
        )

    def encode(self, data: str, seq: int, ts: float) -> bytes:
        """``encode(self.message(data, seq, ts))``, without building the message."""
        if type(ts) is not float or type(seq) is not int or not math.isfinite(ts):
            return encode(self.message(data, seq, ts))
        text = _ENCODER.encode(data)
        return f'{self._head}{text}{self._middle}{seq},"ts":{ts!r}}}'.encode()


def decode(
    payload: bytes, source: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> ChatMessage | DecodeError:
    """Decode one datagram or line; return a message or a typed error, never raise."""
    if len(payload) > limits.max_datagram_bytes:
        return DecodeError("decode_oversize", size=len(payload), max=limits.max_datagram_bytes)
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return DecodeError("decode_invalid_utf8")
    text = text.removeprefix("\ufeff")
    stripped = text.strip()
    if not stripped:
        return DecodeError("decode_empty")
    if not stripped.startswith(_JSON_OPENERS):
        return _plain_message(text, source, limits)
    if _nesting_exceeds(stripped, limits.max_json_depth):
        return DecodeError("decode_too_deep", max=limits.max_json_depth)
    try:
        # raw_decode: ``stripped`` has no whitespace around it to skip (decode's extra work)
        value, end = _DECODER.raw_decode(stripped)
    except ValueError as exc:  # JSONDecodeError, huge integers, NaN/Infinity
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        return DecodeError("decode_invalid_json", reason=reason[:80])
    if end != len(stripped):
        return DecodeError("decode_invalid_json", reason="Extra data")  # as json.loads says
    if not isinstance(value, dict):
        return DecodeError("decode_not_object", kind=_json_kind(value))
    return _message_from_object(value, source, limits)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


#: One decoder for every datagram: ``json.loads`` with options builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool) or value is None:
        return "literal"
    return "number"


def bracket_depths(text: str) -> Iterator[int]:
    """The nesting depth after each ``{ [ ] }`` of ``text`` that is outside JSON strings.

    A linear scan, without parsing: it lets limits be checked before ``json.loads``
    could recurse, and tells a JSON text cut short from a complete one.
    """
    depth = 0
    in_string = False
    escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
            yield depth
        elif char in "}]":
            depth -= 1
            yield depth


def _nesting_exceeds(text: str, max_depth: int) -> bool:
    """True when arrays/objects nest deeper than ``max_depth`` (scanned before parsing)."""
    if text.count("{") + text.count("[") <= max_depth:
        return False
    return any(depth > max_depth for depth in bracket_depths(text))


def _plain_message(text: str, source: str | None, limits: Limits) -> ChatMessage | DecodeError:
    data = text.rstrip("\r\n")
    if len(data) > limits.max_text_chars:
        return DecodeError(
            "decode_too_long", field="data", length=len(data), max=limits.max_text_chars
        )
    return ChatMessage(user=source or "?", data=data, plain=True, source=source)


def _message_from_object(
    obj: dict[str, object], source: str | None, limits: Limits
) -> ChatMessage | DecodeError:
    message = _fast_message(obj, source, limits)
    return message if message is not None else _checked_message(obj, source, limits)


#: Values of ``type`` that need no regular expression (each matches ``_TYPE_RE``).
_KNOWN_TYPES = frozenset(MessageType)


def _is_id(value: str) -> bool:
    """``_ID_RE`` without the regex: non-empty printable ASCII without spaces."""
    return value.isascii() and value.isprintable() and " " not in value and value != ""


def _fast_message(obj: dict[str, object], source: str | None, limits: Limits) -> ChatMessage | None:
    """The message when ``obj`` passes every check; None when in any doubt.

    One pass over the keys present, the common checks inlined, and ``isascii`` (constant
    time) sparing the surrogate scan of ASCII text. It only *accepts*: anything it does
    not accept (a bad value, a bool for an int, an odd key) goes to
    :func:`_checked_message`, which decides and names the error, so verdicts and error
    codes are the same as without it (property-tested in ``test_codec_fast_paths.py``).
    """
    user = obj.get("user")
    data = obj.get("data")
    if type(user) is not str or type(data) is not str:
        return None
    if not 0 < len(user) <= limits.max_nick_chars or len(data) > limits.max_text_chars:
        return None
    if not user.strip() or not (user.isascii() or _SURROGATE_RE.search(user) is None):
        return None
    if not (data.isascii() or _SURROGATE_RE.search(data) is None):
        return None
    kind: Any = MessageType.CHAT
    v: Any = None
    node: Any = None
    seq: Any = None
    ts: Any = None
    value: Any
    others: dict[str, Any] = {}
    if obj.keys() == _LINE_KEYS:  # what papo's senders send: no loop, no key comparisons
        v, kind, node, seq, ts = obj["v"], obj["type"], obj["node"], obj["seq"], obj["ts"]
        if (
            type(v) is not int
            or not 1 <= v <= _MAX_VERSION
            or type(kind) is not str
            or kind not in _KNOWN_TYPES
            or type(node) is not str
            or len(node) > limits.max_id_chars
            or not _is_id(node)
            or type(seq) is not int
            or not 0 <= seq <= _MAX_SEQ
            or (type(ts) is not float and type(ts) is not int)
            or not 0 <= ts < _MAX_TS
        ):
            return None  # (also a None value: the loop below, or the strict path, decides)
    elif len(obj) > 2:
        for key, value in obj.items():
            if value is None:
                continue
            value_type = type(value)
            if key == "v":
                if value_type is not int or not 1 <= value <= _MAX_VERSION:
                    return None
                v = value
            elif key == "type":
                if value_type is not str or (
                    value not in _KNOWN_TYPES and not _TYPE_RE.match(value)
                ):
                    return None
                kind = value
            elif key == "node":
                if value_type is not str or len(value) > limits.max_id_chars or not _is_id(value):
                    return None
                node = value
            elif key == "seq":
                if value_type is not int or not 0 <= value <= _MAX_SEQ:
                    return None
                seq = value
            elif key == "ts":
                if (value_type is not float and value_type is not int) or not (
                    0 <= value < _MAX_TS
                ):
                    return None
                ts = value
            elif key in _OPTIONAL_CHECKS and key not in _HANDOUT_KEYS:
                if _OPTIONAL_CHECKS[key](value, key, limits) is not None:
                    return None
                others[key] = value
        if others:
            part, parts = others.get("part"), others.get("parts")
            if (part is None) != (parts is None) or (part is not None and part > parts):
                return None
            return ChatMessage(
                user,
                data,
                kind,
                v,
                node=node,
                seq=seq,
                ts=ts,
                source=source,
                **others,
            )
    return ChatMessage(
        user,
        data,
        kind,
        v,
        None,
        node,
        seq,
        ts,
        None,
        None,
        None,
        None,
        None,
        None,
        False,
        source,
    )


_HANDOUT_KEYS = ("user", "data")

#: The keys of a chat line from papo's own senders (:class:`LineEncoder`), the common shape.
_LINE_KEYS = frozenset({"user", "data", "v", "type", "node", "seq", "ts"})


def _checked_message(
    obj: dict[str, object], source: str | None, limits: Limits
) -> ChatMessage | DecodeError:
    """Every check, in a fixed order, so that the first failing one names the error."""
    if "user" not in obj:
        return DecodeError("decode_missing_field", field="user")
    user = obj["user"]
    error = _check_text(user, "user", limits.max_nick_chars, allow_empty=False)
    if error is not None:
        return error
    if "data" not in obj:
        return DecodeError("decode_missing_field", field="data")
    data = obj["data"]
    error = _check_text(data, "data", limits.max_text_chars, allow_empty=True)
    if error is not None:
        return error
    fields: dict[str, object] = {}
    if len(obj) > 2:  # with only the handout's two keys there is nothing optional to check
        for key, check in _OPTIONAL_CHECKS.items():
            value = obj.get(key)
            if value is not None:
                error = check(value, key, limits)
                if error is not None:
                    return error
                fields[key] = value
        part, parts = fields.get("part"), fields.get("parts")
        if (part is None) != (parts is None) or (
            isinstance(part, int) and isinstance(parts, int) and part > parts
        ):
            return DecodeError("decode_bad_value", field="part")
    return ChatMessage(user, data, source=source, **fields)  # type: ignore[arg-type]


def _check_text(value: object, key: str, max_len: int, allow_empty: bool) -> DecodeError | None:
    if not isinstance(value, str):
        return DecodeError("decode_wrong_type", field=key, expected="string")
    if len(value) > max_len:
        return DecodeError("decode_too_long", field=key, length=len(value), max=max_len)
    if (not allow_empty and not value.strip()) or _SURROGATE_RE.search(value):
        return DecodeError("decode_bad_value", field=key)
    return None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_check(low: int, high: Callable[[Limits], int]) -> Callable[..., DecodeError | None]:
    def check(value: object, key: str, limits: Limits) -> DecodeError | None:
        if not _is_int(value):
            return DecodeError("decode_wrong_type", field=key, expected="integer")
        if not low <= value <= high(limits):  # type: ignore[operator]
            return DecodeError("decode_bad_value", field=key)
        return None

    return check


def _check_type(value: object, key: str, limits: Limits) -> DecodeError | None:
    if not isinstance(value, str):
        return DecodeError("decode_wrong_type", field=key, expected="string")
    if not _TYPE_RE.match(value):
        return DecodeError("decode_bad_value", field=key)
    return None


def _check_id(value: object, key: str, limits: Limits) -> DecodeError | None:
    if not isinstance(value, str):
        return DecodeError("decode_wrong_type", field=key, expected="string")
    if len(value) > limits.max_id_chars:
        return DecodeError("decode_too_long", field=key, length=len(value), max=limits.max_id_chars)
    if not _ID_RE.match(value):
        return DecodeError("decode_bad_value", field=key)
    return None


def _check_ts(value: object, key: str, limits: Limits) -> DecodeError | None:
    if not (_is_int(value) or isinstance(value, float)):
        return DecodeError("decode_wrong_type", field=key, expected="number")
    # An int is finite (math.isfinite would raise OverflowError past 1e308); NaN and the
    # infinities fail the range comparison.
    if not 0 <= value < _MAX_TS:  # type: ignore[operator]
        return DecodeError("decode_bad_value", field=key)
    return None


def _check_to(value: object, key: str, limits: Limits) -> DecodeError | None:
    return _check_text(value, key, limits.max_nick_chars, allow_empty=False)


def _check_room(value: object, key: str, limits: Limits) -> DecodeError | None:
    return _check_text(value, key, _MAX_ROOM_CHARS, allow_empty=False)


def _base64_check(chars: int, raw_bytes: int) -> Callable[..., DecodeError | None]:
    """A check for a base64 value of exactly ``chars`` characters (``raw_bytes`` decoded)."""

    def check(value: object, key: str, limits: Limits) -> DecodeError | None:
        if not isinstance(value, str):
            return DecodeError("decode_wrong_type", field=key, expected="string")
        if len(value) != chars:
            return DecodeError("decode_bad_value", field=key)
        if not _BASE64_RE.match(value):
            return DecodeError("decode_bad_value", field=key)
        try:
            raw = base64.b64decode(value, validate=True)
        except ValueError:  # binascii.Error
            return DecodeError("decode_bad_value", field=key)
        return None if len(raw) == raw_bytes else DecodeError("decode_bad_value", field=key)

    return check


_OPTIONAL_CHECKS: dict[str, Callable[..., DecodeError | None]] = {
    "v": _int_check(1, lambda limits: _MAX_VERSION),
    "type": _check_type,
    "id": _check_id,
    "node": _check_id,
    "seq": _int_check(0, lambda limits: _MAX_SEQ),
    "ts": _check_ts,
    "part": _int_check(1, lambda limits: limits.max_parts),
    "parts": _int_check(1, lambda limits: limits.max_parts),
    "to": _check_to,
    "room": _check_room,
    "key": _base64_check(KEY_CHARS, 32),
    "sig": _base64_check(SIG_CHARS, 64),
}

#: Builds the message that carries one chunk: ``build(chunk, part, parts)``; part and
#: parts are ``None`` when the text fits in a single message.
PartBuilder = Callable[[str, int | None, int | None], ChatMessage]


def split_text(text: str, build: PartBuilder, limits: Limits = DEFAULT_LIMITS) -> list[ChatMessage]:
    """Split ``text`` into messages whose encoding fits ``limits.send_datagram_bytes``.

    Raises :class:`~papo.errors.InputError` when the text is longer than
    ``limits.max_input_chars`` or would need more than ``limits.max_parts`` datagrams.
    """
    if len(text) > limits.max_input_chars:
        raise InputError("input_too_long", length=len(text), max=limits.max_input_chars)
    budget = limits.send_datagram_bytes
    whole = build(text, None, None)
    if len(encode(whole)) <= budget:
        return [whole]
    chunks: list[str] = []
    rest = text
    while rest:
        part = len(chunks) + 1
        if part > limits.max_parts:
            raise InputError("too_many_parts", parts=f">{limits.max_parts}", max=limits.max_parts)
        size = _largest_fitting_prefix(rest, part, build, limits)
        if size == 0:
            raise InputError("input_too_long", length=len(text), max=limits.max_input_chars)
        size = _pleasant_cut(rest, size)
        chunks.append(rest[:size])
        rest = rest[size:]
    total = len(chunks)
    return [build(chunk, index, total) for index, chunk in enumerate(chunks, start=1)]


def _largest_fitting_prefix(rest: str, part: int, build: PartBuilder, limits: Limits) -> int:
    """The most leading characters of ``rest`` that fit one datagram as part ``part``.

    ``parts`` is measured at ``limits.max_parts``, whose digits are never fewer than the
    final count's, so the real message is never larger than the one measured.
    """
    budget = limits.send_datagram_bytes
    low, high = 0, min(len(rest), budget)  # every character takes at least one byte
    while low < high:
        middle = (low + high + 1) // 2
        if len(encode(build(rest[:middle], part, limits.max_parts))) <= budget:
            low = middle
        else:
            high = middle - 1
    return low


def _pleasant_cut(rest: str, size: int) -> int:
    """Move a cut back to a space, or at least off a combining mark or emoji joiner."""
    if size >= len(rest):
        return size
    space = rest.rfind(" ", size // 2, size)
    if space > 0:
        return space + 1
    cut = size
    while cut > size // 2 and (
        unicodedata.combining(rest[cut])
        or rest[cut] == _ZWJ
        or rest[cut - 1] == _ZWJ
        or "\ufe00" <= rest[cut] <= "\ufe0f"
    ):
        cut -= 1
    return cut if cut > 0 else size


__all__ = ["LineEncoder", "MessageType", "decode", "encode", "split_text"]
