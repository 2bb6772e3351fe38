"""Nick ownership in the chat: sign what this user sends, judge what others send (TOFU).

:class:`NickOwnership` holds this user's identity key and the nicks pinned so far and
judges every received message: a valid signature from a nick never seen pins its key
(:attr:`Ownership.PINNED`); the pinned key is :attr:`Ownership.OWNER`; another key, or
no signature from a nick whose key is pinned, is :attr:`Ownership.IMPOSTOR`. Messages
nobody signed from nicks never pinned (handout programs) are :attr:`Ownership.UNSIGNED`
and shown as always.

A live signed message older or newer than the window, or seen already, is
:attr:`Ownership.REPLAYED`: a recording played back, which the session drops and counts.

:class:`MessageSigner` signs on the way out: every transport calls it on each part it
sends (``sign_with``), so each split part is signed on its own, over the fields its
author controls; its :attr:`~MessageSigner.overhead` is what a sender takes off the
datagram budget so every signed part still fits 1024 bytes.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from papo.protocol.message import ChatMessage
from papo.protocol.nickkeys import (
    SIGNATURE_OVERHEAD,
    SIGNED_ID_BYTES,
    SIGNED_TYPES,
    Freshness,
    NickIdentity,
    NickPins,
    PinVerdict,
    ReplayGuard,
    fingerprint,
    sign_message,
    signer_key,
    stamped,
)


class Ownership(StrEnum):
    """What nick ownership says about one received message."""

    UNSIGNED = "unsigned"  # no signature, nick never pinned: shown as today
    PINNED = "pinned"  # valid signature, nick seen for the first time: key pinned now
    OWNER = "owner"  # valid signature with the pinned key
    IMPOSTOR = "impostor"  # another key, a bad signature, or unsigned under a pinned nick
    REPLAYED = "replayed"  # validly signed but old or seen already: a recording, dropped


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
        self.replays = ReplayGuard()

    def claim(self, nick: str) -> None:
        """Pin this user's own key for ``nick`` (so a stranger cannot be pinned as us)."""
        if self.pins.pinned(nick) is None:
            self.pins.check(nick, self.identity.public_key)
            self._saved()

    def judge(self, message: ChatMessage, now: float | None = None) -> Judgement:
        """The verdict on ``message`` (pins its key if its nick is new and it is signed).

        ``now`` is given for live messages: a valid signature older or newer than the
        window, or seen already, is :attr:`Ownership.REPLAYED` (and pins nothing). History
        (scroll-back, catch-up) is judged without ``now``: on its signature only.
        """
        key = signer_key(message)
        pinned = self.pins.pinned(message.user)
        if key is None:
            if pinned is None:
                return Judgement(Ownership.UNSIGNED)
            return Judgement(Ownership.IMPOSTOR, fingerprint(pinned), _claimed(message))
        if now is not None and self.replays.check(key, message, now) != Freshness.FRESH:
            shown = fingerprint(pinned) if pinned is not None else ""
            return Judgement(Ownership.REPLAYED, shown, fingerprint(key))
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


class MessageSigner:
    """Signs every chat, me, private, nick, leave and join message this user sends.

    The :class:`~papo.protocol.nickkeys.Signer` transports call on each part they send:
    it stamps the author's time and a random id when the transport set none (the replay
    guard needs both), then signs. ``clock`` and ``random_bytes`` are injectable for tests.
    """

    def __init__(
        self,
        identity: NickIdentity,
        clock: Callable[[], float] = time.time,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        self.identity = identity
        self._clock = clock
        self._random_bytes = random_bytes
        #: Bytes signing adds to one envelope at most.
        self.overhead = SIGNATURE_OVERHEAD

    def sign(self, message: ChatMessage) -> ChatMessage:
        """``message`` stamped and signed if it is a type papo signs; else unchanged."""
        if message.plain or message.type not in SIGNED_TYPES or message.sig is not None:
            return message
        ready = stamped(message, self._clock(), self._random_bytes(SIGNED_ID_BYTES))
        return sign_message(self.identity, ready)


__all__ = ["Judgement", "MessageSigner", "NickOwnership", "Ownership"]
