"""``papo json servidor|enviar``: the handout's JSON record over TCP (§3)."""

from __future__ import annotations

import argparse

from papo.cli.options import add_host_option, add_lang_option, add_port_option, usage_handler
from papo.transport.multicast import check_port
from papo.transport.tcp_pair import DEFAULT_CLIENT_HOST, DEFAULT_RECORD_PORT, DEFAULT_SERVER_HOST


def _run_server(args: argparse.Namespace) -> int:
    from papo.ui.record import run_record_server

    return run_record_server(
        args.host, check_port(args.port), args.lang, once=args.once, timeout=args.timeout
    )


def _run_send(args: argparse.Namespace) -> int:
    from papo.protocol.record import record_from_text
    from papo.ui.record import run_record_client

    record = record_from_text(args.nome, args.idade, args.email)
    return run_record_client(args.host, check_port(args.port), record, args.lang)


def register(subparsers: argparse._SubParsersAction, lang: str) -> None:  # type: ignore[type-arg]
    """Add ``json`` with ``servidor``/``server`` and ``enviar``/``send``."""
    from papo.ui.record import RECORD_TIMEOUT_SECONDS

    pt = lang == "pt"
    json_parser = subparsers.add_parser(
        "json",
        help=(
            "o registro JSON do roteiro (§3): nome, idade e email por TCP"
            if pt
            else "the handout's JSON record (§3): nome, idade and email over TCP"
        ),
    )
    actions = json_parser.add_subparsers(dest="json_action", metavar="AÇÃO" if pt else "ACTION")
    server = actions.add_parser(
        "servidor",
        aliases=["server"],
        help=(
            "mostra cada registro recebido, até Ctrl-C"
            if pt
            else "show every record received, until Ctrl-C"
        ),
    )
    add_host_option(server, pt, default=DEFAULT_SERVER_HOST, listen=True)
    server.add_argument(
        "--uma-vez",
        "--once",
        dest="once",
        action="store_true",
        help=(
            "encerra depois do primeiro cliente, como o servidor do roteiro"
            if pt
            else "stop after the first client, like the handout's server"
        ),
    )
    server.add_argument(
        "--timeout",
        type=float,
        default=RECORD_TIMEOUT_SECONDS,
        help=(
            "segundos que cada cliente tem para mandar o registro (padrão: %(default)s)"
            if pt
            else "seconds each client has to send its record (default: %(default)s)"
        ),
    )
    add_port_option(server, pt, default=DEFAULT_RECORD_PORT)
    add_lang_option(server, pt)
    server.set_defaults(handler=_run_server)

    send = actions.add_parser(
        "enviar",
        aliases=["send"],
        help="envia um registro" if pt else "send one record",
    )
    send.add_argument("--nome", required=True, help="nome (texto)" if pt else "name (text)")
    send.add_argument(
        "--idade", required=True, help="idade (inteiro de 0 a 150)" if pt else "age (0 to 150)"
    )
    send.add_argument("--email", required=True, help="e-mail")
    add_host_option(send, pt, default=DEFAULT_CLIENT_HOST, listen=False)
    add_port_option(send, pt, default=DEFAULT_RECORD_PORT)
    add_lang_option(send, pt)
    send.set_defaults(handler=_run_send)
    json_parser.set_defaults(handler=usage_handler(json_parser))
