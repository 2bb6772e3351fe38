"""The 1:1 TCP chat of §1 as a terminal program: one line per event, flushed.

:func:`run_pair` connects (client) or waits for one client (server), then runs either
the handout's strict alternation (:class:`~papo.session.pair.HandoutPairSession`) or the
full-duplex ``--moderno`` chat (:class:`~papo.session.pair.FramedPairSession`).

Exit codes: 0 when either side ended the chat (``fim``/``sair``, EOF, Ctrl-C);
1 when the connection dropped without a quit word.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from typing import TextIO

from papo.errors import InputError
from papo.i18n import translate
from papo.session.pair import (
    NAME_TIMEOUT_SECONDS,
    FramedPairSession,
    HandoutPairSession,
    PairEvent,
    PeerDropped,
    PeerEnded,
    PeerNamed,
    PeerSaid,
    PeerVanished,
    Role,
)
from papo.transport.tcp_pair import PairConnection, PairListener, connect
from papo.ui.keyboard import is_tty, read_line
from papo.ui.text import error_text

EXIT_ENDED = 0
EXIT_DROPPED = 1

#: Bytes read per ``recv`` in the framed mode (lines are reassembled by the session).
FRAMED_RECV_BYTES = 65536


@dataclass(frozen=True, slots=True)
class PairOptions:
    """Where and how to chat: address, and the handout wire or the framed one."""

    host: str
    port: int
    framed: bool = False
    name_timeout: float = NAME_TIMEOUT_SECONDS


class _Screen:
    """Writes whole lines from any thread without interleaving them."""

    def __init__(self, out: TextIO, err: TextIO, lang: str) -> None:
        self.out = out
        self.err = err
        self.lang = lang
        self._lock = threading.Lock()

    def line(self, text: str, stream: TextIO | None = None) -> None:
        target = stream or self.out
        with self._lock:
            target.write(text + "\n")
            target.flush()

    def say(self, code: str, **details: object) -> None:
        self.line(translate(code, self.lang, **details))

    def event(self, event: PairEvent) -> None:
        match event:
            case PeerNamed(name):
                self.say("pair_connected", name=name)
            case PeerSaid(name, text):
                self.line(f"{name}: {text}")
            case PeerEnded(name, text):
                self.line(f"{name}: {text}")
                self.say("pair_peer_ended", name=name)
            case PeerVanished(name):
                self.say("pair_peer_gone", name=name)
            case PeerDropped(_name, error) if error.code.startswith("pair_peer_"):
                self.line(error_text(error, self.lang))  # the two sides speak different modes
            case PeerDropped(name, error):
                self.say("pair_dropped", name=name, reason=error_text(error, self.lang))


def run_pair(
    role: Role,
    name: str,
    options: PairOptions,
    lang: str,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Run one 1:1 chat as ``role``; return the exit code."""
    screen = _Screen(out, err, lang)
    try:
        conn = _open(role, options, screen)
    except KeyboardInterrupt:
        screen.say("interrupted")
        return EXIT_ENDED
    with conn:
        if options.framed:
            return _run_framed(conn, name, options, stdin, screen)
        return _run_handout(conn, role, name, options, stdin, screen)


def _open(role: Role, options: PairOptions, screen: _Screen) -> PairConnection:
    if role == Role.CLIENT:
        return connect(options.host, options.port)
    with PairListener(options.host, options.port) as listener:
        screen.say("pair_waiting", address=listener.address)
        conn = None
        while conn is None:
            conn = listener.accept()
        return conn  # a 1:1 chat: stop listening once the peer is here


