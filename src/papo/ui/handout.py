"""The handout's two multicast roles as plain terminal programs (§4 of the handout).

``run_sender`` reads lines until ``sair``; ``run_receiver`` never reads input and
stops when any sender says ``sair``. Output is one line per event, flushed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from papo.errors import InputError
from papo.i18n import translate
from papo.protocol.ratelimit import SendPacer
from papo.protocol.sealed import Sealer
from papo.session import Ended, ReceiverSession, SenderSession, is_quit_word
from papo.transport.multicast import MulticastConfig, MulticastReceiver, MulticastSender
from papo.ui.keyboard import read_line
from papo.ui.text import clock_stamp, error_text, event_line


def _emit(out: TextIO, line: str) -> None:
    out.write(line + "\n")
    out.flush()


def run_receiver(
    config: MulticastConfig,
    nick: str,
    lang: str,
    out: TextIO = sys.stdout,
    clock: Callable[[], float] = time.time,
    seal: Sealer | None = None,
) -> int:
    """Show every message of the group until a sender says ``sair``; return exit code."""
    session = ReceiverSession(seal=seal)
    with MulticastReceiver(config) as receiver:
        if seal is not None:
            _emit(out, translate("passphrase_on", lang))
        try:  # a Ctrl-C from here on, even during the ready line, ends cleanly
            _emit(
                out,
                translate("receiver_ready", lang, nick=nick, group=config.group, port=config.port),
            )
            while True:
                received = receiver.receive()
                if received is None:
                    continue
                for event in session.receive(*received):
                    for line in event_line(event, lang).split("\n"):
                        _emit(out, f"[{clock_stamp(clock())}] {line}")
                    if isinstance(event, Ended):
                        return 0
        except KeyboardInterrupt:
            _emit(out, translate("interrupted", lang))
            return 0


def run_sender(
    config: MulticastConfig,
    nick: str,
    lang: str,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    seal: Sealer | None = None,
) -> int:
    """Send each typed line until ``sair``, EOF or Ctrl-C; then send ``sair``."""
    session = SenderSession(nick, seal=seal)
    interactive = stdin.isatty() and out.isatty()
    prompt = translate("sender_prompt", lang, nick=nick)
    # paced, so a file piped in arrives whole rather than being cut as a flood
    with MulticastSender(config, pacer=SendPacer()) as sender:
        if seal is not None:
            _emit(out, translate("passphrase_on", lang))
        try:  # a Ctrl-C from here on, even during the ready line, still sends sair
            _emit(
                out,
                translate("sender_ready", lang, nick=nick, group=config.group, port=config.port),
            )
            while True:
                line = read_line(stdin, prompt if interactive else None)
                if line is None or is_quit_word(line):
                    break
                if not line.strip():
                    continue
                try:
                    datagrams = session.compose(line)
                except InputError as exc:
                    _emit(err, error_text(exc, lang))
                    continue
                for datagram in datagrams:
                    sender.send(datagram)
        except KeyboardInterrupt:
            out.write("\n")
        sender.send(session.farewell())
        _emit(out, translate("sent_quit", lang))
    return 0
