"""The configuration file: defaults for any option of any command, in TOML.

``$PAPO_CONFIG`` if set (empty: no file), else ``$XDG_CONFIG_HOME/papo/config.toml``
(``~/.config/papo/config.toml``). Top-level keys are the options every command has
(``lang``); a table per command (by its name or any alias: ``[chat]``, ``[servidor]``)
gives that command's defaults, named as the long option without dashes
(``server``, ``identity``, ``port``) or, for ``papo chat``, ``nick``::

    lang = "pt"

    [chat]
    nick = "ana"
    server = "192.168.0.10:5050"
    identity = true

What is typed on the command line always wins over the file. Each value goes through the
option's own converter and choices, so a file can say nothing a command line could not;
an unknown table or key, a wrong type or a bad value is one clear error naming the file,
never a traceback. The passphrase is refused in the file on purpose: a secret does not
belong in a plain configuration file (use ``PAPO_SENHA`` or type it).
"""

from __future__ import annotations

import argparse
import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from papo.errors import ConfigError
from papo.i18n import LANGUAGES
from papo.protocol.text import terminal_safe

#: Environment variable naming the configuration file (empty: read none).
CONFIG_PATH_VARIABLE = "PAPO_CONFIG"

#: The file's name inside ``$XDG_CONFIG_HOME/papo``.
CONFIG_FILE_NAME = "config.toml"

#: The largest configuration file read, in bytes (a settings file is a few hundred).
MAX_CONFIG_BYTES = 65_536

#: Options that may not be set from the file (secrets).
REFUSED_KEYS = frozenset({"senha", "passphrase"})

#: Top-level keys: the options every command has.
GLOBAL_KEYS = frozenset({"lang"})


@dataclass(frozen=True, slots=True)
class Settings:
    """What a configuration file says: global options and one table per command."""

    path: Path | None = None
    globals: Mapping[str, object] = field(default_factory=dict)
    commands: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    @property
    def lang(self) -> str | None:
        """The ``lang`` the file asks for, if any."""
        value = self.globals.get("lang")
        return value if isinstance(value, str) else None


def default_config_path(environ: Mapping[str, str] | None = None) -> Path | None:
    """``$PAPO_CONFIG`` (None if empty), else ``$XDG_CONFIG_HOME/papo/config.toml``."""
    env = os.environ if environ is None else environ
    if CONFIG_PATH_VARIABLE in env:
        chosen = env[CONFIG_PATH_VARIABLE]
        return Path(chosen) if chosen else None
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "papo" / CONFIG_FILE_NAME


def load_settings(path: Path | None) -> Settings:
    """The settings in ``path``; empty settings if there is no such file.

    Raises :class:`ConfigError` for a file that cannot be read or is not valid TOML.
    """
    if path is None:
        return Settings()
    where = terminal_safe(str(path))
    try:
        with path.open("rb") as file:
            data = file.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise ConfigError("config_unreadable", path=where, reason=exc.strerror or "") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError("config_too_big", path=where, max=MAX_CONFIG_BYTES)
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError("config_bad_toml", path=where, reason="UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config_bad_toml", path=where, reason=terminal_safe(str(exc))) from None
    globals_: dict[str, object] = {}
    commands: dict[str, Mapping[str, object]] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            commands[key] = value
        else:
            globals_[key] = value
    settings = Settings(path, globals_, commands)
    for key, value in globals_.items():
        if key not in GLOBAL_KEYS:
            _unknown(settings, "", key, sorted(GLOBAL_KEYS))
        if key == "lang" and value not in LANGUAGES:
            _bad_value(settings, "", key, value, f"{' | '.join(LANGUAGES)}")
    return settings


def apply_settings(settings: Settings, parser: argparse.ArgumentParser) -> None:
    """Make each command's table the defaults of its parser (the command line still wins)."""
    if not settings.commands:
        return
    subparsers = next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )
    for name, table in settings.commands.items():
        command = subparsers.choices.get(name)
        if command is None:
            _unknown(settings, "", name, sorted(subparsers.choices))
        actions = {
            action.dest: action
            for action in command._actions
            if action.dest not in (argparse.SUPPRESS, "help", "lang")
        }
        defaults: dict[str, object] = {}
        for key, value in table.items():
            dest = key.replace("-", "_")
            if key in REFUSED_KEYS or dest in REFUSED_KEYS:
                raise ConfigError("config_secret_refused", path=_where(settings), key=key)
            action = actions.get(dest)
            if action is None or action.default == argparse.SUPPRESS:
                _unknown(settings, name, key, sorted(d.replace("_", "-") for d in actions))
            defaults[dest] = _convert(settings, name, key, action, value)
        command.set_defaults(**defaults)


def _convert(
    settings: Settings, table: str, key: str, action: argparse.Action, value: object
) -> object:
    """``value`` as the option would have parsed it from the command line."""
    expected = _metavar(action)
    if action.nargs == 0:  # a flag: --identity, --p2p, --no-history
        if not isinstance(value, bool):
            _bad_value(settings, table, key, value, "true | false")
        if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction):
            return value  # the option's own value: `identity = true`, `history = false`
        return action.const if value else action.default
    values = value if isinstance(value, list) else [value]
    if not isinstance(value, list) and action.nargs in ("*", "+"):
        values = [value]
    converted = []
    for item in values:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            _bad_value(settings, table, key, item, expected)
        text = str(item)
        try:
            result = action.type(text) if callable(action.type) else text
        except (ValueError, TypeError, argparse.ArgumentTypeError, ConfigError):
            _bad_value(settings, table, key, item, expected)
        if action.choices is not None and result not in action.choices:
            _bad_value(settings, table, key, item, " | ".join(map(str, action.choices)))
        converted.append(result)
    if isinstance(action, argparse._AppendAction) or action.nargs in ("*", "+"):
        return converted
    if len(converted) != 1:
        _bad_value(settings, table, key, value, expected)
    return converted[0]


def _metavar(action: argparse.Action) -> str:
    """How the option's value is named in its help (``PORT``, ``HOST[:PORT]``)."""
    metavar = action.metavar
    if isinstance(metavar, tuple):
        return " ".join(metavar)
    return metavar or action.dest.upper()


def _where(settings: Settings) -> str:
    return terminal_safe(str(settings.path)) if settings.path else "?"


def _name(table: str, key: str) -> str:
    return terminal_safe(f"[{table}] {key}" if table else key)


def _unknown(settings: Settings, table: str, key: str, known: list[str]) -> NoReturn:
    close = difflib.get_close_matches(key, known, n=1)
    raise ConfigError(
        "config_unknown_key",
        path=_where(settings),
        key=_name(table, key),
        suggestion=close[0] if close else ", ".join(known[:12]),
    )


def _bad_value(settings: Settings, table: str, key: str, value: object, expected: str) -> NoReturn:
    raise ConfigError(
        "config_bad_value",
        path=_where(settings),
        key=_name(table, key),
        value=terminal_safe(repr(value)[:64]),
        expected=terminal_safe(str(expected)),
    )


__all__ = [
    "CONFIG_FILE_NAME",
    "CONFIG_PATH_VARIABLE",
    "GLOBAL_KEYS",
    "MAX_CONFIG_BYTES",
    "REFUSED_KEYS",
    "Settings",
    "apply_settings",
    "default_config_path",
    "load_settings",
]
