"""The documentation builds with no warning, and its examples are true.

Code blocks in ``docs/**/*.md`` are checked by kind:

- ``pycon`` blocks are doctests (the blocks of one page share their names, in order);
- ``python`` blocks run as programs; one that opens a socket must be marked
  ``<!-- test: netns -->`` (runs only in a private network namespace) or
  ``<!-- test: netns-background expect="TEXT" -->`` (started first, must print TEXT);
- ``console`` blocks: every ``$ papo ...`` / ``$ python multicast.py ...`` command must
  be accepted by papo's argument parser in the page's language; blocks marked
  ``<!-- test: terminal [GROUP] -->`` form a scenario (one per GROUP and page) that is
  replayed with real processes in a network namespace, and whose output must match the
  page line for line (times and ephemeral ports aside); in them, ``NICK> text`` lines are
  what the user types. ``<!-- test: terminal-background [GROUP] -->`` starts a program
  the scenario needs (a server) without comparing its output.

``<!-- test: skip -->`` before a block leaves it out (say why next to it).
"""

from __future__ import annotations

import contextlib
import doctest
import hashlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, Process, papo_env

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))

FENCE_RE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<kind>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
MARKER_RE = re.compile(r"<!-- test: (?P<spec>.*?) -->")
TIME_RE = re.compile(r"\[\d\d:\d\d:\d\d\]")
EPHEMERAL_PORT_RE = re.compile(r":(?:3[2-9]\d{3}|[4-6]\d{4})\b")
PROMPT_RE = re.compile(r"^(?P<nick>[\w.-]+)> (?P<text>.*)$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int
    kind: str
    body: str
    marker: str

    @property
    def lang(self) -> str:
        return "pt" if self.page.relative_to(DOCS).parts[0] == "pt" else "en"

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    """The fenced blocks of ``page``, each with the test marker on the line before it."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE_RE.finditer(text):
        before = text[: match.start()].rstrip().rsplit("\n", 1)[-1].strip()
        marker = MARKER_RE.fullmatch(before)
        indent = len(match.group("indent"))
        body = "\n".join(line[indent:] for line in match.group("body").splitlines())
        found.append(
            Block(
                page=page,
                line=text.count("\n", 0, match.start()) + 1,
                kind=match.group("kind"),
                body=body + "\n",
                marker=marker.group("spec") if marker else "",
            )
        )
    return found


ALL_BLOCKS = [block for page in PAGES for block in blocks_of(page)]


def _ids(blocks: list[Block]) -> list[str]:
    return [block.name for block in blocks]


# --------------------------------------------------------------------------- the site


def _hooks():  # type: ignore[no-untyped-def]
    """``docs/hooks.py``, the module mkdocs runs, imported as the tests' own."""
    sys.path.insert(0, str(DOCS))
    try:
        import hooks
    finally:
        sys.path.remove(str(DOCS))
    return hooks


#: Where each language's build goes in the site (the i18n plugin: English at the root).
SITE_PREFIX = {"en": "", "pt": "pt/"}

#: Pages in one language only: the specification, NATS and fuzzing pages at the docs
#: root are English (in both builds); ``pt/protocolo.md`` summarises the spec in Portuguese.
ENGLISH_ONLY = {"protocol.md", "nats.md", "fuzzing.md"}
PORTUGUESE_ONLY = {"protocolo.md"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for this module with ``mkdocs build --strict``, offline."""
    site = tmp_path_factory.mktemp("docs") / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return site


def _html(site: Path, lang: str, page: str) -> str:
    return (site / SITE_PREFIX[lang] / page / "index.html").read_text("utf-8")


def test_site_builds_with_no_warning_and_has_every_command(site: Path) -> None:
    hooks = _hooks()
    from papo.cli import build_parser

    for lang in ("pt", "en"):
        page = _html(site, lang, "reference/commands")
        man = _html(site, lang, "reference/man")
        for full, _aliases, _help, _parser in hooks.iter_commands(build_parser(lang)):
            assert f"<code>{full}</code>" in page, (lang, full)
            assert full in man, (lang, full)
        assert "<!-- papo:" not in page
    assert 'class="mermaid"' in _html(site, "en", "protocol")


#: What the theme writes in each language: the html ``lang`` (Material's pt-BR
#: translation declares ``pt``), the search box and the table of contents' title.
THEME_WORDS = {
    "en": ('<html lang="en"', 'placeholder="Search"', "Table of contents"),
    "pt": ('<html lang="pt"', 'placeholder="Buscar"', "Índice"),
}


@pytest.mark.parametrize("lang", ["en", "pt"])
@pytest.mark.parametrize("page", ["", "tutorial/1-tcp", "reference/commands", "protocol"])
def test_theme_speaks_the_language_of_each_build(site: Path, lang: str, page: str) -> None:
    html = _html(site, lang, page)
    for words in THEME_WORDS[lang]:
        assert words in html, (lang, page, words)
    other = "pt" if lang == "en" else "en"
    for words in THEME_WORDS[other][1:]:
        assert words not in html, (lang, page, words)


@pytest.mark.parametrize(
    ("lang", "page", "english", "portuguese"),
    [
        ("en", "tutorial/1-tcp", "./", "../../pt/tutorial/1-tcp/"),
        ("pt", "tutorial/1-tcp", "../../../tutorial/1-tcp/", "./"),
        ("en", "", "./", "pt/"),
        ("pt", "", "../", "./"),
        ("pt", "protocolo", "../../", "./"),
    ],
)
def test_language_switcher_goes_to_the_same_page_in_the_other_language(
    site: Path, lang: str, page: str, english: str, portuguese: str
) -> None:
    """Relative links, so the switcher works under any path the site is served from."""
    html = _html(site, lang, page)
    links = dict(
        (code, href) for href, code in re.findall(r'<a href="([^"]*)" hreflang="(\w+)"', html)
    )
    assert links == {"en": english, "pt": portuguese}


def test_not_found_page_is_english_and_offers_both_homes(site: Path) -> None:
    html = (site / "404.html").read_text("utf-8")
    assert '<html lang="en"' in html and "404 - Not found" in html
    links = dict(
        (code, href) for href, code in re.findall(r'<a href="([^"]*)" hreflang="(\w+)"', html)
    )
    assert links == {"en": "/./", "pt": "/pt/"}


def test_each_language_has_its_own_navigation(site: Path) -> None:
    english = _html(site, "en", "tutorial")
    portuguese = _html(site, "pt", "tutorial")
    assert "How-to guides" in english and "Guias práticos" not in english
    assert "Guias práticos" in portuguese and "How-to guides" not in portuguese


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_tcp_tutorial_quotes_the_error_of_a_taken_shared_port(lang: str) -> None:
    from papo.i18n import translate

    page = (DOCS / lang / "tutorial" / "1-tcp.md").read_text("utf-8")
    shown = " ".join(page.replace("\n    ", " ").split())
    assert translate("address_in_use_by_room", lang, port=5050) in shown


def _nav_pages(nav: object) -> list[str]:
    """The page paths of a mkdocs ``nav`` (titles and sections left out), in order."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in _nav_pages(value)]
    if isinstance(nav, list):
        return [page for item in nav for page in _nav_pages(item)]
    return []


def test_both_languages_list_the_same_pages_in_the_same_order() -> None:
    from mkdocs.utils import yaml_load

    with (ROOT / "mkdocs.yml").open(encoding="utf-8") as config_file:
        config = yaml_load(config_file)
    (i18n,) = [plugin["i18n"] for plugin in config["plugins"] if isinstance(plugin, dict)]
    navs = {language["locale"]: _nav_pages(language["nav"]) for language in i18n["languages"]}
    portuguese = [page for page in navs["pt"] if page not in PORTUGUESE_ONLY]
    assert navs["en"] == portuguese
    for page in navs["en"]:
        if page not in ENGLISH_ONLY:
            assert (DOCS / "en" / page).exists() and (DOCS / "pt" / page).exists(), page


def test_every_protocol_limit_has_a_portuguese_description() -> None:
    hooks = _hooks()
    path = ROOT / "src" / "papo" / "protocol" / "limits.py"
    for name, _value, comment in hooks.documented_constants(path):
        if comment:
            assert f"papo.protocol.limits:{name}" in hooks.PT_DOCS, name


def test_every_page_has_its_translation() -> None:
    for page in (DOCS / "pt").rglob("*.md"):
        if page.name not in PORTUGUESE_ONLY:
            twin = DOCS / "en" / page.relative_to(DOCS / "pt")
            assert twin.exists(), f"{page.relative_to(ROOT)} has no English twin"
    for page in (DOCS / "en").rglob("*.md"):
        assert (DOCS / "pt" / page.relative_to(DOCS / "en")).exists(), page
    assert {page.name for page in DOCS.glob("*.md")} == ENGLISH_ONLY


#: The vendored Mermaid: its release and the SHA-256 of ``dist/mermaid.min.js`` from the
#: npm package of that release. To update: copy the new file, its LICENSE, and both values.
MERMAID_VERSION = "11.17.2"
MERMAID_SHA256 = "581ed7d74bd9048d0e3a91363927d72ef22942d7722546b27f7cc29e35390eb8"
MERMAID_JS = DOCS / "assets" / "vendor" / "mermaid" / "mermaid.min.js"


def test_vendored_mermaid_is_the_pinned_release_with_its_licence() -> None:
    data = MERMAID_JS.read_bytes()
    assert hashlib.sha256(data).hexdigest() == MERMAID_SHA256
    assert f'"{MERMAID_VERSION}"'.encode() in data
    assert "MIT" in (MERMAID_JS.parent / "LICENSE").read_text("utf-8")


#: What a page would fetch from outside the site: a script, stylesheet, font or image.
EXTERNAL_RE = re.compile(r"<(?:script|link|img|iframe)\b[^>]*(?:src|href)=\"(?:https?:)?//", re.I)


def test_pages_load_nothing_from_outside_the_site(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 40
    for page in pages:
        html = page.read_text("utf-8")
        assert not EXTERNAL_RE.search(html), page.relative_to(site)
        assert "fonts.googleapis" not in html, page.relative_to(site)
        if 'class="mermaid"' in html:
            assert "assets/vendor/mermaid/mermaid.min.js" in html, page.relative_to(site)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.netns
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium to render the pages with")
@pytest.mark.parametrize(("lang", "page"), [("en", "protocol"), ("pt", "tutorial/1-tcp")])
def test_diagrams_render_in_a_browser_with_no_network(
    site: Path, lang: str, page: str, tmp_path: Path
) -> None:
    """Material swaps each ``<pre class="mermaid">`` for a drawn ``<div class="mermaid">``
    once Mermaid runs; with no network that can only be the vendored copy."""
    html = site / SITE_PREFIX[lang] / page / "index.html"
    diagrams = html.read_text("utf-8").count('<pre class="mermaid">')
    assert diagrams >= 1
    result = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium'}",  # not a profile another run holds
            "--virtual-time-budget=10000",
            "--dump-dom",
            html.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    drawn = result.stdout.count('<div class="mermaid">')
    assert drawn == diagrams, (result.returncode, result.stdout[-500:], result.stderr[-2000:])


def test_mermaid_diagrams_are_sequence_diagrams_with_declared_participants() -> None:
    diagrams = [block for block in ALL_BLOCKS if block.kind == "mermaid"]
    assert len(diagrams) >= 4
    for block in diagrams:
        lines = [line.strip() for line in block.body.splitlines() if line.strip()]
        assert lines[0] == "sequenceDiagram", block.name
        declared = {
            re.split(r"\s+as\s+", line.split(None, 1)[1])[0]
            for line in lines
            if line.startswith(("participant ", "actor "))
        }
        for line in lines:
            arrow = re.match(r"([\w]+)\s*-{1,2}>{1,2}[+-]?\s*([\w]+)\s*:", line)
            if arrow:
                assert {arrow.group(1), arrow.group(2)} <= declared, (block.name, line)


# --------------------------------------------------------------------------- python


@pytest.mark.parametrize(
    "page",
    [page for page in PAGES if any(block.kind == "pycon" for block in blocks_of(page))],
    ids=lambda page: str(page.relative_to(ROOT)),
)
def test_interactive_examples_give_the_output_shown(page: Path) -> None:
    globs: dict[str, object] = {"__name__": "__docs__"}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    for block in blocks_of(page):
        if block.kind != "pycon" or block.marker == "skip":
            continue
        test = parser.get_doctest(block.body, globs, block.name, str(page), block.line)
        runner.run(test, out=report.write, clear_globs=False)
        globs.update(test.globs)  # DocTest copies its globals: carry names to the next block
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, report.getvalue()


def _python_blocks(marker_prefix: str) -> list[Block]:
    return [
        block
        for block in ALL_BLOCKS
        if block.kind == "python" and block.marker.startswith(marker_prefix)
    ]


def test_examples_that_open_sockets_are_marked_for_a_network_namespace() -> None:
    for block in ALL_BLOCKS:
        if block.kind in ("python", "pycon") and re.search(r"socket|Multicast", block.body):
            assert block.marker.startswith(("netns", "skip")), block.name


@pytest.mark.parametrize(
    "block",
    [block for block in _python_blocks("") if block.marker == ""],
    ids=_ids([block for block in _python_blocks("") if block.marker == ""]),
)
def test_python_example_runs(block: Block) -> None:
    result = subprocess.run(
        [sys.executable, "-c", block.body],
        cwd=ROOT,
        env=papo_env(block.lang),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


NETNS_PAGES = sorted({block.page for block in _python_blocks("netns")})


@pytest.mark.netns
@pytest.mark.parametrize("page", NETNS_PAGES, ids=[str(p.relative_to(ROOT)) for p in NETNS_PAGES])
def test_network_examples_run_in_a_namespace(page: Path, run_process) -> None:  # type: ignore[no-untyped-def]
    background: list[tuple[Process, str]] = []
    for block in blocks_of(page):
        if block.kind != "python" or not block.marker.startswith("netns"):
            continue
        args = [sys.executable, "-u", "-c", block.body]
        if block.marker.startswith("netns-background"):
            expect = re.search(r'expect="([^"]*)"', block.marker)
            assert expect, block.name
            process = run_process(args, lang=block.lang)
            process.wait_for("", timeout=10)  # the first line: it is ready
            background.append((process, expect.group(1)))
        else:
            result = subprocess.run(
                args, cwd=ROOT, env=papo_env(block.lang), capture_output=True, text=True, timeout=30
            )
            assert result.returncode == 0, (block.name, result.stderr)
    for process, expect in background:
        process.wait_for(expect, timeout=10)


# --------------------------------------------------------------------------- console


def _papo_args(words: list[str]) -> list[str] | None:
    """The papo arguments of one shell command, or None if it is not a papo command."""
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        words = words[1:]
    if not words:
        return None
    if words[0] in ("papo", ".venv/bin/papo"):
        return words[1:]
    if words[0] in ("python", "python3", sys.executable) and words[1:2] == ["multicast.py"]:
        return words[2:]
    if words[0] in ("python", "python3") and words[1:3] == ["-m", "papo"]:
        return words[3:]
    return None


def console_commands(block: Block) -> list[list[str]]:
    """The papo commands (as argument lists) typed in a console block."""
    commands = []
    for line in block.body.splitlines():
        if not line.startswith("$ "):
            continue
        for part in re.split(r"\s(?:\||&&|;)\s", line[2:]):
            args = _papo_args(shlex.split(part, comments=True))
            if args is not None:
                commands.append(args)
    return commands


CONSOLE_BLOCKS = [block for block in ALL_BLOCKS if block.kind == "console"]


@pytest.mark.parametrize("block", CONSOLE_BLOCKS, ids=_ids(CONSOLE_BLOCKS))
def test_commands_shown_are_accepted_by_papo(block: Block) -> None:
    from papo.cli import build_parser

    for args in console_commands(block):
        lang = block.lang
        if "--lang" in args and args.index("--lang") + 1 < len(args):
            lang = args[args.index("--lang") + 1]
        parser = build_parser(lang)
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                parser.parse_args(args)
            except SystemExit as exc:
                assert exc.code == 0, f"{block.name}: papo {shlex.join(args)}\n{out.getvalue()}"


def test_docs_show_papo_commands() -> None:
    assert sum(len(console_commands(block)) for block in CONSOLE_BLOCKS) >= 40


# --------------------------------------------------------------------------- scenarios


@dataclass
class Terminal:
    """One ``<!-- test: terminal -->`` console block: a command and what it shows.

    Lines ``NICK> text`` are what the user typed; every other line is output.
    ``background`` terminals (``terminal-background``) are only started, not compared.
    """

    command: list[str]
    shown: list[str]
    background: bool = False

    @property
    def inputs(self) -> list[str]:
        return [m.group("text") for line in self.shown if (m := PROMPT_RE.match(line))]

    @property
    def output(self) -> list[str]:
        return [_normal(line) for line in self.shown if not PROMPT_RE.match(line)]

    def lines_before_input(self, index: int) -> int:
        """How many output lines the page shows before the user types input ``index``."""
        typed = 0
        outputs = 0
        for line in self.shown:
            if PROMPT_RE.match(line):
                if typed == index:
                    return outputs
                typed += 1
            else:
                outputs += 1
        raise IndexError(index)


def _normal(line: str) -> str:
    """``line`` with what changes from run to run (time, ephemeral ports) made constant."""
    return EPHEMERAL_PORT_RE.sub(":PORT", TIME_RE.sub("[T]", line))


def _terminals(page: Path, group: str = "") -> list[Terminal]:
    """The terminals of scenario ``group`` of ``page`` (marker ``terminal GROUP``)."""
    terminals = []
    for block in blocks_of(page):
        kind, _, name = block.marker.partition(" ")
        if block.kind != "console" or kind not in ("terminal", "terminal-background"):
            continue
        if name != group:
            continue
        first, *rest = block.body.rstrip("\n").splitlines()
        assert first.startswith("$ "), block.name
        words = shlex.split(first[2:])
        assignments = [word for word in words if re.fullmatch(r"[A-Z_]+=.*", word)]
        args = _papo_args(words)
        assert args is not None, block.name
        prefix = ["env", *assignments] if assignments else []
        command = [*prefix, sys.executable, "-m", "papo", *args]
        terminals.append(Terminal(command, rest, kind == "terminal-background"))
    return terminals


def _scenarios() -> list[tuple[Path, str]]:
    found = []
    for page in PAGES:
        groups = []
        for block in blocks_of(page):
            kind, _, name = block.marker.partition(" ")
            if kind in ("terminal", "terminal-background") and name not in groups:
                groups.append(name)
        found += [(page, group) for group in groups]
    return found


SCENARIOS = _scenarios()
SCENARIO_SECONDS = 30


def _pump(process: Process, seconds: float) -> None:
    """Add to ``process.lines`` what the process prints within ``seconds``."""
    process.lines.extend(process._reader.lines(seconds))


def _wait_lines(process: Process, count: int, deadline: float, what: object) -> None:
    """Wait until ``process`` has printed ``count`` lines, or fail at ``deadline``."""
    while len(process.lines) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: waited for {count} lines, got {process.lines!r}")
        _pump(process, 0.05)


@pytest.mark.netns
@pytest.mark.parametrize(
    ("page", "group"),
    SCENARIOS,
    ids=[f"{page.relative_to(ROOT)}:{group}" for page, group in SCENARIOS],
)
def test_terminal_scenario_shows_what_the_page_shows(  # type: ignore[no-untyped-def]
    page: Path, group: str, run_process, tmp_path: Path
) -> None:
    """Replay the page's terminals and compare what each shows, times and ports aside.

    Background terminals start first, then the others in page order, each awaited until
    its first line. Typing terminals take turns (round robin, page order); a terminal
    types its next line only once it shows every line the page shows before it, and
    after each typed line every terminal that shows it as a message (``...: text``) is
    awaited. So the order of events is the page's, and the outputs are deterministic.
    """
    lang = "pt" if page.relative_to(DOCS).parts[0] == "pt" else "en"
    terminals = sorted(_terminals(page, group), key=lambda terminal: not terminal.background)
    deadline = time.monotonic() + SCENARIO_SECONDS
    started: list[tuple[Terminal, Process]] = []
    for number, terminal in enumerate(terminals):
        # Each program keeps its chat history in a file of its own, not in $HOME.
        history = f"PAPO_HISTORY={tmp_path / f'history-{number}.sqlite3'}"
        process = run_process(["env", history, *terminal.command], lang=lang)
        _wait_lines(process, 1, deadline, terminal.command)
        assert _normal(process.lines[0]) == terminal.output[0], terminal.command
        started.append((terminal, process))
    shown = [(t, p) for t, p in started if not t.background]
    typists = [(t, p) for t, p in shown if t.inputs]
    typed = [0] * len(typists)
    synced = [0] * len(shown)  # expected lines of each terminal already awaited
    turn = 0
    while any(typed[i] < len(t.inputs) for i, (t, _p) in enumerate(typists)):
        for offset in range(len(typists)):
            index = (turn + offset) % len(typists)
            terminal, process = typists[index]
            if typed[index] < len(terminal.inputs) and len(
                process.lines
            ) >= terminal.lines_before_input(typed[index]):
                break
        else:
            if time.monotonic() > deadline:
                state = [(t.command[-1], p.lines) for t, p in shown]
                raise AssertionError(f"no terminal can type its next line: {state!r}")
            for _terminal, process in shown:
                _pump(process, 0.02)
            continue
        text = terminal.inputs[typed[index]]
        process.write(text + "\n")
        typed[index] += 1
        turn = index + 1
        for position, (other, other_process) in enumerate(shown):
            ahead = [i for i, line in enumerate(other.output) if i >= synced[position]]
            hits = [i for i in ahead if other.output[i].endswith(": " + text)]
            if hits:
                _wait_lines(other_process, hits[0] + 1, deadline, other.command)
                synced[position] = hits[0] + 1
    for terminal, process in shown:
        process.close_stdin()
        lines = [_normal(line) for line in process.rest(timeout=10)]
        assert lines == terminal.output, (terminal.command, process.stderr_now())
        assert process.wait(10) == 0
