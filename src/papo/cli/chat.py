"""``papo chat [NICK]`` (and ``papo`` alone): the everyday chat window.

The room is the multicast group by default (no server, no address to type);
``--server HOST[:PORT]`` joins a TCP room and ``--p2p`` a peer-to-peer mesh.
Transports and the terminal UI are imported only when used, so ``multicast.py``
still runs with the standard library alone.

Every chat keeps a local history (``--history FILE``, default ``$PAPO_HISTORY`` or
``$XDG_DATA_HOME/papo/history.sqlite3``; ``--no-history`` keeps none), under a room
name per transport (:func:`room_name`): ``GROUP:PORT`` for the multicast room,
``HOST:PORT`` for a server, :data:`P2P_ROOM` for the mesh, the room for NATS.
"""

from __future__ import annotations

import argparse
import getpass
from dataclasses import replace
from typing import TYPE_CHECKING

from papo.cli.multicast import add_multicast_options, multicast_config
from papo.cli.options import add_history_file_options
from papo.cli.passphrase import add_passphrase_option, passphrase_given, seal_from_args
from papo.cli.room import add_tls_client_options, tls_from_args, tls_requested
from papo.cli.server_choice import server_address
from papo.errors import ConfigError
from papo.protocol.rooms import check_room_name, room_group
from papo.protocol.text import terminal_safe, validate_nick
from papo.transport.base import ChatTransport
from papo.transport.multicast import DEFAULT_GROUP, MulticastConfig

if TYPE_CHECKING:
    from papo.protocol.nickkeys import NickIdentity
    from papo.session.identity import NickOwnership

#: The TCP port of a papo room server when ``--server`` names only the host.
DEFAULT_SERVER_PORT = 5050

#: The history room name of the peer-to-peer mesh (one mesh, one room).
P2P_ROOM = "p2p-mesh"

#: The command ``papo`` runs when given no command.
DEFAULT_COMMAND = "chat"


def login_nick() -> str:
    """The login name as a nick, or ConfigError telling the user to give one."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = ""
    try:
        return validate_nick(name)
    except ConfigError:
        raise ConfigError("chat_bad_login_nick", nick=terminal_safe(name[:64])) from None


def parse_server(text: str) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT``, ``[v6]:PORT`` -> (host, port); ConfigError if malformed."""
    host, port_text = text, ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    if not host or (port_text and not port_text.isdigit()):
        raise ConfigError("chat_bad_server", server=terminal_safe(text[:100]))
    port = int(port_text) if port_text else DEFAULT_SERVER_PORT
    if not 1 <= port <= 65535:
        raise ConfigError("bad_port", port=port)
    return host, port


def _peer_module():  # type: ignore[no-untyped-def]
    """The P2P command module if this installation has it (a sibling feature)."""
    try:
        from papo.cli import peer
    except ImportError:
        return None
    if hasattr(peer, "add_p2p_options") and hasattr(peer, "build_mesh_transport"):
        return peer
    return None


def build_transport(
    args: argparse.Namespace, nick: str, identity: NickIdentity | None = None
) -> ChatTransport:
    """The transport the flags ask for: TCP room, P2P mesh, NATS, or the multicast room.

    With an ``identity`` (``--identity``) every transport signs what this user sends.
    """
    transport = _unsigned_transport(args, nick, identity is not None)
    if identity is not None:
        from papo.session.identity import MessageSigner

        transport.sign_with(MessageSigner(identity))  # type: ignore[attr-defined]
    return transport


def _unsigned_transport(args: argparse.Namespace, nick: str, signing: bool) -> ChatTransport:
    """The transport for the flags; ``signing``: leave room for the signature too."""
    if getattr(args, "server", None) and getattr(args, "p2p", False):
        raise ConfigError("chat_modes_conflict")
    if not getattr(args, "server", None) and tls_requested(args):
        raise ConfigError("tls_needs_server")
    if passphrase_given(args) and getattr(args, "server", None):
        raise ConfigError("passphrase_multicast_only")
    if getattr(args, "nats", None):
        if getattr(args, "server", None) or getattr(args, "p2p", False):
            raise ConfigError("chat_modes_conflict")
        if passphrase_given(args):
            raise ConfigError("passphrase_multicast_only")
        from papo.cli.nats import build_nats_transport

        return build_nats_transport(args, nick)
    if getattr(args, "server", None):
        host, port = server_address(args, parse_server, tls_requested(args))
        # Found on the network: the history keeps the room under its real address.
        args.server = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            from papo.transport.tcp_client import TcpRoomClient
        except ImportError:
            raise ConfigError("chat_server_unavailable") from None
        return TcpRoomClient(
            host, port, nick, tls=tls_from_args(args), room=getattr(args, "room", None)
        )
    if getattr(args, "p2p", False):
        peer = _peer_module()
        if peer is None:
            raise ConfigError("chat_p2p_unavailable")
        return peer.build_mesh_transport(args, nick)  # type: ignore[no-any-return]
    from papo.transport.multicast_room import MulticastRoomTransport

    config = room_multicast_config(args)
    room = getattr(args, "room", None)
    seal = seal_from_args(args, config.group, config.port)
    if not signing or seal is None:
        return MulticastRoomTransport(config, nick, seal=seal, room=room)
    from papo.protocol.limits import DEFAULT_LIMITS

    # Signed and sealed parts must still fit the handout's 1024-byte datagram
    # (sign_with takes the signature's share off; this is the seal's).
    budget = DEFAULT_LIMITS.send_datagram_bytes - seal.overhead
    limits = replace(DEFAULT_LIMITS, send_datagram_bytes=budget)
    return MulticastRoomTransport(config, nick, seal=seal, limits=limits, room=room)


