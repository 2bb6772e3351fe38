"""``papo serve`` (``servidor``) and ``papo connect`` (``conectar``): the multi-user TCP room."""

from __future__ import annotations

import argparse
import ipaddress
import socket
import ssl
from typing import TYPE_CHECKING

from papo.cli.options import add_output_options, add_port_option, likely_holder
from papo.cli.server_choice import server_address
from papo.errors import ConfigError, NetworkError
from papo.protocol.room import DEFAULT_ROOM_PORT, HISTORY_MESSAGES, MAX_HISTORY_MESSAGES
from papo.protocol.room_state import MAX_ROOMS
from papo.protocol.text import terminal_safe, validate_nick
from papo.transport.tcp_pair import DEFAULT_CHAT_PORT

if TYPE_CHECKING:
    from papo.discovery.rooms import RoomAnnouncer

#: The largest ``--max-rooms`` accepted (each room keeps its own history in memory).
MAX_ROOMS_LIMIT = 10_000

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


def add_tls_client_options(parser: argparse.ArgumentParser, lang: str) -> None:
    """Add ``--tls``, ``--tls-ca FILE`` and ``--tls-insecure`` (how to check the server)."""
    pt = lang == "pt"
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--tls",
        action="store_true",
        help=(
            "conecta com TLS e verifica o servidor pelas CAs do sistema"
            if pt
            else "connect over TLS, verifying the server against the system's CAs"
        ),
    )
    group.add_argument(
        "--tls-ca",
        metavar="ARQUIVO" if pt else "FILE",
        help=(
            "conecta com TLS e verifica o servidor por esta CA ou certificado (PEM)"
            if pt
            else "connect over TLS, verifying the server against this CA or certificate (PEM)"
        ),
    )
    group.add_argument(
        "--tls-insecure",
        action="store_true",
        help=(
            "conecta com TLS SEM verificar o servidor (só para testes)"
            if pt
            else "connect over TLS WITHOUT verifying the server (tests only)"
        ),
    )


def tls_requested(args: argparse.Namespace) -> bool:
    """True when any of ``--tls``, ``--tls-ca`` or ``--tls-insecure`` was given."""
    return bool(
        getattr(args, "tls", False)
        or getattr(args, "tls_ca", None)
        or getattr(args, "tls_insecure", False)
    )


def tls_from_args(args: argparse.Namespace) -> ssl.SSLContext | None:
    """The client TLS context the flags ask for (None: plain TCP); warns on --tls-insecure."""
    from papo.transport.tls import TlsClientOptions, client_context

    if not tls_requested(args):
        return None
    insecure = bool(getattr(args, "tls_insecure", False))
    ca_file = getattr(args, "tls_ca", None)
    if insecure:
        from papo.ui.server import print_warning

        print_warning("tls_insecure_warning", args.lang)
    return client_context(TlsClientOptions(ca_file=ca_file, insecure=insecure))


def _run_serve(args: argparse.Namespace) -> int:
    from papo.protocol.room_state import RoomRules
    from papo.transport.tcp_server import RoomServerConfig
    from papo.ui.server import run_server

    if not 0 <= args.port <= 65535:
        raise ConfigError("bad_port", port=args.port)
    if not 0 <= args.history <= MAX_HISTORY_MESSAGES:
        raise ConfigError("room_bad_history", value=args.history, max=MAX_HISTORY_MESSAGES)
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ConfigError("tls_needs_both")
    tls = None
    if args.tls_cert:
        from papo.transport.tls import server_context

        tls = server_context(args.tls_cert, args.tls_key)
    if not 0 <= args.max_rooms <= MAX_ROOMS_LIMIT:
        raise ConfigError("room_bad_max_rooms", value=args.max_rooms, max=MAX_ROOMS_LIMIT)
    config = RoomServerConfig(
        host=args.host,
        port=args.port,
        rules=RoomRules(history_messages=args.history),
        tls=tls,
        max_rooms=args.max_rooms,
    )
    try:
        return run_server(config, args.lang, announcer=_announcer(args, tls is not None))
    except NetworkError as exc:
        clearer = likely_holder(exc, args.port, DEFAULT_CHAT_PORT, "address_in_use_by_pair")
        if clearer is None:
            raise
        raise clearer from exc


