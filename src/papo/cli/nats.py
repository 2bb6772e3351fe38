"""``papo nats NICK`` (chat over a NATS cluster) and ``papo bridge`` (LAN <-> NATS).

The NATS client (the ``nats`` extra) and the terminal UI are imported only when used.
"""

from __future__ import annotations

import argparse

from papo.cli.multicast import add_multicast_options, multicast_config
from papo.cli.options import add_history_file_options, add_output_options
from papo.protocol.text import validate_nick
from papo.transport.base import ChatTransport

#: The NATS URL used when none is given.
DEFAULT_NATS_URL = "nats://127.0.0.1:4222"

#: The room joined when none is given.
DEFAULT_NATS_ROOM = "geral"

#: Messages of the room's past shown on joining, by default.
DEFAULT_REPLAY = 50


def add_nats_options(
    parser: argparse.ArgumentParser, lang: str, *, url_flag: str, replay: bool = True
) -> None:
    """``<url_flag> URL`` (repeatable: every cluster node), ``--room``, ``--replay``."""
    pt = lang == "pt"
    parser.add_argument(
        url_flag,
        dest="nats",
        action="append",
        metavar="URL",
        help=(
            f"servidor NATS, ex. {DEFAULT_NATS_URL}; repita para cada nó do cluster "
            "(failover); vírgulas também separam"
            if pt
            else f"NATS server, e.g. {DEFAULT_NATS_URL}; repeat for each cluster node "
            "(failover); commas separate too"
        ),
    )
    parser.add_argument(
        "--room",
        default=DEFAULT_NATS_ROOM,
        help=("sala (padrão: %(default)s)" if pt else "room (default: %(default)s)"),
    )
    if not replay:
        return
    parser.add_argument(
        "--replay",
        type=int,
        default=DEFAULT_REPLAY,
        help=(
            "mensagens antigas mostradas ao entrar (padrão: %(default)s)"
            if pt
            else "past messages shown on joining (default: %(default)s)"
        ),
    )


def nats_servers(args: argparse.Namespace) -> list[str]:
    """The NATS URLs given (comma-separated or repeated), or the default one."""
    given = getattr(args, "nats", None) or [DEFAULT_NATS_URL]
    return [url.strip() for item in given for url in item.split(",") if url.strip()]


def build_nats_transport(args: argparse.Namespace, nick: str) -> ChatTransport:
    """The :class:`~papo.transport.nats.NatsTransport` the parsed flags describe."""
    from papo.transport.nats import NatsTransport, import_nats

    import_nats()  # one clear line now if the extra is missing
    return NatsTransport(
        nats_servers(args),
        nick,
        getattr(args, "room", None) or DEFAULT_NATS_ROOM,
        replay=getattr(args, "replay", DEFAULT_REPLAY),
    )


def _run_chat(args: argparse.Namespace) -> int:
    from papo.store.history import HistoryStore, default_history_path
    from papo.transport.recorded import RecordedTransport
    from papo.ui.chat import run_chat

    nick = validate_nick(args.nick)
    transport = build_nats_transport(args, nick)
    mode = "json" if args.json else "plain" if args.plain else "auto"
    if args.no_history:
        return run_chat(transport, nick, args.lang, mode=mode)
    with HistoryStore(args.history or default_history_path()) as store:
        recorded = RecordedTransport(transport, store, args.room, nick)
        return run_chat(recorded, nick, args.lang, mode=mode)


def _run_bridge(args: argparse.Namespace) -> int:
    from papo.transport.bridge import MulticastNatsBridge
    from papo.transport.nats import import_nats
    from papo.ui.bridge import run_bridge

    import_nats()
    bridge = MulticastNatsBridge(multicast_config(args), nats_servers(args), args.room)
    return run_bridge(bridge, args.lang)


def register(subparsers: argparse._SubParsersAction, lang: str) -> None:  # type: ignore[type-arg]
    """Add ``nats`` (chat through a NATS cluster) and ``bridge`` (alias ``ponte``)."""
    pt = lang == "pt"
    chat = subparsers.add_parser(
        "nats",
        help=(
            "conversa numa sala de um cluster NATS (histórico pelo JetStream)"
            if pt
            else "chat in a room of a NATS cluster (history from JetStream)"
        ),
    )
    chat.add_argument(
        "nick", metavar="APELIDO" if pt else "NICK", help="seu apelido" if pt else "your nick"
    )
    add_nats_options(chat, lang, url_flag="--server")
    add_output_options(chat, pt)
    add_history_file_options(chat, pt)
    chat.set_defaults(handler=_run_chat)

    bridge = subparsers.add_parser(
        "bridge",
        aliases=["ponte"],
        help=(
            "liga a sala multicast desta rede a uma sala NATS, nos dois sentidos"
            if pt
            else "relay this network's multicast room to a NATS room and back"
        ),
    )
    add_nats_options(bridge, lang, url_flag="--nats", replay=False)
    add_multicast_options(bridge, lang)
    bridge.set_defaults(handler=_run_bridge)
