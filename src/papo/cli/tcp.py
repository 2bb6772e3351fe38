"""``papo tcp servidor|cliente NOME``: the handout's 1:1 TCP chat (§1), both roles."""

from __future__ import annotations

import argparse

from papo.i18n import LANGUAGES
from papo.protocol.text import validate_nick
from papo.transport.multicast import check_port
from papo.transport.tcp_pair import DEFAULT_CHAT_PORT, DEFAULT_CLIENT_HOST, DEFAULT_SERVER_HOST


def _run(args: argparse.Namespace) -> int:
    from papo.session.pair import Role
    from papo.ui.pair import PairOptions, run_pair

    name = validate_nick(args.name)
    role = Role(args.role)
    host = args.host
    if host is None:
        host = DEFAULT_SERVER_HOST if role == Role.SERVER else DEFAULT_CLIENT_HOST
    options = PairOptions(host=host, port=check_port(args.port), framed=args.framed)
    return run_pair(role, name, options, args.lang)


def _add_options(parser: argparse.ArgumentParser, pt: bool, server: bool) -> None:
    parser.add_argument(
        "name", metavar="NOME" if pt else "NAME", help="seu nome no chat" if pt else "your name"
    )
    if server:
        host_help = (
            f"endereço onde escutar (padrão: {DEFAULT_SERVER_HOST} = todas as interfaces)"
            if pt
            else f"address to listen on (default: {DEFAULT_SERVER_HOST} = every interface)"
        )
    else:
        host_help = (
            f"endereço do servidor (padrão: {DEFAULT_CLIENT_HOST})"
            if pt
            else f"the server's address (default: {DEFAULT_CLIENT_HOST})"
        )
    parser.add_argument("--host", default=None, help=host_help)
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_CHAT_PORT,
        help="porta TCP (padrão: %(default)s)" if pt else "TCP port (default: %(default)s)",
    )
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
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=argparse.SUPPRESS,
        help=(
            "idioma das mensagens (padrão: o do sistema)"
            if pt
            else "message language (default: from the locale)"
        ),
    )


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
    tcp.set_defaults(handler=lambda args: _usage(tcp))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage()
    return 2
