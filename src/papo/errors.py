"""One exception hierarchy for the whole package.

Every error carries a ``code`` (a key of :mod:`papo.i18n`) and the ``details`` that
fill its text, so the user interface can say it in the user's language in one line.
"""

from __future__ import annotations

from typing import Any

from papo.i18n import translate


class PapoError(Exception):
    """Base class of every error papo raises on purpose."""

    default_code = "error"

    def __init__(self, code: str | None = None, /, **details: Any) -> None:
        self.code = code or self.default_code
        self.details = details
        super().__init__(self.code)

    def __str__(self) -> str:
        return translate(self.code, "en", **self.details)


class ConfigError(PapoError):
    """A setting given by the user cannot be used (bad address, port, nick...)."""

    default_code = "config"


class NetworkError(PapoError):
    """The operating system refused a network operation (no route, permission...)."""

    default_code = "network"


class InputError(PapoError):
    """Something the local user typed cannot be sent as it is (too long...)."""

    default_code = "input"


class DecodeError(PapoError):
    """Bytes from the network are not a valid papo/handout message.

    Decoders *return* this (they never raise it), so a receive loop cannot be
    broken by what a peer sends.
    """

    default_code = "decode"
