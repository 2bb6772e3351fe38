"""An argument parser that speaks the user's language, errors and usage included.

argparse writes its own words (``usage:``, ``error:``, "the following arguments are
required") in English whatever the locale, and Python ships no translations for them.
The handout's students read Portuguese, so :class:`LocalizedParser` translates what
argparse says: the usage prefix, the section titles, ``-h``'s help, and its error
messages (matched by their English templates; one it does not know stays English rather
than being lost). Every subcommand's parser is one too.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
from typing import Any, NoReturn

#: argparse's error messages (as it formats them) and their Portuguese forms.
PT_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), replacement)
    for pattern, replacement in (
        (r"the following arguments are required: (.*)", r"faltam argumentos: \1"),
        (
            r"argument (.+?): invalid choice: (.+?) \(choose from (.*)\)",
            r"argumento \1: \2 não é uma opção (escolha entre \3)",
        ),
        (r"argument (.+?): invalid \w+ value: (.*)", r"argumento \1: valor inválido \2"),
        (r"argument (.+?): expected one argument", r"argumento \1: falta o valor"),
        (r"argument (.+?): expected at least one argument", r"argumento \1: falta o valor"),
        (r"argument (.+?): expected at most one argument", r"argumento \1: valores demais"),
        (r"argument (.+?): not allowed with argument (.*)", r"argumento \1: não vale junto com \2"),
        (r"argument (.+?): ignored explicit argument (.*)", r"argumento \1: não leva valor (\2)"),
        (r"unrecognized arguments: (.*)", r"argumentos desconhecidos: \1"),
        (r"one of the arguments (.*) is required", r"use um destes argumentos: \1"),
        (r"ambiguous option: (.*) could match (.*)", r"opção ambígua: \1 pode ser \2"),
    )
)

#: Words of argparse's help screens, in Portuguese.
PT_WORDS = {
    "usage": "uso: ",
    "positionals": "argumentos",
    "options": "opções",
    "help": "mostra esta ajuda e sai",
    "error": "erro",
}


def translate_error(message: str, lang: str) -> str:
    """argparse's error ``message`` in ``lang`` (unchanged if unknown or English)."""
    if lang != "pt":
        return message
    for pattern, replacement in PT_ERRORS:
        match = pattern.fullmatch(message)
        if match is not None:
            return match.expand(replacement)
    return message


class LocalizedParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose own words are in ``lang``."""

    def __init__(self, *args: Any, lang: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lang = lang
        if lang == "pt":
            self._positionals.title = PT_WORDS["positionals"]
            self._optionals.title = PT_WORDS["options"]
            for action in self._actions:
                if isinstance(action, argparse._HelpAction):
                    action.help = PT_WORDS["help"]

    def add_subparsers(self, **kwargs: Any) -> argparse._SubParsersAction:  # type: ignore[type-arg]
        """Subcommands get parsers in the same language."""
        kwargs.setdefault("parser_class", functools.partial(LocalizedParser, lang=self.lang))
        return super().add_subparsers(**kwargs)

    def format_usage(self) -> str:
        """The usage line, prefixed in ``lang``."""
        return self._localized(super().format_usage())

    def format_help(self) -> str:
        """The help screen, its usage prefix in ``lang``."""
        return self._localized(super().format_help())

    def error(self, message: str) -> NoReturn:
        """Print the usage and the error in ``lang``, then exit with code 2."""
        self.print_usage(sys.stderr)
        word = PT_WORDS["error"] if self.lang == "pt" else "error"
        self.exit(2, f"{self.prog}: {word}: {translate_error(message, self.lang)}\n")

    def _localized(self, text: str) -> str:
        if self.lang != "pt" or not text.startswith("usage: "):
            return text
        # argparse aligns the usage's wrapped lines under "usage: "; keep them aligned
        # under the shorter "uso: ".
        shift = len("usage: ") - len(PT_WORDS["usage"])
        usage, blank, rest = text.partition("\n\n")
        first, *wrapped = usage.split("\n")
        lines = [PT_WORDS["usage"] + first.removeprefix("usage: ")]
        lines += [line[shift:] if line.startswith(" " * shift) else line for line in wrapped]
        return "\n".join(lines) + blank + rest


__all__ = ["PT_ERRORS", "PT_WORDS", "LocalizedParser", "translate_error"]