def _announcer(args: argparse.Namespace, tls: bool) -> RoomAnnouncer | None:
    """The room's announcer, unless ``--no-announce`` or it listens on loopback only."""
    if args.no_announce or _loopback_only(args.host):
        return None
    from papo.discovery.rooms import RoomAnnouncer

    return RoomAnnouncer(args.name or socket.gethostname(), args.port, tls=tls)


def _loopback_only(host: str) -> bool:
    """True for addresses that only this machine reaches (nobody on the network to tell)."""
    if host.strip().casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _run_connect(args: argparse.Namespace) -> int:
    from papo.transport.tcp_client import TcpRoomClient
    from papo.ui.chat import run_chat

    host, port = server_address(args, parse_address, tls_requested(args))
    nick = validate_nick(args.nick)
    tls = tls_from_args(args)
    mode = "json" if args.json else "plain" if args.plain else "auto"
    client = TcpRoomClient(host, port, nick, tls=tls, room=args.room)
    return run_chat(client, nick, args.lang, mode=mode)


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
    add_port_option(serve, pt, default=DEFAULT_ROOM_PORT)
    serve.add_argument(
        "--history",
        type=int,
        default=HISTORY_MESSAGES,
        metavar="N",
        help=(
            "mensagens recentes mostradas a quem entra (padrão: %(default)s; 0 desliga)"
            if pt
            else "recent messages shown to whoever joins (default: %(default)s; 0 turns it off)"
        ),
    )
    serve.add_argument(
        "--tls-cert",
        metavar="ARQUIVO" if pt else "FILE",
        help=(
            "certificado do servidor (PEM, com a cadeia): a sala passa a usar TLS"
            if pt
            else "the server's certificate (PEM, with its chain): the room uses TLS"
        ),
    )
    serve.add_argument(
        "--tls-key",
        metavar="ARQUIVO" if pt else "FILE",
        help="chave privada do certificado (PEM)" if pt else "the certificate's private key (PEM)",
    )
    serve.add_argument(
        "--max-rooms",
        type=int,
        default=MAX_ROOMS,
        metavar="N",
        help=(
            "salas com nome (--room) ao mesmo tempo, no máximo (padrão: %(default)s; "
            "0: só a sala padrão)"
            if pt
            else "named rooms (--room) open at once, at most (default: %(default)s; "
            "0: the default room only)"
        ),
    )
    serve.add_argument(
        "--name",
        "--nome",
        metavar="NOME" if pt else "NAME",
        help=(
            "nome com que a sala se anuncia na rede local (padrão: o nome desta máquina)"
            if pt
            else "the name the room is announced under on the local network "
            "(default: this machine's name)"
        ),
    )
    serve.add_argument(
        "--no-announce",
        "--sem-anuncio",
        action="store_true",
        help=(
            "não anuncia a sala na rede local (quem entrar precisa do endereço); "
            "só esta máquina (--host 127.0.0.1) nunca é anunciada"
            if pt
            else "do not announce the room on the local network (people need its "
            "address); a room for this machine only (--host 127.0.0.1) is never announced"
        ),
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
            f"o servidor (porta padrão {DEFAULT_ROOM_PORT}; auto: procura um na rede local)"
            if pt
            else f"the server (default port {DEFAULT_ROOM_PORT}; auto: look for one on the "
            "local network)"
        ),
    )
    connect.add_argument(
        "nick", metavar="APELIDO" if pt else "NICK", help="seu apelido" if pt else "your nick"
    )
    connect.add_argument(
        "--room",
        "--sala",
        metavar="SALA" if pt else "ROOM",
        help=(
            "entra nesta sala do servidor (sem ela: a sala padrão)"
            if pt
            else "join this room of the server (without it: the default room)"
        ),
    )
    add_output_options(connect, pt)
    add_tls_client_options(connect, lang)
    connect.set_defaults(handler=_run_connect)
