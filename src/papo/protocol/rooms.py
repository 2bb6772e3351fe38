"""Named rooms on multicast: ``papo chat --room grupo1`` gets a group of its own (pure).

The handout's room is the group 224.3.29.71. A named room is another group, derived from
its name, so students never pick addresses by hand and two rooms never mix: SHA-256 of
the case-folded name gives the last two bytes of an address in 239.192.0.0/16, the
organization-local scope (RFC 2365), which routers keep inside the site. Two names may
still meet on one group (one chance in 65 536 per pair); papo's envelopes carry the
room's name, and receivers drop other rooms' messages, so the rooms stay apart.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from papo.errors import ConfigError

#: The first two bytes of every named room's group (organization-local scope, RFC 2365).
ROOM_GROUP_PREFIX = "239.192"

#: The longest room name (characters); names are letters, digits, ``_`` and ``-``.
MAX_ROOM_NAME_CHARS = 64

_NAME_RE = re.compile(r"[\w-]+\Z")


def check_room_name(name: str) -> str:
    """``name`` (NFC) if it can name a room, else ConfigError ``bad_room``."""
    normal = unicodedata.normalize("NFC", name)
    if not 0 < len(normal) <= MAX_ROOM_NAME_CHARS or not _NAME_RE.match(normal):
        raise ConfigError("bad_room", room=ascii(name[:80]), max=MAX_ROOM_NAME_CHARS)
    return normal


def room_key(name: str) -> str:
    """The form rooms are compared in (``Grupo1`` and ``grupo1`` are one room)."""
    return fold_room(check_room_name(name))


def fold_room(name: str) -> str:
    """Any received room name in the form rooms are compared in (never raises)."""
    return unicodedata.normalize("NFC", name).casefold()


def room_group(name: str) -> str:
    """The multicast group of the room called ``name``."""
    digest = hashlib.sha256(room_key(name).encode("utf-8")).digest()
    return f"{ROOM_GROUP_PREFIX}.{digest[0]}.{digest[1]}"


__all__ = [
    "MAX_ROOM_NAME_CHARS",
    "ROOM_GROUP_PREFIX",
    "check_room_name",
    "fold_room",
    "room_group",
    "room_key",
]
