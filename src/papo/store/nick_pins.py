"""Files of nick ownership: this user's identity key and the nicks pinned on first use.

Both live in ``$PAPO_KEYS`` if set, else ``$XDG_DATA_HOME/papo`` (``~/.local/share/papo``):
``identity.key`` (the 32-byte Ed25519 seed in hex, mode 0600, made on first use) and
``known_nicks.json`` (nick -> base64 public key, written atomically). A damaged file is
reported in one line naming it; it is never overwritten silently.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from papo.errors import ConfigError, DecodeError
from papo.protocol.nickkeys import SEED_BYTES, NickIdentity, NickPins

#: Environment variable naming the directory of the identity and pin files.
KEYS_DIR_VARIABLE = "PAPO_KEYS"

IDENTITY_FILE = "identity.key"
PINS_FILE = "known_nicks.json"

#: The largest pin file read (a bounded read: MAX_PINNED_NICKS entries fit easily).
MAX_PINS_FILE_BYTES = 2 * 1024 * 1024


def default_keys_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$PAPO_KEYS``, else ``$XDG_DATA_HOME/papo``, else ``~/.local/share/papo``."""
    env = os.environ if environ is None else environ
    if env.get(KEYS_DIR_VARIABLE):
        return Path(env[KEYS_DIR_VARIABLE])
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local/share")
    return Path(base) / "papo"


def load_identity(
    directory: Path, random_bytes: Callable[[int], bytes] = os.urandom
) -> NickIdentity:
    """This user's identity, created (mode 0600) on first use; ConfigError if damaged."""
    return load_identity_file(directory / IDENTITY_FILE, random_bytes)


def load_identity_file(
    path: Path, random_bytes: Callable[[int], bytes] = os.urandom
) -> NickIdentity:
    """The identity kept in ``path``, created (mode 0600) on first use; ConfigError if damaged."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return _create_identity(path, random_bytes)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("identity_bad_file", path=str(path), reason=str(exc)[:80]) from None
    try:
        seed = bytes.fromhex(text)
    except ValueError:
        seed = b""
    if len(seed) != SEED_BYTES:
        raise ConfigError("identity_bad_file", path=str(path), reason="not 64 hex digits")
    return NickIdentity(seed)


def _create_identity(path: Path, random_bytes: Callable[[int], bytes]) -> NickIdentity:
    identity = NickIdentity(random_bytes(SEED_BYTES))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: two programs starting at once never overwrite each other's key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_identity_file(path, random_bytes)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(identity.seed.hex() + "\n")
    return identity


def load_pins(directory: Path) -> NickPins:
    """The pinned nicks (none yet if the file does not exist); ConfigError if damaged."""
    path = directory / PINS_FILE
    try:
        with path.open("rb") as file:
            data = file.read(MAX_PINS_FILE_BYTES + 1)
    except FileNotFoundError:
        return NickPins()
    except OSError as exc:
        raise ConfigError("pins_bad_file", path=str(path), reason=str(exc)[:80]) from None
    if len(data) > MAX_PINS_FILE_BYTES:
        raise ConfigError("pins_bad_file", path=str(path), reason="too large")
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        raise ConfigError("pins_bad_file", path=str(path), reason="not JSON") from None
    pins = NickPins.from_json(value)
    if isinstance(pins, DecodeError):
        raise ConfigError("pins_bad_file", path=str(path), reason="unexpected content")
    return pins


def save_pins(directory: Path, pins: NickPins) -> None:
    """Write the pins atomically (a crash leaves the old file or the new one, whole)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / PINS_FILE
    temporary = path.with_name(f".{PINS_FILE}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(pins.to_json(), file, ensure_ascii=False, indent=1, sort_keys=True)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
