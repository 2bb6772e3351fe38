"""``papo serve`` (``servidor``) and ``papo connect`` (``conectar``): the multi-user TCP room."""

from __future__ import annotations

import argparse

from papo.errors import ConfigError
from papo.protocol.room import DEFAULT_ROOM_PORT
from papo.protocol.text import terminal_safe, validate_nick

#: Where ``papo serve`` listens unless told otherwise: this machine only. Use
#: ``--host 0.0.0.0`` (IPv4), ``::`` (IPv6) or ``'*'`` (both) to open it to the network.
DEFAULT_HOST = "127.0.0.1"


def parse_address(text: str) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT`` or ``[V6]:PORT`` -> (host, port); ConfigError if malformed."""
    host, port_text = text, ""
    if text.startswith("["):
        host, closing, rest = text[1:].partition("]")
        if not closing or (rest and not rest.startswith(":")):
            raise ConfigError("room_bad_address", address=terminal_safe(text[:100]))
        port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    if not host or (port_text and not port_text.isdigit()):
        raise ConfigError("room_bad_address", address=terminal_safe(text[:100]))
    port = int(port_text) if port_text else DEFAULT_ROOM_PORT
    if not 1 <= port <= 65535:
        raise ConfigError("bad_port", port=port)
    return host, port


def _run_serve(args: argparse.Namespace) -> int:
    from papo.transport.tcp_server import RoomServerConfig
    from papo.ui.server import run_server

    if not 0 <= args.port <= 65535:
        raise ConfigError("bad_port", port=args.port)
    return run_server(RoomServerConfig(host=args.host, port=args.port), args.lang)


def _run_connect(args: argparse.Namespace) -> int:
    from papo.transport.tcp_client import TcpRoomClient
    from papo.ui.chat import run_chat

    host, port = parse_address(args.server)
    nick = validate_nick(args.nick)
    mode = "json" if args.json else "plain" if args.plain else "auto"
    return run_chat(TcpRoomClient(host, port, nick), nick, args.lang, mode=mode)


def register(subparsers: argparse._SubParsersAction, lang: str) -> None:  # type: ignore[type-arg]
    """Add ``serve`` (alias ``servidor``) and ``connect`` (alias ``conectar``)."""
    pt = lang == "pt"
    serve = subparsers.add_parser(
        "serve",
        aliases=["servidor"],
        help=(
            "servidor de sala de chat TCP para muitos usuários"
            if pt
            else "multi-user TCP chat room server"
        ),
    )
    serve.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=(
            "endereço onde ouvir (padrão: %(default)s = só esta máquina; "
            "0.0.0.0 abre para a rede em IPv4, :: em IPv6, '*' nos dois)"
            if pt
            else "address to listen on (default: %(default)s = this machine only; "
            "0.0.0.0 opens it to the network over IPv4, :: over IPv6, '*' over both)"
        ),
    )
    serve.add_argument(
        "--port",
        type=int,
        default=DEFAULT_ROOM_PORT,
        help="porta TCP (padrão: %(default)s)" if pt else "TCP port (default: %(default)s)",
    )
    serve.set_defaults(handler=_run_serve)

    connect = subparsers.add_parser(
        "connect",
        aliases=["conectar"],
        help=("entra na sala de um `papo serve`" if pt else "join the room of a `papo serve`"),
    )
    connect.add_argument(
        "server",
        metavar="HOST[:PORTA]" if pt else "HOST[:PORT]",
        help=(
            f"o servidor (porta padrão {DEFAULT_ROOM_PORT})"
            if pt
            else f"the server (default port {DEFAULT_ROOM_PORT})"
        ),
    )
    connect.add_argument(
        "nick", metavar="APELIDO" if pt else "NICK", help="seu apelido" if pt else "your nick"
    )
    output = connect.add_mutually_exclusive_group()
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
    connect.set_defaults(handler=_run_connect)
