"""`papo chat` options, the nick from the login name, and `papo` alone opening the chat."""

from __future__ import annotations

import argparse

import pytest

from papo.cli import chat as chat_cli
from papo.cli import main
from papo.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sala.local", ("sala.local", chat_cli.DEFAULT_SERVER_PORT)),
        ("10.0.0.5:6000", ("10.0.0.5", 6000)),
        ("[::1]:7000", ("::1", 7000)),
        ("[fe80::1]", ("fe80::1", chat_cli.DEFAULT_SERVER_PORT)),
    ],
)
def test_server_address_is_parsed(text: str, expected: tuple[str, int]) -> None:
    assert chat_cli.parse_server(text) == expected


@pytest.mark.parametrize("text", ["", ":5000", "host:port", "host:99999", "[::1]:x"])
def test_bad_server_address_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError):
        chat_cli.parse_server(text)


def test_nick_defaults_to_the_login_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat_cli.getpass, "getuser", lambda: "joão")
    assert chat_cli.login_nick() == "joão"


def test_a_login_name_that_is_no_nick_asks_for_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat_cli.getpass, "getuser", lambda: "John Smith")
    with pytest.raises(ConfigError) as info:
        chat_cli.login_nick()
    assert info.value.code == "chat_bad_login_nick"


def test_papo_alone_runs_the_chat_with_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[argparse.Namespace] = []
    monkeypatch.setattr(chat_cli, "run", lambda args: seen.append(args) or 0)
    assert main([]) == 0
    assert main(["--lang", "pt"]) == 0
    first, second = seen
    assert (first.nick, first.port, first.group, first.plain, first.json) == (
        None,
        5007,
        "224.3.29.71",
        False,
        False,
    )
    assert second.lang == "pt"


def test_multicast_py_alone_still_prints_its_usage(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(chat_cli, "run", lambda args: pytest.fail("chat must not start"))
    assert main([], prog="multicast.py") == 2
    assert "python multicast.py sender NAME" in capsys.readouterr().err


def test_server_and_p2p_together_are_refused() -> None:
    args = argparse.Namespace(server="host", p2p=True)
    with pytest.raises(ConfigError) as info:
        chat_cli.build_transport(args, "ana")
    assert info.value.code == "chat_modes_conflict"


def test_a_bad_group_is_one_line_on_stderr_and_exit_code_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--lang", "en", "chat", "ana", "--group", "10.0.0.1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a multicast group address" in err


@pytest.mark.parametrize(
    ("argv", "room"),
    [
        (["chat", "ana"], "224.3.29.71:5007"),
        (["chat", "ana", "--group", "239.1.2.3", "--port", "6000"], "239.1.2.3:6000"),
        (["chat", "ana", "--server", "sala.local"], f"sala.local:{chat_cli.DEFAULT_SERVER_PORT}"),
        (["chat", "ana", "--server", "[::1]:7000"], "::1:7000"),
        (["chat", "ana", "--p2p"], chat_cli.P2P_ROOM),
        (["chat", "ana", "--nats", "nats://127.0.0.1:4222"], "geral"),
    ],
)
def test_each_transport_keeps_its_history_under_its_room_name(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], room: str
) -> None:
    seen: list[argparse.Namespace] = []
    monkeypatch.setattr(chat_cli, "run", lambda args: seen.append(args) or 0)
    assert main(argv) == 0
    assert chat_cli.room_name(seen[0]) == room
    assert (seen[0].history, seen[0].no_history, seen[0].scrollback) == (None, False, None)


def test_history_file_and_no_history_are_exclusive(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[argparse.Namespace] = []
    monkeypatch.setattr(chat_cli, "run", lambda args: seen.append(args) or 0)
    assert main(["chat", "ana", "--history", "/tmp/h.db", "--scrollback", "3"]) == 0
    assert (seen[0].history, seen[0].scrollback) == ("/tmp/h.db", 3)
    assert main(["chat", "ana", "--sem-historico"]) == 0
    assert seen[1].no_history is True
    with pytest.raises(SystemExit):
        main(["chat", "ana", "--history", "h.db", "--no-history"])


def test_help_names_the_real_scroll_back_default(capsys: pytest.CaptureFixture[str]) -> None:
    from papo.ui.chat import SCROLLBACK_LINES

    with pytest.raises(SystemExit):
        main(["--lang", "en", "chat", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"default: {SCROLLBACK_LINES} in the terminal" in help_text
