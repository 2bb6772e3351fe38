"""The discovery beacon: a small datagram saying "papo node X (nick) listens on TCP port P".

Pure: :func:`encode_beacon` makes the bytes, :func:`decode_beacon` accepts *any* bytes and
returns a :class:`Beacon` or a :class:`~papo.errors.DecodeError`, never raising, like the
chat codec. Beacons travel on a multicast group of their own (see
:mod:`papo.discovery.beacon`), so a handout receiver never sees them.

Wire form (one JSON object, compact UTF-8)::

    {"papo": "beacon", "v": 1, "node": "3f2a...", "user": "ana", "port": 40123}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from papo.errors import DecodeError
from papo.protocol.limits import MAX_ID_CHARS, MAX_NICK_CHARS
from papo.protocol.message import PROTOCOL_VERSION

#: The largest beacon datagram accepted or sent, in bytes; a real one is under 150.
MAX_BEACON_BYTES = 512

#: The value of the ``papo`` key that marks a datagram as a beacon.
BEACON_KIND = "beacon"

#: The highest protocol version a beacon may claim (newer nodes are still listed).
MAX_BEACON_VERSION = 1000

_ID_RE = re.compile(r"[!-~]+\Z")


@dataclass(frozen=True, slots=True)
class Beacon:
    """One node's announcement: who it is and which TCP port its mesh listener has."""

    node: str
    nick: str
    port: int
    version: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True)
class PeerSighting:
    """A node was seen by a discovery method at ``host``; it listens on TCP ``port``.

    ``method`` is ``"beacon"``, ``"mdns"`` or ``"peer"`` (``--peer``); ``interface`` is
    where it was seen, when known. The mesh counts a node once, by ``node``, however many
    sightings it has.
    """

    node: str | None
    nick: str | None
    host: str
    port: int
    method: str
    interface: str | None = None


def encode_beacon(beacon: Beacon) -> bytes:
    """The datagram for ``beacon``."""
    return json.dumps(
        {
            "papo": BEACON_KIND,
            "v": beacon.version,
            "node": beacon.node,
            "user": beacon.nick,
            "port": beacon.port,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")


def decode_beacon(payload: bytes) -> Beacon | DecodeError:
    """Decode one datagram; return a :class:`Beacon` or a typed error, never raise."""
    if len(payload) > MAX_BEACON_BYTES:
        return DecodeError("decode_oversize", size=len(payload), max=MAX_BEACON_BYTES)
    try:
        value = json.loads(payload.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        return DecodeError("decode_invalid_utf8")
    except ValueError as exc:
        return DecodeError("decode_invalid_json", reason=str(exc)[:80])
    if not isinstance(value, dict) or value.get("papo") != BEACON_KIND:
        return DecodeError("decode_not_beacon")
    node, nick, port, version = (value.get(key) for key in ("node", "user", "port", "v"))
    if not isinstance(node, str) or not 0 < len(node) <= MAX_ID_CHARS or not _ID_RE.match(node):
        return DecodeError("decode_bad_value", field="node")
    if not isinstance(nick, str) or not 0 < len(nick) <= MAX_NICK_CHARS or not nick.strip():
        return DecodeError("decode_bad_value", field="user")
    if not _is_int(port) or not 1 <= port <= 65535:
        return DecodeError("decode_bad_value", field="port")
    if not _is_int(version) or not 1 <= version <= MAX_BEACON_VERSION:
        return DecodeError("decode_bad_value", field="v")
    return Beacon(node=node, nick=nick, port=port, version=version)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


__all__ = [
    "BEACON_KIND",
    "MAX_BEACON_BYTES",
    "Beacon",
    "PeerSighting",
    "decode_beacon",
    "encode_beacon",
]