def _run_handout(
    conn: PairConnection,
    role: Role,
    name: str,
    options: PairOptions,
    stdin: TextIO,
    screen: _Screen,
) -> int:
    session = HandoutPairSession(role, name)
    interactive = is_tty(stdin) and is_tty(screen.out)
    prompt = translate("pair_prompt", screen.lang, name=name) if interactive else None
    try:
        if not _flush(conn, session):
            return _vanished(session.peer, screen)
        try:
            data = conn.receive(timeout=options.name_timeout)
        except TimeoutError:
            screen.say("pair_no_name", seconds=int(options.name_timeout))
            return EXIT_DROPPED
        for event in session.receive(data):
            screen.event(event)
        if session.ended:  # closed, or a --moderno peer, before saying its name
            return EXIT_DROPPED
        if not _flush(conn, session):
            return _vanished(session.peer, screen)
        while True:
            if session.my_turn:
                line = read_line(stdin, prompt)
                if line is None:
                    return _leave(conn, session, screen)
                try:
                    payload = session.compose(line)
                except InputError as exc:
                    screen.line(error_text(exc, screen.lang), screen.err)
                    continue
                if payload is None:
                    continue
                if not conn.send(payload):
                    return _vanished(session.peer, screen)
                if session.ended:
                    screen.say("pair_local_ended")
                    return EXIT_ENDED
            else:
                for event in session.receive(conn.receive()):
                    screen.event(event)
                    if isinstance(event, PeerEnded):
                        return EXIT_ENDED
                    if isinstance(event, PeerVanished):
                        return EXIT_DROPPED
    except KeyboardInterrupt:
        if interactive:
            screen.line("")  # end the line the terminal's ^C was echoed on
        return _leave(conn, session, screen)


def _flush(conn: PairConnection, session: HandoutPairSession) -> bool:
    return all(conn.send(payload) for payload in session.outgoing())


def _leave(conn: PairConnection, session: HandoutPairSession, screen: _Screen) -> int:
    """EOF or Ctrl-C: say ``fim`` so the other side ends too."""
    farewell = session.farewell()
    if farewell is not None:
        conn.send(farewell)
    screen.say("pair_local_ended")
    return EXIT_ENDED


def _vanished(peer: str, screen: _Screen) -> int:
    screen.event(PeerVanished(peer))
    return EXIT_DROPPED


def _run_framed(
    conn: PairConnection, name: str, options: PairOptions, stdin: TextIO, screen: _Screen
) -> int:
    session = FramedPairSession(name)
    lock = threading.Lock()  # the session and the socket's send side are shared

    def send_locked(payload: bytes | None) -> None:
        if payload is not None:
            conn.send(payload)

    with lock:
        send_locked(session.hello())

    def pump_keyboard() -> None:
        for line in _lines(stdin):
            with lock:
                try:
                    payload = session.compose(line)
                except InputError as exc:
                    screen.line(error_text(exc, screen.lang), screen.err)
                    continue
                send_locked(payload)
                if session.ended:
                    break
        else:
            with lock:
                send_locked(session.farewell())
        conn.shutdown()  # wakes the reader below, which then reports the end

    threading.Thread(target=pump_keyboard, name="papo-keyboard", daemon=True).start()
    try:
        named = False
        while True:
            timeout = None if named else options.name_timeout
            try:
                data = conn.receive(FRAMED_RECV_BYTES, timeout=timeout)
            except TimeoutError:
                screen.say("pair_no_name", seconds=int(options.name_timeout))
                return EXIT_DROPPED
            with lock:
                locally_ended = session.ended
                events = session.receive(data)
                remotely_ended = session.ended and not locally_ended
            for event in events:
                named = named or isinstance(event, PeerNamed)
                screen.event(event)
                if isinstance(event, PeerEnded):
                    return EXIT_ENDED
            if remotely_ended:  # the peer vanished or does not speak the framed protocol
                return EXIT_DROPPED
            if not data and locally_ended:
                screen.say("pair_local_ended")
                return EXIT_ENDED
    except KeyboardInterrupt:
        with lock:
            send_locked(session.farewell())
        conn.shutdown()
        screen.say("pair_local_ended")
        return EXIT_ENDED


def _lines(stdin: TextIO):  # type: ignore[no-untyped-def]
    """Typed lines, read straight from the file descriptor when there is one.

    Reading the descriptor (not the buffered ``sys.stdin``) from the keyboard thread
    means the interpreter can exit while this thread waits, without a lock at shutdown.
    """
    try:
        fd = stdin.fileno()
    except (AttributeError, ValueError, OSError):
        fd = None
    if fd is None:
        while (line := stdin.readline()) != "":
            yield line.rstrip("\r\n")
        return
    pending = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b""
        if not chunk:
            if pending:
                yield pending.decode("utf-8", "surrogateescape").rstrip("\r")
            return
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            yield raw.decode("utf-8", "surrogateescape").rstrip("\r")
