"""MkDocs hook: write the reference pages from the code at build time, so they cannot drift.

A page asks for generated text with a directive alone on a line, e.g.
``<!-- papo:commands -->``; the page's language is its top folder (``pt/`` or ``en/``).
Directives: ``commands`` (every command and option, from ``papo.cli.build_parser``),
``man`` (a man page from the same parser), ``limits`` (``papo.protocol.limits``),
``defaults`` (every other documented constant in ``src/papo``), ``decode-errors``
(the codes a decoder returns, with their texts from ``papo.i18n``), ``security``
(``SECURITY.md``, the threat model, kept in one place), ``fuzzing`` (a link to
``docs/fuzzing.md`` once it exists).
An unknown directive stops the build.
"""

from __future__ import annotations

import argparse
import ast
import functools
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
if str(SRC) not in sys.path:  # document the working tree, also when papo is not installed
    sys.path.insert(0, str(SRC))

DIRECTIVE_RE = re.compile(r"^<!-- papo:([a-z-]+) -->$", re.MULTILINE)

#: Width of the ``--help`` text shown in the pages (argparse reads COLUMNS).
HELP_COLUMNS = 88

_WORDS = {
    "pt": {
        "aliases": "Também",
        "argument": "Argumento",
        "description": "Descrição",
        "default": "Padrão",
        "usage": "Uso",
        "help": "mostra esta ajuda e sai",
        "version": "mostra a versão do programa e sai",
        "name": "Nome",
        "value": "Valor",
        "field": "Campo de `Limits`",
        "module": "Módulo",
        "code": "Código",
        "text": "Texto mostrado",
        "english_only": "(texto em inglês)",
        "no_commands": "Nenhum comando registrado.",
    },
    "en": {
        "aliases": "Also",
        "argument": "Argument",
        "description": "Description",
        "default": "Default",
        "usage": "Usage",
        "help": "show this help message and exit",
        "version": "show the program's version number and exit",
        "name": "Name",
        "value": "Value",
        "field": "`Limits` field",
        "module": "Module",
        "code": "Code",
        "text": "Text shown",
        "english_only": "",
        "no_commands": "No command registered.",
    },
}

#: Portuguese texts of documented constants, keyed ``module:NAME`` (the English text is
#: the ``#:`` comment above the constant in the code). A constant missing here is shown
#: with its English text on the Portuguese pages; tests/docs checks the limits are all here.
PT_DOCS = {
    "papo.protocol.limits:SEND_DATAGRAM_BYTES": (
        "o papo nunca envia um datagrama maior que isto, então os receptores do roteiro, "
        "com ``recvfrom(1024)``, recebem todos os bytes de toda mensagem (textos maiores "
        "são divididos em partes)."
    ),
    "papo.protocol.limits:MAX_DATAGRAM_BYTES": (
        "o maior datagrama (ou linha) que o papo aceita; os receptores do papo leem até "
        "este número de bytes."
    ),
    "papo.protocol.limits:MAX_TEXT_CHARS": (
        "o maior texto ``data`` aceito em uma mensagem recebida, em caracteres."
    ),
    "papo.protocol.limits:MAX_INPUT_CHARS": (
        "a maior linha que um usuário local pode digitar e enviar de uma vez, em caracteres."
    ),
    "papo.protocol.limits:MAX_PARTS": (
        "o máximo de datagramas em que uma linha digitada pode ser dividida."
    ),
    "papo.protocol.limits:MAX_JSON_DEPTH": (
        "o aninhamento máximo de arrays/objetos JSON aceito (o envelope em si tem profundidade 1)."
    ),
    "papo.protocol.limits:MAX_NICK_CHARS": "o maior apelido (``user``), em caracteres.",
    "papo.protocol.limits:MAX_ID_CHARS": "o maior id de mensagem ou de nó, em caracteres.",
    "papo.transport.multicast:DEFAULT_GROUP": "o grupo multicast do roteiro.",
    "papo.transport.multicast:DEFAULT_PORT": "a porta UDP do roteiro.",
    "papo.transport.multicast:DEFAULT_TTL": (
        "o TTL do roteiro: 1 salto, o datagrama não passa de nenhum roteador (só a rede local)."
    ),
    "papo.session.multicast:QUIT_WORD": (
        "a palavra de parada do roteiro: digitada em um emissor, encerra todos os receptores."
    ),
    "papo.session.multicast:MAX_TRACKED_SENDERS": (
        "quantos emissores diferentes um receptor acompanha para contar números de "
        "sequência (o mais antigo é esquecido)."
    ),
    "papo.protocol.message:PROTOCOL_VERSION": (
        "a versão do envelope do papo que este código escreve em ``v``."
    ),
}

