"""Nick ownership in the chat: sign what this user sends, judge what others send (TOFU).

:class:`NickOwnership` holds this user's identity key and the nicks pinned so far and
judges every received message: a valid signature from a nick never seen pins its key
(:attr:`Ownership.PINNED`); the pinned key is :attr:`Ownership.OWNER`; another key, or
no signature from a nick whose key is pinned, is :attr:`Ownership.IMPOSTOR`. Messages
nobody signed from nicks never pinned (handout programs) are :attr:`Ownership.UNSIGNED`
and shown as always.

:class:`SigningSeal` signs on the way out. It is a wire seal (the hook the multicast
room offers every datagram), so the signature covers the envelope the transport really
sends (node, seq, ts, part...), each split part on its own; it chains an optional
passphrase seal after it. Its :attr:`~SigningSeal.overhead` is what a sender takes off
the datagram budget so every signed part still fits 1024 bytes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from papo.errors import DecodeError
from papo.protocol.codec import decode, encode
from papo.protocol.message import ChatMessage
from papo.protocol.nickkeys import (
    SIGNATURE_OVERHEAD,
    SIGNED_TYPES,
    NickIdentity,
    NickPins,
    PinVerdict,
    fingerprint,
    sign_message,
    signer_key,
)


class Ownership(StrEnum):
    """What nick ownership says about one received message."""

    UNSIGNED = "unsigned"  # no signature, nick never pinned: shown as today
    PINNED = "pinned"  # valid signature, nick seen for the first time: key pinned now
    OWNER = "owner"  # valid signature with the pinned key
    IMPOSTOR = "impostor"  # another key, a bad signature, or unsigned under a pinned nick


@dataclass(frozen=True, slots=True)
class Judgement:
    """The verdict on one message with the fingerprints to show ("" = no valid key)."""

    ownership: Ownership
    pinned: str = ""
    presented: str = ""


class NickOwnership:
    """This user's identity and pins: judges received messages, saves new pins."""

    def __init__(
        self,
        identity: NickIdentity,
        pins: NickPins,
        save: Callable[[NickPins], None] | None = None,
    ) -> None:
        self.identity = identity
        self.pins = pins
        self._save = save

    def claim(self, nick: str) -> None:
        """Pin this user's own key for ``nick`` (so a stranger cannot be pinned as us)."""
        if self.pins.pinned(nick) is None:
            self.pins.check(nick, self.identity.public_key)
            self._saved()

    def judge(self, message: ChatMessage) -> Judgement:
        """The verdict on ``message`` (pins its key if its nick is new and it is signed)."""
        key = signer_key(message)
        pinned = self.pins.pinned(message.user)
        if key is None:
            if pinned is None:
                return Judgement(Ownership.UNSIGNED)
            return Judgement(Ownership.IMPOSTOR, fingerprint(pinned), _claimed(message))
        result = self.pins.check(message.user, key)
        if result.verdict == PinVerdict.FIRST_USE:
            self._saved()
            return Judgement(Ownership.PINNED, result.pinned, result.presented)
        if result.verdict == PinVerdict.MATCH:
            return Judgement(Ownership.OWNER, result.pinned, result.presented)
        return Judgement(Ownership.IMPOSTOR, result.pinned, result.presented)

    def _saved(self) -> None:
        if self._save is not None:
            self._save(self.pins)


def _claimed(message: ChatMessage) -> str:
    """The fingerprint of the key a message claims but did not prove ("" if none)."""
    if message.key is None:
        return ""
    try:
        return fingerprint(base64.b64decode(message.key, validate=True))
    except (binascii.Error, ValueError):
        return ""


class Sealer(Protocol):
    """A wire seal (a passphrase seal) the signing seal chains after itself."""

    overhead: int

    def seal(self, payload: bytes) -> bytes:
        """The protected form of ``payload``."""
        ...

    def open(self, payload: bytes, source: str) -> bytes | DecodeError:
        """The original payload, or the reason it is refused."""
        ...


class SigningSeal:
    """Signs every chat, me, private, nick, leave and join envelope this program sends."""

    def __init__(self, identity: NickIdentity, inner: Sealer | None = None) -> None:
        self.identity = identity
        self._inner = inner
        #: Bytes this seal (and the chained one) adds to a datagram at most.
        self.overhead = SIGNATURE_OVERHEAD + (inner.overhead if inner is not None else 0)

    def seal(self, payload: bytes) -> bytes:
        """``payload`` with ``key`` and ``sig`` added (if it is a signed type), then sealed."""
        message = decode(payload)
        if (
            isinstance(message, ChatMessage)
            and not message.plain
            and message.type in SIGNED_TYPES
            and message.sig is None
        ):
            payload = encode(sign_message(self.identity, message))
        return self._inner.seal(payload) if self._inner is not None else payload

    def open(self, payload: bytes, source: str) -> bytes | DecodeError:
        """Unseal with the chained seal; signatures are judged by the session."""
        return self._inner.open(payload, source) if self._inner is not None else payload


__all__ = ["Judgement", "NickOwnership", "Ownership", "SigningSeal"]
