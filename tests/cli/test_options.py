"""The options several commands share are one definition, parsed the same everywhere."""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest

from papo.cli import build_parser
from papo.cli.options import likely_holder, seconds_type, usage_handler
from papo.errors import NetworkError


def test_seconds_type_accepts_a_number_up_to_its_maximum() -> None:
    assert seconds_type(60)("60") == 60.0
    assert seconds_type(60)("0.5") == 0.5


@pytest.mark.parametrize("text", ["0", "-1", "61", "nan", "soon"])
def test_seconds_type_refuses_what_is_not_a_positive_number_within_its_maximum(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        seconds_type(60)(text)


def test_command_without_its_action_prints_usage_and_exits_2() -> None:
    parser = argparse.ArgumentParser(prog="papo json")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert usage_handler(parser)(argparse.Namespace()) == 2
    assert out.getvalue().startswith("usage: papo json")


@pytest.mark.parametrize(
    ("argv", "host", "port"),
    [
        (["tcp", "servidor", "bia"], "0.0.0.0", 5050),
        (["tcp", "cliente", "ana"], "127.0.0.1", 5050),
        (["json", "servidor"], "0.0.0.0", 12345),
        (["json", "enviar", "--nome", "a", "--idade", "1", "--email", "e"], "127.0.0.1", 12345),
    ],
)
def test_server_listens_everywhere_and_client_dials_this_machine_by_default(
    argv: list[str], host: str, port: int
) -> None:
    args = build_parser("pt").parse_args(argv)
    assert (args.host, args.port) == (host, port)


@pytest.mark.parametrize("command", [["connect", "host", "ana"], ["nats", "ana"]])
def test_plain_and_json_output_cannot_be_asked_together(command: list[str]) -> None:
    parser = build_parser("en")
    assert parser.parse_args([*command, "--json"]).json
    err = io.StringIO()
    with pytest.raises(SystemExit), contextlib.redirect_stderr(err):
        parser.parse_args([*command, "--plain", "--json"])
    assert "not allowed with argument" in err.getvalue()


def test_likely_holder_is_named_only_for_address_in_use_on_its_default_port() -> None:
    taken = NetworkError("address_in_use", port=5050)
    clearer = likely_holder(taken, 5050, 5050, "address_in_use_by_room")
    assert clearer is not None
    assert (clearer.code, clearer.details) == ("address_in_use_by_room", {"port": 5050})
    assert likely_holder(taken, 5050, 6000, "address_in_use_by_room") is None
    refused = NetworkError("connect_refused", address="127.0.0.1:5050")
    assert likely_holder(refused, 5050, 5050, "address_in_use_by_room") is None
