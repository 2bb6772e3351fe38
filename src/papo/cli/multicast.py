"""``papo send`` / ``papo receive`` (``emissor`` / ``receptor``): the handout's §4 chat."""

from __future__ import annotations

import argparse

from papo.cli.passphrase import add_passphrase_option, seal_from_args
from papo.protocol.text import validate_nick
from papo.transport.multicast import DEFAULT_GROUP, DEFAULT_PORT, DEFAULT_TTL, MulticastConfig


def add_multicast_options(parser: argparse.ArgumentParser, lang: str) -> None:
    """``--group --port --ttl --interface``, shared by every multicast command."""
    pt = lang == "pt"
    parser.add_argument(
        "--group",
        default=DEFAULT_GROUP,
        help=(
            "grupo multicast (padrão: %(default)s)"
            if pt
            else "multicast group (default: %(default)s)"
        ),
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=("porta UDP (padrão: %(default)s)" if pt else "UDP port (default: %(default)s)"),
    )
    parser.add_argument(
        "--ttl",
        type=int,
        default=DEFAULT_TTL,
        help=(
            "saltos de roteador (padrão: %(default)s = só a rede local)"
            if pt
            else "router hops (default: %(default)s = local network only)"
        ),
    )
    parser.add_argument(
        "--interface",
        "-i",
        default=None,
        help=(
            "interface de rede: nome (eth0) ou endereço IP (padrão: a do sistema)"
            if pt
            else "network interface: name (eth0) or IP address (default: the system's)"
        ),
    )


def multicast_config(args: argparse.Namespace) -> MulticastConfig:
    """The validated multicast settings from parsed arguments (raises ConfigError)."""
    return MulticastConfig(
        group=args.group, port=args.port, ttl=args.ttl, interface=args.interface
    ).validated()


def _handout_settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """``(config, nick, seal)`` of a sender or receiver, all checked."""
    nick = validate_nick(args.nick)
    config = multicast_config(args)
    return config, nick, seal_from_args(args, config.group, config.port)


def _run_send(args: argparse.Namespace) -> int:
    from papo.ui.handout import run_sender

    config, nick, seal = _handout_settings(args)
    return run_sender(config, nick, args.lang, seal=seal)


def _run_receive(args: argparse.Namespace) -> int:
    from papo.ui.handout import run_receiver

    config, nick, seal = _handout_settings(args)
    return run_receiver(config, nick, args.lang, seal=seal)


def register(subparsers: argparse._SubParsersAction, lang: str) -> None:  # type: ignore[type-arg]
    """Add ``send`` and ``receive`` with their handout (pt-BR) and English aliases."""
    pt = lang == "pt"
    roles = [
        (
            "send",
            ["emissor", "sender"],
            "emissor multicast: envia cada linha digitada até 'sair'"
            if pt
            else "multicast sender: sends each typed line until 'sair'",
            _run_send,
        ),
        (
            "receive",
            ["receptor", "receiver"],
            "receptor multicast: mostra as mensagens do grupo até alguém digitar 'sair'"
            if pt
            else "multicast receiver: shows the group's messages until someone types 'sair'",
            _run_receive,
        ),
    ]
    for name, aliases, help_text, handler in roles:
        parser = subparsers.add_parser(name, aliases=aliases, help=help_text)
        parser.add_argument(
            "nick",
            metavar="NOME" if pt else "NICK",
            help="seu nome no chat" if pt else "your name in the chat",
        )
        add_multicast_options(parser, lang)
        add_passphrase_option(parser, lang)
        parser.set_defaults(handler=handler)
