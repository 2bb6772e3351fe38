"""Passphrase mode for datagrams: encrypt, authenticate and de-duplicate (pure, sans-I/O).

Everyone in a room who knows the passphrase derives the same *room key*; nobody else can
read or forge the room's datagrams. The only outside code is the ``cryptography``
library (the optional extra ``papo[crypto]``): no sockets, no clock, no randomness here.
The caller supplies each sender's random id.

Wire format of one sealed datagram (all integers big-endian)::

    magic   4 bytes   b"\\xffPS1" (0xff is never UTF-8, so plain receivers reject it)
    key id  4 bytes   names the room key: lets a receiver say "wrong passphrase?"
    sender 16 bytes   random per sender and program run; picks the sender's key
    counter 8 bytes   0, 1, 2, ... per sender: the nonce, and the replay-window index
    box     n + 16    ChaCha20-Poly1305 of the payload, the 32-byte header as associated data

Keys: ``room key = scrypt(passphrase, salt)`` with :data:`SCRYPT_N`, :data:`SCRYPT_R`,
:data:`SCRYPT_P`; the salt is ``b"papo/sealed/v1\\0" + group + b"\\0" + port``, the same
for every member (there is no server to hand out a random salt; see SECURITY.md). Each
sender encrypts with its own key ``HKDF-Expand(room key, "papo sealed v1 sender" +
sender id)``, so two senders never share a (key, nonce) pair even if their counters match.

:meth:`DatagramSeal.open` accepts *any* bytes and returns the payload or a
:class:`~papo.errors.DecodeError` with a distinct code per reason (not sealed, truncated,
wrong passphrase, forged, replayed, too old), each counted in :attr:`DatagramSeal.counts`.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Protocol

from papo.errors import ConfigError, DecodeError, InputError
from papo.protocol.limits import MAX_DATAGRAM_BYTES

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
except ImportError:  # the optional extra papo[crypto] is not installed
    CRYPTO_AVAILABLE = False
else:
    CRYPTO_AVAILABLE = True

#: First bytes of every sealed datagram (0xff never starts valid UTF-8 text).
MAGIC = b"\xffPS1"

#: Bytes of the key id, the sender id and the counter in the header.
KEY_ID_BYTES = 4
SENDER_ID_BYTES = 16
COUNTER_BYTES = 8

#: The header: magic, key id, sender id, counter (authenticated, not encrypted).
HEADER_BYTES = len(MAGIC) + KEY_ID_BYTES + SENDER_ID_BYTES + COUNTER_BYTES

#: The Poly1305 authentication tag appended to every ciphertext.
TAG_BYTES = 16

#: Bytes a sealed datagram adds to its payload; senders shrink their parts by this much so
#: a sealed datagram still fits :data:`~papo.protocol.limits.SEND_DATAGRAM_BYTES`.
SEAL_OVERHEAD = HEADER_BYTES + TAG_BYTES

#: scrypt cost (CPU/memory): 2**17 with r=8 takes 128 MiB and about 0.5 s per derivation,
#: the OWASP 2023 recommendation; it is paid once per program start, and by an attacker
#: for every passphrase guessed.
SCRYPT_N = 2**17

#: scrypt block size (the value every reference uses).
SCRYPT_R = 8

#: scrypt parallelism.
SCRYPT_P = 1

#: How far behind the newest counter of a sender a datagram may arrive (reordering) and
#: still be accepted once; older ones are rejected as too old. IPsec uses 64, WireGuard
#: 8 192; 1 024 covers any reordering a LAN produces.
REPLAY_WINDOW = 1024

#: How many senders' replay windows a receiver keeps (least recently heard forgotten).
#: Only senders that authenticated get a window, so strangers cannot fill it.
MAX_SEALED_SENDERS = 1024

#: The largest counter a sender may use; after it the sender must restart (new sender id).
MAX_COUNTER = 2**64 - 1

_SALT_LABEL = b"papo/sealed/v1\x00"
_KEY_ID_INFO = b"papo sealed v1 key id"
_SENDER_KEY_INFO = b"papo sealed v1 sender"
_KEY_BYTES = 32
_NONCE_PAD = b"\x00" * (12 - COUNTER_BYTES)


@dataclass(frozen=True, slots=True)
class ScryptParams:
    """The cost of deriving the room key; the defaults are the wire contract."""

    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P


DEFAULT_SCRYPT = ScryptParams()


class Sealer(Protocol):
    """What a session or transport needs from a seal (see :class:`DatagramSeal`)."""

    overhead: int

    def seal(self, payload: bytes) -> bytes:
        """Encrypt and authenticate one payload."""
        ...

    def open(self, payload: bytes, source: str) -> bytes | DecodeError:
        """The payload of one sealed datagram, or the reason it was rejected."""
        ...


def require_crypto() -> None:
    """Raise ConfigError("crypto_missing") unless the ``cryptography`` library is installed."""
    if not CRYPTO_AVAILABLE:
        raise ConfigError("crypto_missing")


def room_salt(group: str, port: int) -> bytes:
    """The scrypt salt of a room: a fixed papo label, the group (canonical form), the port."""
    try:
        canonical = ipaddress.ip_address(group.split("%")[0]).compressed
    except ValueError:
        canonical = group
    return _SALT_LABEL + canonical.encode("utf-8") + b"\x00" + str(port).encode("ascii")


def derive_room_key(
    passphrase: str, group: str, port: int, params: ScryptParams = DEFAULT_SCRYPT
) -> bytes:
    """The 32-byte room key every member derives from the passphrase (slow on purpose)."""
    require_crypto()
    normal = unicodedata.normalize("NFC", passphrase)
    if not normal.strip():
        raise ConfigError("passphrase_empty")
    secret = normal.encode("utf-8", "surrogatepass")
    kdf = Scrypt(salt=room_salt(group, port), length=_KEY_BYTES, n=params.n, r=params.r, p=params.p)
    return kdf.derive(secret)


def _expand(key: bytes, info: bytes, length: int) -> bytes:
    return HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info).derive(key)


class ReplayWindow:
    """Which counters of one sender were already accepted (a sliding bitmap, RFC 6479 style).

    ``status(counter)`` says whether a counter is new, replayed or too old; ``accept``
    records it. Call ``accept`` only after the datagram authenticated.
    """

    NEW = "new"
    REPLAYED = "replayed"
    TOO_OLD = "too_old"

    def __init__(self, size: int = REPLAY_WINDOW) -> None:
        if size < 1:
            raise ValueError("the replay window needs at least one slot")
        self.size = size
        self._top = -1
        self._bits = 0  # bit i set: counter top - i was accepted

    def status(self, counter: int) -> str:
        """``NEW``, ``REPLAYED`` or ``TOO_OLD`` for ``counter``, without recording it."""
        if counter > self._top:
            return self.NEW
        offset = self._top - counter
        if offset >= self.size:
            return self.TOO_OLD
        return self.REPLAYED if (self._bits >> offset) & 1 else self.NEW

    def accept(self, counter: int) -> None:
        """Record ``counter`` as seen (it must have status ``NEW``)."""
        mask = (1 << self.size) - 1
        if counter > self._top:
            shift = counter - self._top
            self._bits = ((self._bits << shift) | 1) & mask if shift < self.size else 1
            self._top = counter
        else:
            self._bits |= 1 << (self._top - counter)


class DatagramSeal:
    """Seals this program's datagrams and opens the room's, for one room key.

    Build it with :meth:`from_passphrase` (slow: scrypt) or from a derived key. One
    object serves one sender (``sender_id``: 16 random bytes from the caller, new for
    every program run) and any number of remote senders.
    """

    overhead = SEAL_OVERHEAD

    def __init__(
        self,
        room_key: bytes,
        *,
        sender_id: bytes,
        replay_window: int = REPLAY_WINDOW,
        max_senders: int = MAX_SEALED_SENDERS,
    ) -> None:
        require_crypto()
        if len(room_key) != _KEY_BYTES:
            raise ValueError("the room key must be 32 bytes")
        if len(sender_id) != SENDER_ID_BYTES:
            raise ValueError(f"the sender id must be {SENDER_ID_BYTES} bytes")
        self._room_key = room_key
        self.key_id = _expand(room_key, _KEY_ID_INFO, KEY_ID_BYTES)
        self.sender_id = sender_id
        self._own = ChaCha20Poly1305(self._sender_key(sender_id))
        self._next_counter = 0
        self._replay_window = replay_window
        self._max_senders = max_senders
        self._peers: OrderedDict[bytes, tuple[ChaCha20Poly1305, ReplayWindow]] = OrderedDict()
        #: Datagrams rejected so far, by error code (``sealed_forged``, ``sealed_replayed``...).
        self.counts: Counter[str] = Counter()

    @classmethod
    def from_passphrase(
        cls,
        passphrase: str,
        group: str,
        port: int,
        *,
        sender_id: bytes,
        params: ScryptParams = DEFAULT_SCRYPT,
    ) -> DatagramSeal:
        """The seal of room ``group``/``port`` for ``passphrase`` (runs scrypt once)."""
        return cls(derive_room_key(passphrase, group, port, params), sender_id=sender_id)

    def _sender_key(self, sender_id: bytes) -> bytes:
        return _expand(self._room_key, _SENDER_KEY_INFO + sender_id, _KEY_BYTES)

    def seal(self, payload: bytes) -> bytes:
        """Encrypt and authenticate ``payload`` as this sender's next datagram."""
        counter = self._next_counter
        if counter > MAX_COUNTER:
            raise InputError("sealed_exhausted")
        self._next_counter += 1
        header = MAGIC + self.key_id + self.sender_id + counter.to_bytes(COUNTER_BYTES, "big")
        nonce = _NONCE_PAD + counter.to_bytes(COUNTER_BYTES, "big")
        return header + self._own.encrypt(nonce, payload, header)

    def open(self, payload: bytes, source: str) -> bytes | DecodeError:
        """The payload of a sealed datagram, or a counted DecodeError; never raises."""
        error = self._open(payload)
        if isinstance(error, DecodeError):
            self.counts[error.code] += 1
            error.details["count"] = self.counts[error.code]
        return error

    def _open(self, payload: bytes) -> bytes | DecodeError:
        if len(payload) > MAX_DATAGRAM_BYTES:
            return DecodeError("decode_oversize", size=len(payload), max=MAX_DATAGRAM_BYTES)
        if not payload.startswith(MAGIC):
            return DecodeError("sealed_not_sealed")
        if len(payload) < SEAL_OVERHEAD:
            return DecodeError("sealed_truncated", size=len(payload), min=SEAL_OVERHEAD)
        header = payload[:HEADER_BYTES]
        start = len(MAGIC)
        if header[start : start + KEY_ID_BYTES] != self.key_id:
            return DecodeError("sealed_wrong_passphrase")
        start += KEY_ID_BYTES
        sender_id = header[start : start + SENDER_ID_BYTES]
        counter_bytes = header[start + SENDER_ID_BYTES :]
        counter = int.from_bytes(counter_bytes, "big")
        cipher, window = self._peer(sender_id)
        # Authenticate first, so a tampered copy of an old datagram is counted as forged.
        try:
            plain = cipher.decrypt(_NONCE_PAD + counter_bytes, payload[HEADER_BYTES:], header)
        except InvalidTag:
            return DecodeError("sealed_forged")
        status = window.status(counter)
        if status == ReplayWindow.REPLAYED:
            return DecodeError("sealed_replayed")
        if status == ReplayWindow.TOO_OLD:
            return DecodeError("sealed_too_old", window=window.size)
        window.accept(counter)
        self._remember(sender_id, cipher, window)
        return plain

    def _peer(self, sender_id: bytes) -> tuple[ChaCha20Poly1305, ReplayWindow]:
        known = self._peers.get(sender_id)
        if known is not None:
            return known
        # Not remembered until a datagram authenticates: forgeries cannot fill the table.
        return ChaCha20Poly1305(self._sender_key(sender_id)), ReplayWindow(self._replay_window)

    def _remember(self, sender_id: bytes, cipher: ChaCha20Poly1305, window: ReplayWindow) -> None:
        self._peers[sender_id] = (cipher, window)
        self._peers.move_to_end(sender_id)
        while len(self._peers) > self._max_senders:
            self._peers.popitem(last=False)


__all__ = [
    "DEFAULT_SCRYPT",
    "MAGIC",
    "MAX_SEALED_SENDERS",
    "REPLAY_WINDOW",
    "SEAL_OVERHEAD",
    "DatagramSeal",
    "ReplayWindow",
    "ScryptParams",
    "Sealer",
    "derive_room_key",
    "require_crypto",
    "room_salt",
]
