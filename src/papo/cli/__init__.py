"""Command line: parse arguments, build session + transport + UI, run; ``main`` -> exit code.

Each sub-module registers its commands with ``register(subparsers, lang)``; adding a
command never touches the others.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from papo import __version__
from papo.cli import chat as chat_commands
from papo.cli import config, options
from papo.cli import doctor as doctor_commands
from papo.cli import multicast as multicast_commands
from papo.cli import nats as nats_commands
from papo.cli import peer as peer_commands
from papo.cli import record as record_commands
from papo.cli import room as room_commands
from papo.cli import tcp as tcp_commands
from papo.cli.parser import LocalizedParser
from papo.errors import ConfigError, PapoError
from papo.i18n import LANGUAGES, language_from_environment, translate
from papo.ui.text import error_text

#: Command modules, in the order their commands appear in ``papo --help``.
COMMAND_MODULES = [
    chat_commands,
    multicast_commands,
    tcp_commands,
    record_commands,
    room_commands,
    peer_commands,
    nats_commands,
    doctor_commands,
]

#: The program name of the handout's deliverable (``python multicast.py``).
HANDOUT_PROG = "multicast.py"

EXIT_OK = 0
EXIT_RUNTIME_ERROR = 1
EXIT_USAGE = 2


def _language(argv: Sequence[str], configured: str | None = None) -> str:
    """``--lang`` if given (before parsing, so help is in that language), else the
    configuration file's ``lang``, else the locale."""
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv) and argv[index + 1] in LANGUAGES:
            return argv[index + 1]
        if arg.startswith("--lang=") and arg.split("=", 1)[1] in LANGUAGES:
            return arg.split("=", 1)[1]
    return configured or language_from_environment()


def build_parser(lang: str, prog: str = "papo") -> argparse.ArgumentParser:
    """The whole ``papo`` argument parser, with help texts in ``lang``."""
    pt = lang == "pt"
    parser = LocalizedParser(
        lang=lang,
        prog=prog,
        description=(
            "Chat para redes locais: multicast, cliente/servidor e P2P."
            if pt
            else "Chat for local networks: multicast, client/server and P2P."
        ),
    )
    parser.add_argument("--version", action="version", version=f"papo {__version__}")
    lang_help = options.lang_help(pt)
    parser.add_argument("--lang", choices=LANGUAGES, default=lang, help=lang_help)
    subparsers = parser.add_subparsers(dest="command", metavar="COMANDO" if pt else "COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers, lang)
    seen: set[int] = set()
    for command in subparsers.choices.values():
        if id(command) not in seen:  # aliases share one parser
            seen.add(id(command))
            command.add_argument(
                "--lang", choices=LANGUAGES, default=argparse.SUPPRESS, help=lang_help
            )
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "papo") -> int:
    """Run papo with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        settings = config.load_settings(config.default_config_path())
        lang = _language(args_list, settings.lang)
        parser = build_parser(lang, prog)
        config.apply_settings(settings, parser)
    except ConfigError as exc:
        lang = _language(args_list)
        print(translate("error_prefix", lang, text=error_text(exc, lang)), file=sys.stderr)
        return EXIT_USAGE
    if prog == HANDOUT_PROG and not args_list:  # a student's first try: the two roles
        print(translate("handout_usage", lang), file=sys.stderr)
        return EXIT_USAGE
    args = parser.parse_args(args_list)
    handler = getattr(args, "handler", None)
    if handler is None and args.command is None and prog == "papo":  # `papo` alone: chat
        args = parser.parse_args([*args_list, chat_commands.DEFAULT_COMMAND])
        handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(handler(args))
    except PapoError as exc:
        print(
            translate("error_prefix", args.lang, text=error_text(exc, args.lang)), file=sys.stderr
        )
        return EXIT_USAGE if isinstance(exc, ConfigError) else EXIT_RUNTIME_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
