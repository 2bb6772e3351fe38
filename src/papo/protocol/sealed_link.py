"""Passphrase mode for the P2P mesh: every line on a link sealed (pure, sans-I/O).

The mesh sends newline-delimited frames over TCP (:mod:`papo.protocol.framing`). In
passphrase mode each frame, the first ``hello`` included, is sealed with the
:class:`~papo.protocol.sealed.DatagramSeal` of the multicast room (ChaCha20-Poly1305,
per-sender counters, replay window) and carried as one line::

    sealed <base64 of the sealed bytes>

so the line framer works unchanged, and a line is told apart from a plain JSON frame
(which starts with ``{``) by its first bytes.

Each link starts with a handshake that binds it to this connection (:class:`SealedLink`):
both ends first send ``sealed challenge <base64 of 16 random bytes>``, then their sealed
``hello`` whose plaintext starts with the *peer's* challenge. A recording of an earlier
link played back to a node (even one restarted, with empty replay windows) fails: its
hello answers an old challenge. After the hello, a link accepts only lines sealed by the
sender id that sealed the hello, so old lines of another run cannot be spliced in.

The key is ``scrypt(passphrase, b"papo/mesh/v1\\0")`` with the multicast room's cost
(:data:`~papo.protocol.sealed.SCRYPT_N`...): one mesh, one fixed salt label, so a
passphrase used for a multicast room and for the mesh gives two unrelated keys.

Every node seals with its own random sender id; a relaying node opens a frame and seals
it again with its own, so each receiver keeps a replay window per neighbour that sealed,
and the mesh's de-duplication by (authenticated) message id drops a message replayed on
another link.
"""

from __future__ import annotations

import base64
import binascii
import unicodedata
from collections import Counter

from papo.errors import ConfigError, DecodeError
from papo.protocol.sealed import (
    DEFAULT_SCRYPT,
    KEY_ID_BYTES,
    MAGIC,
    SENDER_ID_BYTES,
    DatagramSeal,
    ScryptParams,
    require_crypto,
)

#: First bytes of every sealed line (a plain mesh frame starts with ``{``).
SEALED_LINE_PREFIX = b"sealed "

#: First bytes of the first line on a sealed link: a fresh random challenge.
CHALLENGE_PREFIX = SEALED_LINE_PREFIX + b"challenge "

#: Bytes of a link challenge (random, from the caller).
CHALLENGE_BYTES = 16

#: The scrypt salt of the mesh key: a fixed label, different from every multicast
#: room's (``papo/sealed/v1...``), so the same passphrase gives different keys.
MESH_SALT = b"papo/mesh/v1\x00"

_KEY_BYTES = 32


def is_sealed_line(line: bytes) -> bool:
    """True when ``line`` is a sealed mesh frame (whatever its key)."""
    return line.startswith(SEALED_LINE_PREFIX)


def is_plain_line(line: bytes) -> bool:
    """True when ``line`` looks like a plain (JSON) mesh frame."""
    return line.lstrip()[:1] == b"{"


def derive_mesh_key(passphrase: str, params: ScryptParams = DEFAULT_SCRYPT) -> bytes:
    """The 32-byte mesh key every member derives from the passphrase (slow on purpose)."""
    require_crypto()
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    normal = unicodedata.normalize("NFC", passphrase)
    if not normal.strip():
        raise ConfigError("passphrase_empty")
    kdf = Scrypt(salt=MESH_SALT, length=_KEY_BYTES, n=params.n, r=params.r, p=params.p)
    return kdf.derive(normal.encode("utf-8", "surrogatepass"))


