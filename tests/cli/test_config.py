"""The configuration file: per-command defaults that the command line overrides."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from conftest import PAPO, free_tcp_port

from papo.cli import build_parser, main
from papo.cli.config import (
    MAX_CONFIG_BYTES,
    apply_settings,
    default_config_path,
    load_settings,
)
from papo.errors import ConfigError


def parsed(tmp_path: Path, text: str, argv: list[str]) -> argparse.Namespace:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    parser = build_parser("en")
    apply_settings(load_settings(path), parser)
    return parser.parse_args(argv)


def refused(tmp_path: Path, text: str | bytes) -> ConfigError:
    path = tmp_path / "config.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        apply_settings(load_settings(path), build_parser("en"))
    return caught.value


def test_a_table_gives_its_command_defaults(tmp_path: Path) -> None:
    text = '[chat]\nnick = "ana"\nserver = "127.0.0.1:6000"\nidentity = true\n'
    args = parsed(tmp_path, text, ["chat"])
    assert (args.nick, args.server, args.identity) == ("ana", "127.0.0.1:6000", True)


def test_the_command_line_wins_over_the_file(tmp_path: Path) -> None:
    text = '[chat]\nnick = "ana"\nport = 6000\n'
    args = parsed(tmp_path, text, ["chat", "bia", "--port", "7000"])
    assert (args.nick, args.port) == ("bia", 7000)


def test_an_alias_names_the_same_command_and_values_are_converted(tmp_path: Path) -> None:
    args = parsed(tmp_path, "[servidor]\nport = 6001\n", ["serve"])
    assert args.port == 6001
    assert parsed(tmp_path, '[serve]\nport = "6002"\n', ["serve"]).port == 6002


def test_without_a_file_nothing_changes(tmp_path: Path) -> None:
    parser = build_parser("en")
    apply_settings(load_settings(tmp_path / "absent.toml"), parser)
    assert parser.parse_args(["serve"]).port == build_parser("en").parse_args(["serve"]).port


@pytest.mark.parametrize(
    ("text", "code", "shown"),
    [
        ("[chta]\nnick = 'ana'\n", "config_unknown_key", "chat"),
        ("[chat]\nnik = 'ana'\n", "config_unknown_key", "nick"),
        ("colour = 'red'\n", "config_unknown_key", "lang"),
        ("[serve]\nport = 'many'\n", "config_bad_value", "many"),
        ("[chat]\nidentity = 'yes'\n", "config_bad_value", "true | false"),
        ("[serve]\nport = [1, 2]\n", "config_bad_value", "port"),
        ("[serve]\nport = 1.5e400\n", "config_bad_value", "port"),
        ("lang = 'fr'\n", "config_bad_value", "pt | en"),
        ("[chat]\nsenha = 'segredo'\n", "config_secret_refused", "senha"),
        ("[chat\nnick = 'ana'\n", "config_bad_toml", "line 1"),
        ("[chat]\nnick = 'ana\x1b[31m'\n", "config_bad_toml", "config.toml"),
    ],
)
def test_a_bad_file_is_one_clear_error(tmp_path: Path, text: str, code: str, shown: str) -> None:
    error = refused(tmp_path, text)
    assert error.code == code
    assert shown in " ".join(str(value) for value in error.details.values())


def test_a_file_that_is_not_utf8_or_too_big_is_refused(tmp_path: Path) -> None:
    assert refused(tmp_path, b"lang = '\xff'\n").code == "config_bad_toml"
    assert refused(tmp_path, b"#" * (MAX_CONFIG_BYTES + 1)).code == "config_too_big"


def test_the_file_is_found_in_xdg_config_home_or_papo_config(tmp_path: Path) -> None:
    xdg = {"XDG_CONFIG_HOME": str(tmp_path)}
    assert default_config_path(xdg) == tmp_path / "papo" / "config.toml"
    assert default_config_path({**xdg, "PAPO_CONFIG": "/etc/x.toml"}) == Path("/etc/x.toml")
    assert default_config_path({**xdg, "PAPO_CONFIG": ""}) is None


def test_main_prints_one_line_in_the_configured_language_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("lang = 'pt'\n[serve]\nprot = 1\n", encoding="utf-8")
    monkeypatch.setenv("PAPO_CONFIG", str(path))
    assert main(["serve"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error
    assert "prot" in error and "port" in error


def test_the_configured_language_is_used_for_help(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("lang = 'pt'\n", encoding="utf-8")
    monkeypatch.setenv("PAPO_CONFIG", str(path))
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "Chat para redes locais" in capsys.readouterr().out


def test_a_real_server_listens_on_the_port_its_config_file_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_process
) -> None:
    port = free_tcp_port()
    path = tmp_path / "config.toml"
    path.write_text(f'[serve]\nhost = "127.0.0.1"\nport = {port}\n', encoding="utf-8")
    monkeypatch.setenv("PAPO_CONFIG", str(path))
    server = run_process([*PAPO, "serve"])
    server.wait_for(f"127.0.0.1:{port}", 15)
