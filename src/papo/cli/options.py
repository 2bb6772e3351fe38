"""Options several commands share, so each is spelled (and translated) in one place.

Every helper takes the parser and ``pt`` (Portuguese help texts when true) and adds the
same arguments, help and defaults wherever it is called; the reference pages, generated
from the parsers, show one text for one option.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from papo.errors import NetworkError, PapoError
from papo.i18n import LANGUAGES


def lang_help(pt: bool) -> str:
    """The help text of ``--lang``."""
    return (
        "idioma das mensagens (padrão: o do sistema)"
        if pt
        else "message language (default: from the locale)"
    )


def add_lang_option(parser: argparse.ArgumentParser, pt: bool) -> None:
    """``--lang`` on a nested command; left unset so the top level's value stands."""
    parser.add_argument("--lang", choices=LANGUAGES, default=argparse.SUPPRESS, help=lang_help(pt))


def add_host_option(parser: argparse.ArgumentParser, pt: bool, default: str, listen: bool) -> None:
    """``--host``: where a server listens (``listen``), or the server a client reaches."""
    if listen:
        help_text = (
            "endereço onde escutar (padrão: %(default)s = todas as interfaces)"
            if pt
            else "address to listen on (default: %(default)s = every interface)"
        )
    else:
        help_text = (
            "endereço do servidor (padrão: %(default)s)"
            if pt
            else "the server's address (default: %(default)s)"
        )
    parser.add_argument("--host", default=default, help=help_text)


def add_port_option(parser: argparse.ArgumentParser, pt: bool, default: int) -> None:
    """``--port``: a TCP port, ``default`` unless given."""
    parser.add_argument(
        "--port",
        type=int,
        default=default,
        help="porta TCP (padrão: %(default)s)" if pt else "TCP port (default: %(default)s)",
    )


def add_output_options(parser: argparse.ArgumentParser, pt: bool) -> None:
    """``--plain`` or ``--json`` (one of them): how received messages are shown."""
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--plain",
        action="store_true",
        help="modo linha, sem cores" if pt else "line mode, no colours",
    )
    output.add_argument(
        "--json",
        action="store_true",
        help="mensagens recebidas como linhas JSON" if pt else "received messages as JSON lines",
    )


def add_history_file_options(parser: argparse.ArgumentParser, pt: bool) -> None:
    """``--history FILE`` or ``--no-history`` (one of them): where the local history goes."""
    history = parser.add_mutually_exclusive_group()
    history.add_argument(
        "--history",
        metavar="ARQUIVO" if pt else "FILE",
        help=(
            "arquivo SQLite do histórico local (padrão: $PAPO_HISTORY ou "
            "$XDG_DATA_HOME/papo/history.sqlite3)"
            if pt
            else "local history SQLite file (default: $PAPO_HISTORY or "
            "$XDG_DATA_HOME/papo/history.sqlite3)"
        ),
    )
    history.add_argument(
        "--no-history",
        "--sem-historico",
        action="store_true",
        help="não guarda o histórico local" if pt else "keep no local history",
    )


def likely_holder(error: PapoError, port: int, holder_port: int, code: str) -> PapoError | None:
    """A clearer ``address_in_use``: ``code`` when ``port`` is the default of another papo
    program (``holder_port``), so the user learns which one probably holds it; else None.

    ``papo tcp`` and ``papo serve`` both default to 5050: the handout's §1 is taught with
    videos and gives no port to follow, and changing either default would break the
    commands people already use.
    """
    if error.code == "address_in_use" and port == holder_port:
        return NetworkError(code, port=port)
    return None


def seconds_type(maximum: float) -> Callable[[str], float]:
    """An argparse ``type``: a number of seconds above 0 and at most ``maximum``."""

    def _seconds(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
        if not 0 < value <= maximum:
            raise argparse.ArgumentTypeError(f"out of range (0 to {maximum:g} s): {text!r}")
        return value

    return _seconds


def usage_handler(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """A handler for a command given without its sub-command: print usage, exit code 2."""

    def _usage(args: argparse.Namespace) -> int:
        parser.print_usage()
        return 2

    return _usage
