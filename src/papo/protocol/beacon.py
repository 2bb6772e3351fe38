"""The discovery beacon: a small datagram saying "papo node X (nick) listens on TCP port P".

Pure: :func:`encode_beacon` makes the bytes, :func:`decode_beacon` accepts *any* bytes and
returns a :class:`Beacon` or a :class:`~papo.errors.DecodeError`, never raising, like the
chat codec. Beacons travel on a multicast group of their own (see
:mod:`papo.discovery.beacon`), so a handout receiver never sees them.

Wire form (one JSON object, compact UTF-8)::

    {"papo": "beacon", "v": 1, "node": "3f2a...", "user": "ana", "port": 40123}

Two more kinds share the group, so that ``papo chat --server`` finds a room server with
no address typed: a room server announces ``{"papo": "room", "v": 1, "node": ...,
"name": "Turma A", "port": 5050, "tls": false}`` and a client looking for one sends
``{"papo": "seek", "v": 1, "node": ...}``, which room servers answer at once.
:func:`decode_announcement` accepts all three; :func:`decode_beacon` only peer beacons.
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

#: The value of the ``papo`` key of a room server's announcement.
ROOM_KIND = "room"

#: The value of the ``papo`` key of a client looking for room servers.
SEEK_KIND = "seek"

#: The highest protocol version a beacon may claim (newer nodes are still listed).
MAX_BEACON_VERSION = 1000

#: The longest room name a server announces (characters).
MAX_ROOM_NAME_CHARS = 64

_ID_RE = re.compile(r"[!-~]+\Z")
_KINDS = (BEACON_KIND, ROOM_KIND, SEEK_KIND)


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


@dataclass(frozen=True, slots=True)
class RoomBeacon:
    """A room server's announcement: its name, TCP port, and whether it speaks TLS."""

    node: str
    name: str
    port: int
    tls: bool = False
    version: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True)
class Seek:
    """A client asking the room servers of the link to announce themselves now."""

    node: str
    version: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True)
class RoomSighting:
    """A room server was heard at ``host``; it listens on TCP ``port``."""

    node: str
    name: str
    host: str
    port: int
    tls: bool = False
    interface: str | None = None


Announcement = Beacon | RoomBeacon | Seek


def encode_announcement(announcement: Announcement) -> bytes:
    """The datagram for any announcement."""
    if isinstance(announcement, Beacon):
        return encode_beacon(announcement)
    fields: dict[str, object]
    if isinstance(announcement, RoomBeacon):
        fields = {
            "papo": ROOM_KIND,
            "v": announcement.version,
            "node": announcement.node,
            "name": announcement.name,
            "port": announcement.port,
            "tls": announcement.tls,
        }
    else:
        fields = {"papo": SEEK_KIND, "v": announcement.version, "node": announcement.node}
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


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
    """Decode one datagram; return a peer :class:`Beacon` or a typed error, never raise."""
    decoded = decode_announcement(payload)
    if isinstance(decoded, RoomBeacon | Seek):
        return DecodeError("decode_not_beacon")
    return decoded


def decode_announcement(payload: bytes) -> Announcement | DecodeError:
    """Decode any datagram of the beacon group; an announcement or a typed error."""
    if len(payload) > MAX_BEACON_BYTES:
        return DecodeError("decode_oversize", size=len(payload), max=MAX_BEACON_BYTES)
    try:
        value = json.loads(payload.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        return DecodeError("decode_invalid_utf8")
    except ValueError as exc:
        return DecodeError("decode_invalid_json", reason=str(exc)[:80])
    if not isinstance(value, dict) or value.get("papo") not in _KINDS:
        return DecodeError("decode_not_beacon")
    kind = value["papo"]
    node, nick, port, version = (value.get(key) for key in ("node", "user", "port", "v"))
    if not isinstance(node, str) or not 0 < len(node) <= MAX_ID_CHARS or not _ID_RE.match(node):
        return DecodeError("decode_bad_value", field="node")
    if not isinstance(version, int) or isinstance(version, bool):
        return DecodeError("decode_bad_value", field="v")
    if not 1 <= version <= MAX_BEACON_VERSION:
        return DecodeError("decode_bad_value", field="v")
    if kind == SEEK_KIND:
        return Seek(node=node, version=version)
    if kind == ROOM_KIND:
        return _room(value, node, version)
    if not isinstance(nick, str) or not 0 < len(nick) <= MAX_NICK_CHARS or not nick.strip():
        return DecodeError("decode_bad_value", field="user")
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        return DecodeError("decode_bad_value", field="port")
    return Beacon(node=node, nick=nick, port=port, version=version)


def _room(value: dict[str, object], node: str, version: int) -> RoomBeacon | DecodeError:
    name, port, tls = value.get("name"), value.get("port"), value.get("tls", False)
    if not isinstance(name, str) or not 0 < len(name) <= MAX_ROOM_NAME_CHARS or not name.strip():
        return DecodeError("decode_bad_value", field="name")
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        return DecodeError("decode_bad_value", field="port")
    if not isinstance(tls, bool):
        return DecodeError("decode_bad_value", field="tls")
    return RoomBeacon(node=node, name=name, port=port, tls=tls, version=version)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


__all__ = [
    "BEACON_KIND",
    "MAX_BEACON_BYTES",
    "MAX_ROOM_NAME_CHARS",
    "ROOM_KIND",
    "SEEK_KIND",
    "Announcement",
    "Beacon",
    "PeerSighting",
    "RoomBeacon",
    "RoomSighting",
    "Seek",
    "decode_announcement",
    "decode_beacon",
    "encode_announcement",
    "encode_beacon",
]
