"""``papo peer NICK``: the peer-to-peer chat, client and server at once, no IP to type.

Also exports :func:`add_p2p_options` and :func:`build_mesh_transport`, which
``papo chat --p2p`` uses, so both commands take the same options.
"""

from __future__ import annotations

import argparse
import secrets

from papo.cli.options import seconds_type
from papo.cli.passphrase import add_passphrase_option, passphrase_from_args
from papo.errors import ConfigError
from papo.protocol.text import validate_nick
from papo.transport.base import ChatTransport
from papo.transport.mesh import HEARTBEAT_INTERVAL, PEER_DEADLINE, MeshConfig, parse_peer

_seconds = seconds_type(3600)


def add_p2p_options(parser: argparse.ArgumentParser, lang: str) -> None:
    """The mesh options; options the parser already has (``--interface``) are shared."""
    pt = lang == "pt"
    existing = parser._option_string_actions
    if "--room" not in existing:
        parser.add_argument(
            "--room",
            "--sala",
            metavar="SALA" if pt else "ROOM",
            help=(
                "só as mensagens desta sala (os outros nós da malha repassam o resto)"
                if pt
                else "only this room's messages (the mesh still relays the others')"
            ),
        )
    if "--interface" not in existing:
        parser.add_argument(
            "--interface",
            "-i",
            default=None,
            help=(
                "interface de rede para a descoberta: nome (eth0), índice ou IP "
                "(padrão: todas com multicast)"
                if pt
                else "network interface for discovery: name (eth0), index or IP "
                "(default: every one with multicast)"
            ),
        )
    parser.add_argument(
        "--peer",
        action="append",
        default=[],
        metavar="HOST:PORTA" if pt else "HOST:PORT",
        help=(
            "conecta também a este par (repetível); para redes onde multicast não passa "
            "(VPN, algumas redes Wi-Fi, contêineres)"
            if pt
            else "also connect to this peer (repeatable); for networks where multicast "
            "does not pass (VPNs, some Wi-Fi, containers)"
        ),
    )
    parser.add_argument(
        "--port" if "--port" not in existing else "--p2p-port",
        dest="mesh_port",
        metavar="PORTA" if pt else "PORT",
        type=int,
        default=0,
        help=(
            "porta TCP onde este nó escuta (padrão: 0 = qualquer livre)"
            if pt
            else "TCP port this node listens on (default: 0 = any free one)"
        ),
    )
    parser.add_argument(
        "--no-beacon",
        action="store_true",
        help=(
            "não usa beacons multicast para achar pares"
            if pt
            else "do not use multicast beacons to find peers"
        ),
    )
    parser.add_argument(
        "--mdns",
        action="store_true",
        help=(
            "acha pares também por mDNS/DNS-SD (_papo._tcp; precisa de papo[mdns])"
            if pt
            else "also find peers by mDNS/DNS-SD (_papo._tcp; needs papo[mdns])"
        ),
    )
    if "--senha" not in existing:
        add_passphrase_option(parser, lang)
    parser.add_argument(
        "--heartbeat",
        type=_seconds,
        default=HEARTBEAT_INTERVAL,
        metavar="S",
        help=(
            "segundos entre sinais de vida (padrão: %(default)s)"
            if pt
            else "seconds between heartbeats (default: %(default)s)"
        ),
    )
    parser.add_argument(
        "--peer-timeout",
        type=_seconds,
        default=PEER_DEADLINE,
        metavar="S",
        help=(
            "segundos sem sinal até um par ser dado como fora (padrão: %(default)s)"
            if pt
            else "seconds without a sign of life before a peer is reported gone "
            "(default: %(default)s)"
        ),
    )


def mesh_seal_from_args(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The :class:`~papo.protocol.sealed_link.LineSeal` for ``--senha``/``PAPO_SENHA``
    (slow: scrypt), or None in plain mode."""
    from papo.protocol.sealed import SENDER_ID_BYTES
    from papo.protocol.sealed_link import LineSeal

    passphrase = passphrase_from_args(args)
    if passphrase is None:
        return None
    return LineSeal.from_passphrase(passphrase, sender_id=secrets.token_bytes(SENDER_ID_BYTES))


def build_mesh_transport(args: argparse.Namespace, nick: str) -> ChatTransport:
    """The :class:`~papo.transport.mesh.MeshTransport` the parsed options describe."""
    from papo.transport.mesh import Discovery, MeshTransport

    interface = getattr(args, "interface", None)
    if interface:
        from papo.discovery.interfaces import beacon_interfaces

        beacon_interfaces(interface)  # a mistyped --interface is a one-line error now
    discoveries: list[Discovery] = []
    if not getattr(args, "no_beacon", False):
        from papo.discovery.beacon import BeaconDiscovery

        discoveries.append(BeaconDiscovery(interface))
    if getattr(args, "mdns", False):
        from papo.discovery.mdns import MdnsDiscovery, require_zeroconf

        require_zeroconf()
        discoveries.append(MdnsDiscovery(interface))
    if not discoveries and not args.peer:
        raise ConfigError("mesh_no_way_to_find_peers")
    config = MeshConfig(
        port=getattr(args, "mesh_port", 0),
        bootstrap=tuple(parse_peer(text) for text in args.peer),
        heartbeat_interval=args.heartbeat,
        peer_deadline=args.peer_timeout,
    ).validated()
    return MeshTransport(
        nick,
        config,
        discoveries=discoveries,
        seal=mesh_seal_from_args(args),
        room=getattr(args, "room", None),
    )


def _run(args: argparse.Namespace) -> int:
    from papo.ui.chat import run_chat

    nick = validate_nick(args.nick)
    transport = build_mesh_transport(args, nick)
    mode = "json" if args.json else "plain" if args.plain else "auto"
    return run_chat(transport, nick, args.lang, mode=mode)


def register(subparsers: argparse._SubParsersAction, lang: str) -> None:  # type: ignore[type-arg]
    """Add ``peer`` (alias ``par``)."""
    pt = lang == "pt"
    peer = subparsers.add_parser(
        "peer",
        aliases=["par", "p2p"],
        help=(
            "chat P2P: cliente e servidor ao mesmo tempo, acha os pares sozinho"
            if pt
            else "P2P chat: client and server at once, finds its peers by itself"
        ),
    )
    peer.add_argument(
        "nick",
        metavar="APELIDO" if pt else "NICK",
        help="seu apelido no chat" if pt else "your nick in the chat",
    )
    output = peer.add_mutually_exclusive_group()
    output.add_argument(
        "--plain",
        action="store_true",
        help=(
            "modo linha: uma mensagem por linha (padrão fora de um terminal)"
            if pt
            else "line mode: one message per line (default outside a terminal)"
        ),
    )
    output.add_argument(
        "--json",
        action="store_true",
        help=(
            "mostra eventos e mensagens como linhas JSON, para outros programas"
            if pt
            else "print events and messages as JSON lines, for other programs"
        ),
    )
    add_p2p_options(peer, lang)
    peer.set_defaults(handler=_run)
