"""Passphrase mode for the P2P mesh: every line on a link sealed (pure, sans-I/O).

The mesh sends newline-delimited frames over TCP (:mod:`papo.protocol.framing`). In
passphrase mode each frame, the first ``hello`` included, is sealed with the
:class:`~papo.protocol.sealed.DatagramSeal` of the multicast room (ChaCha20-Poly1305,
per-sender counters, replay window) and carried as one line::

    sealed <base64 of the sealed bytes>

so the line framer works unchanged, and a line is told apart from a plain JSON frame
(which starts with ``{``) by its first bytes.

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
    SENDER_ID_BYTES,
    DatagramSeal,
    ScryptParams,
    require_crypto,
)

#: First bytes of every sealed line (a plain mesh frame starts with ``{``).
SEALED_LINE_PREFIX = b"sealed "

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


__all__ = [
    "MESH_SALT",
    "SEALED_LINE_PREFIX",
    "LineSeal",
    "derive_mesh_key",
    "is_plain_line",
    "is_sealed_line",
]