#: English texts for constants that have no ``#:`` comment in the code.
EN_DOCS = {
    "papo.transport.multicast:DEFAULT_GROUP": "the handout's multicast group.",
    "papo.transport.multicast:DEFAULT_PORT": "the handout's UDP port.",
    "papo.transport.multicast:DEFAULT_TTL": (
        "the handout's TTL: 1 hop, the datagram crosses no router (the local network only)."
    ),
}


# --------------------------------------------------------------------------- mkdocs hook


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace each ``<!-- papo:NAME -->`` line with the text generated for it."""
    lang = page_language(page.file.src_uri)
    return expand(markdown, lang)


def on_post_template(output: str, template_name: str, config: Any) -> str:
    """Keep the default language's 404 page: the Portuguese build would overwrite it.

    Each language build writes its static templates to the same ``site/404.html``;
    mkdocs writes nothing for an empty output.
    """
    i18n = config.plugins.get("i18n")
    if template_name == "404.html" and i18n is not None and not i18n.is_default_language_build:
        return ""
    return output


def page_language(src_uri: str) -> str:
    """``pt`` for pages under ``pt/``, else ``en``."""
    return "pt" if src_uri.startswith("pt/") else "en"


def expand(markdown: str, lang: str) -> str:
    """``markdown`` with every papo directive replaced (ValueError on an unknown one)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        generator = GENERATORS.get(name)
        if generator is None:
            raise ValueError(f"unknown docs directive papo:{name}")
        return generator(lang)

    return DIRECTIVE_RE.sub(replace, markdown)


# --------------------------------------------------------------------------- commands


def _parser(lang: str) -> argparse.ArgumentParser:
    from papo.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(HELP_COLUMNS)
    try:
        return build_parser(lang)
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def iter_commands(
    parser: argparse.ArgumentParser, prefix: str = "papo"
) -> Iterator[tuple[str, list[str], str, argparse.ArgumentParser]]:
    """Every (sub)command: ``(full name, aliases, one-line help, parser)``, depth first."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
        names: dict[int, list[str]] = {}
        parsers: dict[int, argparse.ArgumentParser] = {}
        for name, sub in action.choices.items():
            names.setdefault(id(sub), []).append(name)
            parsers[id(sub)] = sub
        for key, (primary, *aliases) in names.items():
            full = f"{prefix} {primary}"
            yield full, aliases, helps.get(primary, ""), parsers[key]
            yield from iter_commands(parsers[key], full)


def _option_name(action: argparse.Action) -> str:
    if not action.option_strings:
        return str(action.metavar or action.dest)
    metavar = ""
    if action.nargs != 0:
        metavar = " " + str(action.metavar or action.dest.upper())
        if action.choices is not None and action.metavar is None:
            metavar = " {" + ",".join(map(str, action.choices)) + "}"
    shorts = sorted(action.option_strings, key=lambda option: option.startswith("--"))
    return ", ".join(option + metavar for option in shorts)


def _action_help(action: argparse.Action, prog: str, lang: str) -> str:
    if isinstance(action, argparse._HelpAction):
        return _WORDS[lang]["help"]
    if isinstance(action, argparse._VersionAction):
        return _WORDS[lang]["version"]
    if not action.help and action.option_strings:
        # A nested command may add an option without help that the top level explains
        # (``--lang``): show the top level's text rather than nothing.
        root = _parser(lang)
        for known in root._actions:
            if set(known.option_strings) == set(action.option_strings) and known.help:
                return argparse.HelpFormatter("papo")._expand_help(known)
    formatter = argparse.HelpFormatter(prog)
    return formatter._expand_help(action) if action.help else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def _visible_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        action
        for action in parser._actions
        if action.help != argparse.SUPPRESS and not isinstance(action, argparse._SubParsersAction)
    ]


def _usage(parser: argparse.ArgumentParser) -> str:
    """The usage lines without argparse's ``usage:`` prefix (and its indentation)."""
    prefix = "usage: "
    first, *rest = parser.format_usage().rstrip().splitlines()
    return "\n".join([first.removeprefix(prefix), *(line[len(prefix) :] for line in rest)])


