"""``papo tcp servidor|cliente NOME``: the handout's 1:1 TCP chat (§1), both roles."""

from __future__ import annotations

import argparse

from papo.cli.options import (
    add_host_option,
    add_lang_option,
    add_port_option,
    likely_holder,
    usage_handler,
)
from papo.errors import NetworkError
from papo.protocol.room import DEFAULT_ROOM_PORT
from papo.protocol.text import validate_nick
from papo.transport.multicast import check_port
from papo.transport.tcp_pair import DEFAULT_CHAT_PORT, DEFAULT_CLIENT_HOST, DEFAULT_SERVER_HOST


def _run(args: argparse.Namespace) -> int:
    from papo.session.pair import Role
    from papo.ui.pair import PairOptions, run_pair

    name = validate_nick(args.name)
    options = PairOptions(host=args.host, port=check_port(args.port), framed=args.framed)
    try:
        return run_pair(Role(args.role), name, options, args.lang)
    except NetworkError as exc:
        clearer = likely_holder(exc, options.port, DEFAULT_ROOM_PORT, "address_in_use_by_room")
        if clearer is None:
            raise
        raise clearer from exc


def _add_options(parser: argparse.ArgumentParser, pt: bool, server: bool) -> None:
    parser.add_argument(
        "name", metavar="NOME" if pt else "NAME", help="seu nome no chat" if pt else "your name"
    )
    host = DEFAULT_SERVER_HOST if server else DEFAULT_CLIENT_HOST
    add_host_option(parser, pt, default=host, listen=server)
    add_port_option(parser, pt, default=DEFAULT_CHAT_PORT)
    parser.add_argument(
        "--moderno",
        "--framed",
        dest="framed",
        action="store_true",
        help=(
            "JSON do papo, uma linha por mensagem, os dois lados digitam quando quiserem "
            "(o outro lado também precisa de --moderno)"
            if pt
            else "papo JSON, one line per message, both sides type any time "
            "(the other side needs --framed too)"
        ),
    )
    add_lang_option(parser, pt)


def register(subparsers: argparse._SubParsersAction, lang: str) -> None:  # type: ignore[type-arg]
    """Add ``tcp`` with its ``servidor``/``server`` and ``cliente``/``client`` roles."""
    pt = lang == "pt"
    tcp = subparsers.add_parser(
        "tcp",
        help=(
            "chat TCP 1:1 do roteiro (§1): nomes, depois um de cada vez; 'fim' encerra"
            if pt
            else "the handout's 1:1 TCP chat (§1): names, then one at a time; 'fim' ends"
        ),
    )
    roles = tcp.add_subparsers(dest="role_word", metavar="PAPEL" if pt else "ROLE")
    server = roles.add_parser(
        "servidor",
        aliases=["server"],
        help="espera um cliente e conversa" if pt else "wait for one client and chat",
    )
    _add_options(server, pt, server=True)
    server.set_defaults(handler=_run, role="server")
    client = roles.add_parser(
        "cliente",
        aliases=["client"],
        help="conecta a um servidor e conversa" if pt else "connect to a server and chat",
    )
    _add_options(client, pt, server=False)
    client.set_defaults(handler=_run, role="client")
    tcp.set_defaults(handler=usage_handler(tcp))