def room_multicast_config(args: argparse.Namespace) -> MulticastConfig:
    """The multicast settings, on the named room's own group with ``--room``."""
    config = multicast_config(args)
    room = getattr(args, "room", None)
    if room is None:
        return config
    if config.group != DEFAULT_GROUP:
        raise ConfigError("room_and_group", room=check_room_name(room), group=config.group)
    return replace(config, group=room_group(room)).validated()


def ownership_from_args(args: argparse.Namespace) -> NickOwnership | None:
    """This user's identity and pins when ``--identity`` (or ``--identity-file``) is given."""
    if not (getattr(args, "identity", False) or getattr(args, "identity_file", None)):
        return None
    from pathlib import Path

    from papo.protocol.sealed import CRYPTO_AVAILABLE

    if not CRYPTO_AVAILABLE:
        raise ConfigError("identity_crypto_missing")
    from papo.session.identity import NickOwnership
    from papo.store.nick_pins import (
        IDENTITY_FILE,
        default_keys_dir,
        load_identity_file,
        load_pins,
        save_pins,
    )

    path = Path(args.identity_file) if args.identity_file else default_keys_dir() / IDENTITY_FILE
    identity = load_identity_file(path)
    directory = path.parent
    return NickOwnership(identity, load_pins(directory), lambda pins: save_pins(directory, pins))


def room_name(args: argparse.Namespace) -> str:
    """The name this chat's messages are kept under in the local history."""
    if getattr(args, "nats", None):
        from papo.cli.nats import DEFAULT_NATS_ROOM

        return str(getattr(args, "room", None) or DEFAULT_NATS_ROOM)
    named = getattr(args, "room", None)
    where = "" if named is None else f"/{check_room_name(named)}"
    if getattr(args, "server", None):
        host, port = parse_server(args.server)
        return f"{host}:{port}{where}"
    if getattr(args, "p2p", False):
        return P2P_ROOM + where
    config = room_multicast_config(args)
    return f"{config.group}:{config.port}"


def alone_hint(args: argparse.Namespace) -> str | None:
    """What to tell a user left alone: only where nobody may mean a network problem."""
    if getattr(args, "server", None) or getattr(args, "nats", None):
        return None  # a room server's or a cluster's empty room is just empty
    return "chat_alone_p2p" if getattr(args, "p2p", False) else "chat_alone_multicast"


def run(args: argparse.Namespace) -> int:
    """Handler of ``papo chat``: pick nick, transport and mode, then run the window."""
    from papo.ui.chat import run_chat

    nick = validate_nick(args.nick) if args.nick else login_nick()
    ownership = ownership_from_args(args)
    transport = build_transport(args, nick, ownership.identity if ownership else None)
    mode = "json" if args.json else "plain" if args.plain else "auto"
    hint = alone_hint(args)
    if args.no_history:
        return run_chat(
            transport,
            nick,
            args.lang,
            mode=mode,
            scrollback=args.scrollback,
            ownership=ownership,
            alone_hint=hint,
        )
    from papo.store.history import HistoryStore, default_history_path
    from papo.transport.recorded import RecordedTransport

    try:
        store = HistoryStore(args.history or default_history_path())
    except ConfigError as error:
        if args.history:
            raise  # the file the user named: say why, do not chat without it
        # The default place is not writable (a read-only home): chat, without history.
        return run_chat(
            transport,
            nick,
            args.lang,
            mode=mode,
            scrollback=args.scrollback,
            warning=error,
            ownership=ownership,
            alone_hint=hint,
        )
    with store:
        recorded = RecordedTransport(transport, store, room_name(args), nick)
        return run_chat(
            recorded,
            nick,
            args.lang,
            mode=mode,
            history=recorded,
            scrollback=args.scrollback,
            ownership=ownership,
            alone_hint=hint,
        )


