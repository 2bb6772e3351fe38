"""Nick ownership by trust on first use (TOFU): an Ed25519 key per user, pinned per nick.

Each user has a key pair (made once, kept by :mod:`papo.store.nick_pins`). A signed
message carries the sender's public key and an Ed25519 signature of the payload. The
first time a receiver sees a nick it *pins* the key it came with; later messages under
that nick with another key are :attr:`PinVerdict.IMPOSTOR`, with a different fingerprint
shown to the user, like SSH's "REMOTE HOST IDENTIFICATION HAS CHANGED".

The signature covers only what the author writes (:data:`SIGNED_FIELDS`), so it survives
every relay (room server, mesh, NATS) untouched; the author's ``ts`` and a unique ``id``
let a :class:`ReplayGuard` refuse a signed message recorded and played back later.

Pure apart from the ``cryptography`` library (optional extra ``papo[crypto]``): key
generation takes its 32 random bytes from the caller, stamping takes the time and the
id's random bytes from the caller; nothing here touches files.
TOFU cannot tell who was first: a stranger who speaks as ``ana`` before ana does is
pinned as ``ana`` (see SECURITY.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import unicodedata
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from papo.errors import DecodeError
from papo.protocol.message import KEY_CHARS, SIG_CHARS, ChatMessage, MessageType
from papo.protocol.sealed import require_crypto

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
except ImportError:  # papo[crypto] not installed: require_crypto() explains
    pass

#: Bytes of an Ed25519 public key, private seed and signature.
PUBLIC_KEY_BYTES = 32
SEED_BYTES = 32
SIGNATURE_BYTES = 64

#: Hex digits of the fingerprint users compare (64 bits: enough to spot a change).
FINGERPRINT_HEX = 16

#: The most nicks one pin store keeps (a bounded file; beyond it new nicks are not pinned).
MAX_PINNED_NICKS = 10_000


#: The envelope keys a signature covers: only what the author writes. Relays re-stamp
#: ``node``/``seq`` (the room server), add ``hops`` (the mesh) or ``history`` (scroll-back),
#: so those are left out; ``key`` and ``sig`` travel verbatim through every relay. Absent
#: keys are left out, as on the wire.
SIGNED_FIELDS = ("user", "data", "type", "to", "room", "id", "ts", "part", "parts")

#: Prefix of the signed bytes: names this scheme, so no signature made for anything else
#: (nor by papo's first scheme, which also covered ``node`` and ``seq``) verifies here.
SIGNATURE_CONTEXT = b"papo/nick-signature/v2\n"

#: Random bytes of the message id a signer stamps (base64url: 16 characters). 96 bits:
#: two of one user's messages never share an id, which the replay guard relies on.
SIGNED_ID_BYTES = 12

#: Characters of that id on the wire.
SIGNED_ID_CHARS = 16

#: Most characters of the author's timestamp (``ts``, seconds with 3 decimals).
SIGNED_TS_CHARS = 20

#: How far the author's clock may be from the receiver's (either way), in seconds, for a
#: live signed message to be accepted. Five minutes: LAN machines without NTP drift by
#: a minute or two, and a message may sit in a queue or a reconnecting client for tens of
#: seconds; beyond that a signed line is a recording played back (SECURITY.md). Lines
#: shown as history (scroll-back, catch-up) are judged on their signature only.
SIGNED_MAX_AGE_SECONDS = 300.0

#: The most (key, id, part) triples a :class:`ReplayGuard` remembers; when full, the
#: oldest is forgotten and anything not newer than it is refused as too old, so a flood
#: cannot make room for a replay. 65 536 covers 200 signed messages a second for the
#: whole window.
MAX_SEEN_SIGNATURES = 65_536

#: The message types papo signs when the user has an identity (``--identity``).
SIGNED_TYPES = frozenset(
    {
        MessageType.CHAT,
        MessageType.ME,
        MessageType.PRIVATE,
        MessageType.NICK,
        MessageType.LEAVE,
        MessageType.JOIN,
    }
)

#: Bytes a signature adds to a compact JSON envelope at most: ``key`` and ``sig``, and the
#: ``id`` and ``ts`` a signer stamps when the transport set none; what a sender takes
#: off its datagram budget so signed parts still fit.
SIGNATURE_OVERHEAD = (
    len(',"key":""')
    + KEY_CHARS
    + len(',"sig":""')
    + SIG_CHARS
    + len(',"id":""')
    + SIGNED_ID_CHARS
    + len(',"ts":')
    + SIGNED_TS_CHARS
)


class Signer(Protocol):
    """What a transport calls on each message (each split part) it sends as this user."""

    #: Bytes signing adds to one envelope at most (take it off the send budget).
    overhead: int

    def sign(self, message: ChatMessage) -> ChatMessage:
        """``message`` signed (stamped with ``id``/``ts`` if it had none), or unchanged."""
        ...


def stamped(message: ChatMessage, now: float, nonce: bytes) -> ChatMessage:
    """``message`` with the author's ``ts`` (``now``) and an ``id`` from ``nonce`` if missing.

    A signature needs both for the replay guard; a transport's own ``id``/``ts`` are kept.
    """
    return replace(
        message,
        ts=round(now, 3) if message.ts is None else message.ts,
        id=base64.urlsafe_b64encode(nonce).decode("ascii") if message.id is None else message.id,
    )


def signed_bytes(message: ChatMessage) -> bytes:
    """The canonical bytes a signature covers: JSON of :data:`SIGNED_FIELDS`, sorted, compact.

    ``type`` is always present (``chat`` when the wire omits it), so a handout-style
    envelope and its typed twin sign the same bytes. :data:`SIGNATURE_CONTEXT` comes first.
    """
    fields: dict[str, object] = {"type": str(message.type)}
    for name in SIGNED_FIELDS:
        value = getattr(message, name)
        if value is not None and name != "type":
            fields[name] = value
    body = json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
    return SIGNATURE_CONTEXT + body


def sign_message(identity: NickIdentity, message: ChatMessage) -> ChatMessage:
    """``message`` with this identity's ``key`` and its ``sig`` of :func:`signed_bytes`."""
    signature = identity.sign(signed_bytes(message))
    return replace(
        message,
        key=base64.b64encode(identity.public_key).decode("ascii"),
        sig=base64.b64encode(signature).decode("ascii"),
    )


