"""``--senha`` / ``--passphrase`` (or ``PAPO_SENHA``): passphrase mode for any datagram command.

Any command that sends or receives room datagrams adds the option with
:func:`add_passphrase_option` and builds its seal with :func:`seal_from_args`
(``None`` when no passphrase was given: the handout's plain mode).
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets

from papo.i18n import translate
from papo.protocol.sealed import SENDER_ID_BYTES, DatagramSeal, require_crypto

#: The environment variable read when no ``--senha`` is given, so the passphrase need not
#: appear on the command line (where ``ps`` shows it to every local user).
PASSPHRASE_ENV = "PAPO_SENHA"

_PROMPT = object()  # ``--senha`` without a value: ask on the terminal


def add_passphrase_option(parser: argparse.ArgumentParser, lang: str) -> None:
    """Add ``--senha/--passphrase [SENHA]`` to ``parser``."""
    pt = lang == "pt"
    parser.add_argument(
        "--senha",
        "--passphrase",
        dest="passphrase",
        nargs="?",
        const=_PROMPT,
        default=None,
        metavar="SENHA" if pt else "PASSPHRASE",
        help=(
            f"cifra e autentica as mensagens com esta senha (sem valor: pergunta; ou use a "
            f"variável {PASSPHRASE_ENV}); todos na sala precisam da mesma"
            if pt
            else f"encrypt and authenticate messages with this passphrase (no value: ask; or "
            f"set {PASSPHRASE_ENV}); everyone in the room needs the same one"
        ),
    )


def passphrase_given(args: argparse.Namespace) -> bool:
    """True when ``--senha`` or ``PAPO_SENHA`` asks for passphrase mode."""
    return getattr(args, "passphrase", None) is not None or bool(os.environ.get(PASSPHRASE_ENV))


def passphrase_from_args(args: argparse.Namespace) -> str | None:
    """The passphrase from ``--senha``, the terminal, or ``PAPO_SENHA``; None if none."""
    value = getattr(args, "passphrase", None)
    if value is _PROMPT:
        require_crypto()  # say what to install before asking for a secret
        return getpass.getpass(translate("passphrase_prompt", args.lang))
    if value is None:
        value = os.environ.get(PASSPHRASE_ENV) or None
    return value


def seal_from_args(args: argparse.Namespace, group: str, port: int) -> DatagramSeal | None:
    """The seal of room ``group``/``port`` for the given passphrase (slow: scrypt), or None."""
    passphrase = passphrase_from_args(args)
    if passphrase is None:
        return None
    return DatagramSeal.from_passphrase(
        passphrase, group, port, sender_id=secrets.token_bytes(SENDER_ID_BYTES)
    )
