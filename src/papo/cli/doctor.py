"""``papo doctor``: explains in plain words why this machine cannot see other papo nodes."""

from __future__ import annotations

import argparse

from papo.cli.options import seconds_type
from papo.discovery.doctor import DOCTOR_LISTEN_SECONDS

_seconds = seconds_type(60)


def _run(args: argparse.Namespace) -> int:
    from papo.discovery.doctor import run_doctor
    from papo.ui.doctor import print_report, print_title

    print_title(args.listen, args.lang)
    report = run_doctor(args.interface, seconds=args.listen)
    print_report(report, args.lang)
    return 0 if report.healthy else 1


def register(subparsers: argparse._SubParsersAction, lang: str) -> None:  # type: ignore[type-arg]
    """Add ``doctor`` (alias ``diagnostico``)."""
    pt = lang == "pt"
    doctor = subparsers.add_parser(
        "doctor",
        aliases=["diagnostico"],
        help=(
            "explica por que você não vê ninguém na rede e o que fazer"
            if pt
            else "explain why you cannot see anyone on the network, and what to do"
        ),
    )
    doctor.add_argument(
        "--interface",
        "-i",
        default=None,
        help=(
            "testa só esta interface (nome, índice ou IP)"
            if pt
            else "check only this interface (name, index or IP)"
        ),
    )
    doctor.add_argument(
        "--listen",
        type=_seconds,
        default=DOCTOR_LISTEN_SECONDS,
        metavar="S",
        help=(
            "segundos ouvindo outros papo (padrão: %(default)s)"
            if pt
            else "seconds to listen for other papo nodes (default: %(default)s)"
        ),
    )
    doctor.set_defaults(handler=_run)