def add_history_options(parser: argparse.ArgumentParser, lang: str) -> None:
    """``--history FILE`` / ``--no-history`` and ``--scrollback N``."""
    pt = lang == "pt"
    add_history_file_options(parser, pt)
    parser.add_argument(
        "--scrollback",
        type=int,
        metavar="N",
        help=(
            "mostra as últimas N mensagens ao abrir (padrão: 10 no terminal, 0 no modo linha)"
            if pt
            else "show the last N messages on opening (default: 10 in the terminal, 0 in line mode)"
        ),
    )


def add_identity_options(parser: argparse.ArgumentParser, lang: str) -> None:
    """``--identity`` / ``--identidade`` and ``--identity-file FILE`` (nick ownership)."""
    pt = lang == "pt"
    parser.add_argument(
        "--identity",
        "--identidade",
        action="store_true",
        help=(
            "assina suas mensagens com sua chave e fixa a chave de cada apelido no primeiro "
            "uso: outro com o mesmo apelido aparece como IMPOSTOR (precisa de papo[crypto])"
            if pt
            else "sign your messages with your key and pin each nick's key on first use: "
            "someone else with the same nick shows as an IMPOSTOR (needs papo[crypto])"
        ),
    )
    parser.add_argument(
        "--identity-file",
        "--arquivo-identidade",
        metavar="ARQUIVO" if pt else "FILE",
        help=(
            "arquivo da sua chave (criado se não existir; os apelidos fixados ficam ao lado); "
            "implica --identidade"
            if pt
            else "your key file (made if missing; pinned nicks are kept next to it); "
            "implies --identity"
        ),
    )


def register(subparsers: argparse._SubParsersAction, lang: str) -> None:  # type: ignore[type-arg]
    """Add ``chat`` (alias ``bate-papo``), the default command."""
    pt = lang == "pt"
    chat = subparsers.add_parser(
        "chat",
        aliases=["bate-papo"],
        help=(
            "abre a sala de chat (padrão: multicast na rede local); é o que `papo` sozinho faz"
            if pt
            else "open the chat room (default: multicast on the local network); "
            "what `papo` alone does"
        ),
    )
    chat.add_argument(
        "nick",
        nargs="?",
        metavar="APELIDO" if pt else "NICK",
        help=(
            "seu apelido (padrão: seu nome de login)"
            if pt
            else "your nick (default: your login name)"
        ),
    )
    chat.add_argument(
        "--server",
        metavar="HOST[:PORTA]" if pt else "HOST[:PORT]",
        help=(
            f"entra na sala de um servidor TCP papo (porta padrão {DEFAULT_SERVER_PORT}; "
            "auto: procura um na rede local)"
            if pt
            else f"join the room of a papo TCP server (default port {DEFAULT_SERVER_PORT}; "
            "auto: look for one on the local network)"
        ),
    )
    chat.add_argument(
        "--room",
        "--sala",
        metavar="SALA" if pt else "ROOM",
        help=(
            "uma sala com nome: no multicast, um grupo só dela (derivado do nome); "
            "no --server, uma das salas do servidor; no --p2p, só as mensagens dela; "
            "no NATS, a sala do cluster"
            if pt
            else "a named room: on multicast, a group of its own (derived from the name); "
            "with --server, one of the server's rooms; with --p2p, only its messages; "
            "on NATS, the cluster's room"
        ),
    )
    chat.add_argument(
        "--nats",
        action="append",
        metavar="URL",
        help=(
            "entra na sala de um cluster NATS, ex. nats://host:4222 (vírgulas separam nós)"
            if pt
            else "join the room on a NATS cluster, e.g. nats://host:4222 (commas separate nodes)"
        ),
    )
    output = chat.add_mutually_exclusive_group()
    output.add_argument(
        "--plain",
        action="store_true",
        help=(
            "modo linha: uma mensagem por linha, sem cores (padrão fora de um terminal)"
            if pt
            else "line mode: one message per line, no colours (default outside a terminal)"
        ),
    )
    output.add_argument(
        "--json",
        action="store_true",
        help=(
            "mostra as mensagens recebidas como linhas JSON, para outros programas"
            if pt
            else "print received messages as JSON lines, for other programs"
        ),
    )
    add_history_options(chat, lang)
    add_tls_client_options(chat, lang)
    add_multicast_options(chat, lang)
    add_passphrase_option(chat, lang)
    add_identity_options(chat, lang)
    peer = _peer_module()
    if peer is not None:
        peer.add_p2p_options(chat, lang)
    if "--p2p" not in chat._option_string_actions:
        chat.add_argument(
            "--p2p",
            action="store_true",
            help="conversa P2P, sem servidor" if pt else "peer-to-peer chat, no server",
        )
    chat.set_defaults(handler=run)