def commands_markdown(lang: str) -> str:
    """One section per command: usage, aliases, and a table of its arguments."""
    words = _WORDS[lang]
    root = _parser(lang)
    out = [f"## `papo`\n\n{root.description}\n", _arguments_block(root, "papo", lang)]
    commands = list(iter_commands(root))
    if not commands:
        out.append(words["no_commands"])
    for full, aliases, help_text, parser in commands:
        out.append(f"## `{full}`\n")
        if help_text:
            out.append(help_text[0].upper() + help_text[1:] + ".\n")
        if parser.description and parser.description != help_text:
            out.append(parser.description + "\n")
        if aliases:
            parent = full.rsplit(" ", 1)[0]
            shown = ", ".join(f"`{parent} {alias}`" for alias in aliases)
            out.append(f"{words['aliases']}: {shown}.\n")
        out.append(_arguments_block(parser, full, lang))
    return "\n".join(out)


def _arguments_block(parser: argparse.ArgumentParser, prog: str, lang: str) -> str:
    words = _WORDS[lang]
    rows = [
        f"| {words['argument']} | {words['description']} |",
        "| --- | --- |",
    ]
    for action in _visible_actions(parser):
        help_text = _action_help(action, prog, lang)
        raw = action.help or ""
        shows_default = "%(default)" in raw or "padrão" in raw or "default" in raw
        if (
            not shows_default
            and action.option_strings
            and action.default not in (None, False, argparse.SUPPRESS)
        ):
            help_text += f" ({words['default'].lower()}: `{action.default}`)"
        rows.append(f"| `{_cell(_option_name(action))}` | {_cell(help_text)} |")
    return f"```text\n{_usage(parser)}\n```\n\n" + "\n".join(rows) + "\n"