def signer_key(message: ChatMessage) -> bytes | None:
    """The public key that validly signed ``message``; None if unsigned or forged."""
    if message.key is None or message.sig is None:
        return None
    try:
        key = base64.b64decode(message.key, validate=True)
        signature = base64.b64decode(message.sig, validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if verify(key, signed_bytes(message), signature) else None


class PinVerdict(StrEnum):
    """What a key says about a nick."""

    FIRST_USE = "first_use"  # never seen: now pinned
    MATCH = "match"  # the pinned key
    IMPOSTOR = "impostor"  # another key than the pinned one


def fingerprint(public_key: bytes) -> str:
    """The fingerprint users compare: SHA-256 of the key, first 16 hex digits in 4 groups."""
    digest = hashlib.sha256(public_key).hexdigest()[:FINGERPRINT_HEX]
    return ":".join(digest[index : index + 4] for index in range(0, FINGERPRINT_HEX, 4))


def nick_key(nick: str) -> str:
    """The form nicks are pinned under (``Ana`` and ``ana`` are one nick)."""
    return unicodedata.normalize("NFC", nick).casefold()


class NickIdentity:
    """This user's key pair, from a 32-byte seed (random, kept secret by the store)."""

    def __init__(self, seed: bytes) -> None:
        require_crypto()
        if len(seed) != SEED_BYTES:
            raise ValueError(f"the seed must be {SEED_BYTES} bytes")
        self.seed = seed
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def fingerprint(self) -> str:
        """This identity's fingerprint (say it aloud to prove who you are)."""
        return fingerprint(self.public_key)

    def sign(self, payload: bytes) -> bytes:
        """The 64-byte signature of ``payload``."""
        return self._private.sign(payload)


def verify(public_key: bytes, payload: bytes, signature: bytes) -> bool:
    """True when ``signature`` is ``public_key``'s signature of ``payload``; never raises."""
    require_crypto()
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, payload)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class PinResult:
    """The verdict for one (nick, key), with the pinned fingerprint for the user."""

    verdict: PinVerdict
    pinned: str  # fingerprint of the pinned key
    presented: str  # fingerprint of the key this message came with


