"""Where the passphrase comes from: --senha VALUE, --senha alone (asked), or PAPO_SENHA."""

from __future__ import annotations

import pytest

from papo.cli import build_parser
from papo.cli import passphrase as passphrase_module
from papo.cli.passphrase import passphrase_from_args, passphrase_given


def parse(*words: str):
    return build_parser("en").parse_args(["receive", "bia", *words])


def test_no_option_and_no_variable_is_plain_mode(monkeypatch) -> None:
    monkeypatch.delenv("PAPO_SENHA", raising=False)
    args = parse()
    assert not passphrase_given(args)
    assert passphrase_from_args(args) is None


def test_variable_is_used_when_no_option_is_given(monkeypatch) -> None:
    monkeypatch.setenv("PAPO_SENHA", "from env")
    args = parse()
    assert passphrase_given(args)
    assert passphrase_from_args(args) == "from env"


def test_option_value_wins_over_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("PAPO_SENHA", "from env")
    assert passphrase_from_args(parse("--senha", "typed")) == "typed"
    assert passphrase_from_args(parse("--passphrase=typed too")) == "typed too"


def test_option_without_value_asks_without_echo(monkeypatch) -> None:
    pytest.importorskip("cryptography")
    asked: list[str] = []

    def fake_getpass(prompt: str) -> str:
        asked.append(prompt)
        return "asked"

    monkeypatch.setattr(passphrase_module.getpass, "getpass", fake_getpass)
    args = parse("--senha")
    assert passphrase_given(args)
    assert passphrase_from_args(args) == "asked"
    assert asked == ["Room passphrase: "]


def test_every_multicast_command_takes_the_option() -> None:
    parser = build_parser("pt")
    for command in ("send", "emissor", "receive", "receptor", "chat"):
        args = parser.parse_args([command, "ana", "--senha", "x"])
        assert args.passphrase == "x"