def man_markdown(lang: str) -> str:
    """A man page: name, synopsis, description, commands, exit status, environment."""
    from papo.cli import EXIT_OK, EXIT_RUNTIME_ERROR, EXIT_USAGE

    root = _parser(lang)
    pt = lang == "pt"
    commands = list(iter_commands(root))
    out = [
        "## " + ("NOME" if pt else "NAME"),
        f"**papo** — {root.description}",
        "## " + ("SINOPSE" if pt else "SYNOPSIS"),
        f"```text\n{_usage(root)}\n"
        + "\n".join(_usage(parser) for _full, _aliases, _help, parser in commands)
        + "\n```",
        "## " + ("DESCRIÇÃO" if pt else "DESCRIPTION"),
        (
            "O **papo** é um chat para redes locais. Cada comando abaixo é um modo de "
            "conversar; `multicast.py` (o entregável do roteiro) aceita os mesmos comandos."
            if pt
            else "**papo** is a chat for local networks. Each command below is one way to "
            "talk; `multicast.py` (the handout's deliverable) accepts the same commands."
        ),
        "## " + ("COMANDOS" if pt else "COMMANDS"),
    ]
    for full, aliases, help_text, parser in commands:
        also = f" ({', '.join(aliases)})" if aliases else ""
        out.append(f"### {full}{also}\n\n{help_text}\n")
        items = []
        for action in _visible_actions(parser):
            items.append(f"`{_option_name(action)}`\n:   {_action_help(action, full, lang)}\n")
        out.append("\n".join(items))
    out += [
        "## " + ("OPÇÕES GERAIS" if pt else "GLOBAL OPTIONS"),
        "\n".join(
            f"`{_option_name(action)}`\n:   {_action_help(action, 'papo', lang)}\n"
            for action in _visible_actions(root)
        ),
        "## " + ("STATUS DE SAÍDA" if pt else "EXIT STATUS"),
        "\n".join(
            f"`{code}`\n:   {text}\n"
            for code, text in (
                (EXIT_OK, "tudo certo." if pt else "success."),
                (
                    EXIT_RUNTIME_ERROR,
                    "erro de rede ou de execução (uma linha explica)."
                    if pt
                    else "network or runtime error (one line explains it).",
                ),
                (
                    EXIT_USAGE,
                    "uso inválido: argumento ou configuração errada, ou nenhum comando."
                    if pt
                    else "usage error: a bad argument or setting, or no command.",
                ),
                (130, "interrompido com Ctrl-C." if pt else "interrupted with Ctrl-C."),
            )
        ),
        "## " + ("AMBIENTE" if pt else "ENVIRONMENT"),
        (
            "`LANGUAGE`, `LC_ALL`, `LC_MESSAGES`, `LANG`\n:   escolhem o idioma, nessa ordem, "
            "como no gettext: um valor que começa com `pt` dá português, outro valor dá "
            "inglês, `C`/`POSIX` é ignorado. `--lang` tem precedência.\n"
            if pt
            else "`LANGUAGE`, `LC_ALL`, `LC_MESSAGES`, `LANG`\n:   choose the language, in "
            "that order, as gettext does: a value starting with `pt` gives Portuguese, any "
            "other value English, `C`/`POSIX` is skipped. `--lang` wins over them.\n"
        ),
    ]
    return "\n\n".join(out) + "\n"


# --------------------------------------------------------------------------- constants


def documented_constants(path: Path) -> list[tuple[str, str, str]]:
    """Module-level constants of one file: ``(NAME, value source, #: comment)``.

    Public UPPER_CASE names with a ``#:`` comment above them, or named DEFAULT_*/MAX_*/
    MIN_*. The file is parsed, not imported, so a broken module cannot hide the others.
    """
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for node in ast.parse(source).body:
        target: ast.expr | None = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target = node.target
        if not isinstance(target, ast.Name):
            continue
        name = target.id
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            continue
        comment: list[str] = []
        index = node.lineno - 2
        while index >= 0 and lines[index].strip().startswith("#:"):
            comment.insert(0, lines[index].strip()[2:].strip())
            index -= 1
        if not comment and not name.startswith(("DEFAULT_", "MAX_", "MIN_")):
            continue
        value = ast.get_source_segment(source, node.value) or ""  # type: ignore[arg-type]
        found.append((name, " ".join(value.split()), " ".join(comment)))
    return found


def _module_name(path: Path) -> str:
    relative = path.relative_to(SRC).with_suffix("")
    parts = [part for part in relative.parts if part != "__init__"]
    return ".".join(parts)


@functools.cache
def _translations() -> dict[str, tuple[str, str]]:
    """``docs/constants_pt.tsv``: key -> (the English comment translated, Portuguese)."""
    table = {}
    path = Path(__file__).with_name("constants_pt.tsv")
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, english, portuguese = line.split("\t")
            table[key] = (english, portuguese)
    return table


def _constant_text(module: str, name: str, comment: str, lang: str) -> str:
    key = f"{module}:{name}"
    translated = _translations().get(key)
    if lang == "pt" and PT_DOCS.get(key):
        text = PT_DOCS[key]
    elif lang == "pt" and translated and translated[0] == comment:
        text = translated[1]
    else:
        text = comment or EN_DOCS.get(key, "")
        if lang == "pt" and text:
            text += " " + _WORDS["pt"]["english_only"]
    text = _SPHINX_ROLE_RE.sub(lambda match: f"`{match.group(1).split('.')[-1]}`", text)
    text = text.replace("``", "`")
    return text[0].upper() + text[1:] if text else ""


