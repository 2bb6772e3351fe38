"""`papo peer` and `papo doctor` argument handling: one clear line for every bad setting."""

from __future__ import annotations

import sys

import pytest

from papo.cli import build_parser, main
from papo.cli.peer import build_mesh_transport
from papo.transport.base import ChatTransport
from papo.transport.mesh import MeshTransport


def parse(*argv: str):  # type: ignore[no-untyped-def]
    return build_parser("en").parse_args(["peer", *argv])


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--peer", "nope"], "invalid peer address 'nope'"),
        (["--peer", "10.0.0.1:99999"], "invalid peer address"),
        (["--no-beacon"], "no way to find peers"),
        (["--heartbeat", "5", "--peer-timeout", "2"], "must be longer than the heartbeat"),
        (["--interface", "nosuch0"], "unknown interface 'nosuch0'"),
    ],
)
def test_bad_setting_is_one_line_and_exit_code_2(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--lang", "en", "peer", "ana", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert needle in err


def test_missing_zeroconf_is_one_line_saying_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "zeroconf", None)  # import zeroconf -> ImportError
    assert main(["--lang", "en", "peer", "ana", "--mdns"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "pip install 'papo[mdns]'" in err


def test_options_build_a_mesh_transport_with_bootstrap_and_fast_heartbeats() -> None:
    args = parse("ana", "--peer", "10.0.0.2:4000", "--heartbeat", "0.5", "--peer-timeout", "2")
    transport = build_mesh_transport(args, "ana")
    assert isinstance(transport, MeshTransport) and isinstance(transport, ChatTransport)
    assert transport.config.bootstrap == (("10.0.0.2", 4000),)
    assert (transport.config.heartbeat_interval, transport.config.peer_deadline) == (0.5, 2.0)


def test_chat_takes_the_p2p_options_without_clashing_with_multicast_ones() -> None:
    args = build_parser("en").parse_args(
        ["chat", "ana", "--p2p", "--port", "5007", "--p2p-port", "4100", "--peer", "h:1"]
    )
    assert (args.port, args.mesh_port, args.peer) == (5007, 4100, ["h:1"])
    transport = build_mesh_transport(args, "ana")
    assert transport.config.port == 4100


def test_doctor_and_peer_have_portuguese_help() -> None:
    parser = build_parser("pt")
    help_text = parser.format_help()
    assert "doctor" in help_text and "peer" in help_text


def test_every_p2p_command_in_the_readme_is_accepted() -> None:
    import shlex

    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## P2P: no server, no IP to type", 1)[1].split("```")[1]
    commands = [line.split("#", 1)[0].strip() for line in section.strip().splitlines()]
    assert len(commands) >= 5
    for command in commands:
        words = shlex.split(command)
        assert words[0] == "papo"
        build_parser("en").parse_args(words[1:])