class LineSeal:
    """Seals this node's mesh lines and opens its neighbours'; one per program run.

    ``counts`` holds every rejection by error code (also those of the inner seal), and
    each returned error carries ``count`` (how many of that code so far), like
    :meth:`DatagramSeal.open`.
    """

    def __init__(self, seal: DatagramSeal) -> None:
        self._seal = seal
        #: Lines rejected so far, by error code.
        self.counts: Counter[str] = Counter()

    @classmethod
    def from_passphrase(
        cls, passphrase: str, *, sender_id: bytes, params: ScryptParams = DEFAULT_SCRYPT
    ) -> LineSeal:
        """The line seal of the mesh for ``passphrase`` (runs scrypt once)."""
        if len(sender_id) != SENDER_ID_BYTES:
            raise ValueError(f"the sender id must be {SENDER_ID_BYTES} bytes")
        return cls(DatagramSeal(derive_mesh_key(passphrase, params), sender_id=sender_id))

    def seal_line(self, payload: bytes) -> bytes:
        """The sealed line (without its newline) carrying ``payload``."""
        return SEALED_LINE_PREFIX + base64.b64encode(self._seal.seal(payload))

    def open_line(self, line: bytes, source: str) -> bytes | DecodeError:
        """The payload of a sealed line, or a counted DecodeError; never raises."""
        if not is_sealed_line(line):
            code = "mesh_peer_plain" if is_plain_line(line) else "sealed_not_sealed"
            return self._count(DecodeError(code))
        try:
            raw = base64.b64decode(line[len(SEALED_LINE_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            return self._count(DecodeError("sealed_forged"))
        opened = self._seal.open(raw, source)
        if isinstance(opened, DecodeError):
            return self._count(opened)
        return opened

    def _count(self, error: DecodeError) -> DecodeError:
        self.counts[error.code] += 1
        error.details["count"] = self.counts[error.code]
        return error

    def link(self, challenge: bytes) -> SealedLink:
        """The handshake state of a new link; ``challenge``: fresh random bytes."""
        return SealedLink(self, challenge)


class SealedLink:
    """One link in passphrase mode: challenge, bound hello, then one sealing sender.

    Send :meth:`challenge_line` first; pass the peer's first line to
    :meth:`take_challenge`; send :meth:`seal_hello`; pass every later line to
    :meth:`open`.
    """

    def __init__(self, seal: LineSeal, challenge: bytes) -> None:
        if len(challenge) != CHALLENGE_BYTES:
            raise ValueError(f"the challenge must be {CHALLENGE_BYTES} bytes")
        self._seal = seal
        self._challenge = challenge
        self._peer_challenge: bytes | None = None
        self._peer_sender: bytes | None = None

    @property
    def opened_hello(self) -> bool:
        """True once the peer's bound hello opened."""
        return self._peer_sender is not None

    def challenge_line(self) -> bytes:
        """The first line to send on the link."""
        return CHALLENGE_PREFIX + base64.b64encode(self._challenge)

    def take_challenge(self, line: bytes) -> DecodeError | None:
        """Read the peer's first line; a DecodeError (counted) if it is not a challenge."""
        if not line.startswith(CHALLENGE_PREFIX):
            if is_sealed_line(line):
                return self._seal._count(DecodeError("sealed_forged"))
            code = "mesh_peer_plain" if is_plain_line(line) else "sealed_not_sealed"
            return self._seal._count(DecodeError(code))
        try:
            challenge = base64.b64decode(line[len(CHALLENGE_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            challenge = b""
        if len(challenge) != CHALLENGE_BYTES:
            return self._seal._count(DecodeError("sealed_forged"))
        self._peer_challenge = challenge
        return None

    def seal_hello(self, payload: bytes) -> bytes:
        """The sealed hello line, bound to the peer's challenge (take it first)."""
        if self._peer_challenge is None:
            raise ValueError("take the peer's challenge before sending the hello")
        return self._seal.seal_line(self._peer_challenge + payload)

    def open(self, line: bytes, source: str) -> bytes | DecodeError:
        """The payload of the next line of this link, or a counted DecodeError."""
        sender = _sender_of(line)
        if self._peer_sender is not None and sender != self._peer_sender:
            return self._seal._count(DecodeError("sealed_forged"))
        opened = self._seal.open_line(line, source)
        if isinstance(opened, DecodeError) or self._peer_sender is not None:
            return opened
        if not opened.startswith(self._challenge):
            return self._seal._count(DecodeError("sealed_replayed"))
        self._peer_sender = sender
        return opened[CHALLENGE_BYTES:]


_SENDER_START = len(MAGIC) + KEY_ID_BYTES


def _sender_of(line: bytes) -> bytes | None:
    """The sender id in the header of a sealed line, if it has one."""
    if not is_sealed_line(line):
        return None
    head = line[len(SEALED_LINE_PREFIX) : len(SEALED_LINE_PREFIX) + 64]
    try:
        raw = base64.b64decode(head[: len(head) // 4 * 4])
    except (binascii.Error, ValueError):
        return None
    sender = raw[_SENDER_START : _SENDER_START + SENDER_ID_BYTES]
    return sender if len(sender) == SENDER_ID_BYTES else None


__all__ = [
    "CHALLENGE_BYTES",
    "CHALLENGE_PREFIX",
    "MESH_SALT",
    "SEALED_LINE_PREFIX",
    "LineSeal",
    "SealedLink",
    "derive_mesh_key",
    "is_plain_line",
    "is_sealed_line",
]