_SPHINX_ROLE_RE = re.compile(r":[a-z]+:`~?([^`]+)`")


def _value(value: str) -> str:
    if re.fullmatch(r"\d[\d_]*", value):
        value = value.replace("_", "")
    return value


def limits_markdown(lang: str) -> str:
    """The table of ``papo.protocol.limits``: constant, value, Limits field, meaning."""
    from papo.protocol.limits import Limits

    words = _WORDS[lang]
    fields = set(Limits.__dataclass_fields__)
    path = SRC / "papo" / "protocol" / "limits.py"
    rows = [
        f"| {words['name']} | {words['value']} | {words['field']} | {words['description']} |",
        "| --- | --- | --- | --- |",
    ]
    for name, value, comment in documented_constants(path):
        if not comment:
            continue
        field = name.lower() if name.lower() in fields else ""
        text = _constant_text("papo.protocol.limits", name, comment, lang)
        field_cell = f"`{field}`" if field else ""
        rows.append(f"| `{name}` | `{_value(value)}` | {field_cell} | {_cell(text)} |")
    return "\n".join(rows) + "\n"


def defaults_markdown(lang: str) -> str:
    """Every other documented constant of ``src/papo``, grouped by module."""
    words = _WORDS[lang]
    out = []
    for path in sorted((SRC / "papo").rglob("*.py")):
        module = _module_name(path)
        if module == "papo.protocol.limits" or module.startswith(("papo.cli", "papo.i18n")):
            continue
        constants = documented_constants(path)
        if not constants:
            continue
        out.append(f"### `{module}`\n")
        out.append(f"| {words['name']} | {words['value']} | {words['description']} |")
        out.append("| --- | --- | --- |")
        for name, value, comment in constants:
            shown = _value(value)
            if len(shown) > 60:
                shown = shown[:57] + "..."
            text = _constant_text(module, name, comment, lang)
            out.append(f"| `{name}` | `{_cell(shown)}` | {_cell(text)} |")
        out.append("")
    return "\n".join(out) + "\n"


def decode_errors_markdown(lang: str) -> str:
    """The codes :func:`papo.protocol.decode` returns, with the text each one shows."""
    from papo.i18n import CATALOG

    words = _WORDS[lang]
    rows = [f"| {words['code']} | {words['text']} |", "| --- | --- |"]
    for code, (pt_text, en_text) in sorted(CATALOG.items()):
        if code.startswith("decode_"):
            text = _PLACEHOLDER_RE.sub(_placeholder, pt_text if lang == "pt" else en_text)
            rows.append(f"| `{code}` | {_cell(text)} |")
    return "\n".join(rows) + "\n"


_PLACEHOLDER_RE = re.compile(r"\{(\w+)(!r)?\}")


def _placeholder(match: re.Match[str]) -> str:
    name = match.group(1).upper()
    return f"'{name}'" if match.group(2) else name


def security_markdown(lang: str) -> str:
    """``SECURITY.md`` from the repository root, without its title (it is in English)."""
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return "\n".join(lines).strip() + "\n"


def fuzzing_markdown(lang: str) -> str:
    """A link to the fuzzing guide (``docs/fuzzing.md``), once that page exists."""
    if not (ROOT / "docs" / "fuzzing.md").exists():
        return ""
    if lang == "pt":
        return (
            "A campanha de testes com entradas aleatórias (*fuzzing*) está descrita em "
            "[Fuzzing](../../fuzzing.md) (em inglês).\n"
        )
    return "The fuzzing campaign is described in [Fuzzing](../../fuzzing.md).\n"


GENERATORS: dict[str, Callable[[str], str]] = {
    "commands": commands_markdown,
    "man": man_markdown,
    "limits": limits_markdown,
    "defaults": defaults_markdown,
    "decode-errors": decode_errors_markdown,
    "security": security_markdown,
    "fuzzing": fuzzing_markdown,
}