class NickPins:
    """The nick -> public key pins of one user (pure state; the store saves it)."""

    def __init__(
        self, pins: Mapping[str, bytes] | None = None, max_nicks: int = MAX_PINNED_NICKS
    ) -> None:
        self._pins: dict[str, bytes] = dict(pins or {})
        self._max_nicks = max_nicks

    def __len__(self) -> int:
        return len(self._pins)

    def check(self, nick: str, public_key: bytes) -> PinResult:
        """Judge ``public_key`` for ``nick``; pin it if the nick is new."""
        key = nick_key(nick)
        presented = fingerprint(public_key)
        pinned = self._pins.get(key)
        if pinned is None:
            if len(self._pins) < self._max_nicks:
                self._pins[key] = public_key
            return PinResult(PinVerdict.FIRST_USE, presented, presented)
        verdict = PinVerdict.MATCH if pinned == public_key else PinVerdict.IMPOSTOR
        return PinResult(verdict, fingerprint(pinned), presented)

    def pinned(self, nick: str) -> bytes | None:
        """The key pinned for ``nick``, or None."""
        return self._pins.get(nick_key(nick))

    def forget(self, nick: str) -> bool:
        """Unpin ``nick`` (the user checked the new key out of band); True if it was pinned."""
        return self._pins.pop(nick_key(nick), None) is not None

    def to_json(self) -> dict[str, str]:
        """The pins as a JSON-able dict: nick key -> base64 public key."""
        return {nick: base64.b64encode(key).decode("ascii") for nick, key in self._pins.items()}

    @classmethod
    def from_json(cls, value: object, max_nicks: int = MAX_PINNED_NICKS) -> NickPins | DecodeError:
        """Pins from :meth:`to_json` output; a DecodeError for anything else, never raises."""
        if not isinstance(value, dict):
            return DecodeError("pins_bad_file")
        pins: dict[str, bytes] = {}
        for nick, encoded in value.items():
            if not isinstance(nick, str) or not isinstance(encoded, str):
                return DecodeError("pins_bad_file")
            try:
                key = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                return DecodeError("pins_bad_file")
            if len(key) != PUBLIC_KEY_BYTES or len(pins) >= max_nicks:
                return DecodeError("pins_bad_file")
            pins[nick_key(nick)] = key
        return cls(pins, max_nicks)


class Freshness(StrEnum):
    """What the replay guard says about one live, validly signed message."""

    FRESH = "fresh"  # first time seen, its author's time within the window: show it
    STALE = "stale"  # no ``ts``/``id``, or ``ts`` outside the window: a recording
    REPLAYED = "replayed"  # this key signed this id (and part) already: a copy


class ReplayGuard:
    """Refuses live signed messages played back later or twice (pure: callers pass ``now``).

    A signed message carries its author's ``ts`` and a unique ``id``, both covered by the
    signature. It is fresh when ``ts`` is within :data:`SIGNED_MAX_AGE_SECONDS` of ``now``
    and its (key, id, part) was not seen within that window. The seen set is bounded
    (:data:`MAX_SEEN_SIGNATURES`); entries leave it when their ``ts`` leaves the window,
    or, when it is full, oldest first, moving a horizon at or below which every ``ts`` is
    refused (so flooding the set cannot make room for a replay).
    """

    def __init__(
        self, max_age: float = SIGNED_MAX_AGE_SECONDS, capacity: int = MAX_SEEN_SIGNATURES
    ) -> None:
        self._max_age = max_age
        self._capacity = capacity
        self._seen: OrderedDict[tuple[bytes, str, int], float] = OrderedDict()
        self._horizon = -math.inf

    def __len__(self) -> int:
        return len(self._seen)

    def check(self, key: bytes, message: ChatMessage, now: float) -> Freshness:
        """Judge ``message`` (validly signed by ``key``) and remember it if fresh."""
        ts, message_id = message.ts, message.id
        if ts is None or message_id is None or not math.isfinite(ts):
            return Freshness.STALE
        if abs(now - ts) > self._max_age or ts <= self._horizon:
            return Freshness.STALE
        while self._seen:  # forget what left the window (arrival order: roughly by ts)
            oldest = next(iter(self._seen.values()))
            if now - oldest <= self._max_age:
                break
            self._seen.popitem(last=False)
        entry = (key, message_id, message.part or 0)
        if entry in self._seen:
            return Freshness.REPLAYED
        self._seen[entry] = ts
        while len(self._seen) > self._capacity:
            _entry, forgotten = self._seen.popitem(last=False)
            # Capped at now: a flood dated in the future must not refuse honest lines.
            self._horizon = max(self._horizon, min(forgotten, now))
        return Freshness.FRESH


__all__ = [
    "MAX_PINNED_NICKS",
    "MAX_SEEN_SIGNATURES",
    "SIGNATURE_CONTEXT",
    "SIGNATURE_OVERHEAD",
    "SIGNED_FIELDS",
    "SIGNED_ID_BYTES",
    "SIGNED_ID_CHARS",
    "SIGNED_MAX_AGE_SECONDS",
    "SIGNED_TS_CHARS",
    "SIGNED_TYPES",
    "Freshness",
    "NickIdentity",
    "NickPins",
    "PinResult",
    "PinVerdict",
    "ReplayGuard",
    "Signer",
    "fingerprint",
    "nick_key",
    "sign_message",
    "signed_bytes",
    "signer_key",
    "stamped",
    "verify",
]
