"""The JSON record of §3 as terminal programs: a server that prints records, a client.

The server prints each record in the handout's three forms (the dictionary, the three
fields on their own lines, then one summary line). Unlike the handout's server it keeps
serving after each client (``once`` stops after one), and a bad record is rejected in
one line without stopping it. Each client has :data:`RECORD_TIMEOUT_SECONDS` to send
its record, and several are read at once.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import TextIO

from papo.errors import DecodeError, PapoError
from papo.i18n import translate
from papo.protocol.record import (
    MAX_RECORD_BYTES,
    Record,
    decode_record,
    encode_record,
    is_complete_record,
)
from papo.protocol.text import terminal_safe
from papo.transport.tcp_pair import PairConnection, PairListener, connect
from papo.ui.text import error_text

#: How long the server waits for one client's whole record, in seconds.
RECORD_TIMEOUT_SECONDS = 5.0

#: How many clients the server reads records from at the same time; more wait their turn.
MAX_RECORD_CLIENTS = 16


def _emit(out: TextIO, line: str) -> None:
    out.write(line + "\n")
    out.flush()


def record_lines(record: Record, lang: str) -> list[str]:
    """The handout's three forms of showing a received record, made terminal-safe."""
    nome, idade, email = terminal_safe(record.nome), record.idade, terminal_safe(record.email)
    received = translate("record_received", lang)
    return [
        received,
        terminal_safe(repr(record.as_dict())),
        received,
        nome,
        str(idade),
        email,
        translate("record_summary", lang, nome=nome, idade=idade, email=email),
    ]


def run_record_server(
    host: str,
    port: int,
    lang: str,
    once: bool = False,
    timeout: float = RECORD_TIMEOUT_SECONDS,
    out: TextIO = sys.stdout,
) -> int:
    """Print every record received until Ctrl-C (or after one, with ``once``).

    Clients are read at the same time (up to :data:`MAX_RECORD_CLIENTS`), so one that
    connects and says nothing never holds up the others; each client's lines are
    printed together once its record is complete or rejected.
    """
    with PairListener(host, port) as listener:
        _emit(out, translate("record_waiting", lang, address=listener.address))
        try:
            if once:
                conn = None
                while conn is None:
                    conn = listener.accept()
                lines, ok = _serve_one(conn, lang, timeout)
                for line in lines:
                    _emit(out, line)
                return 0 if ok else 1
            _serve_forever(listener, lang, timeout, out)
        except KeyboardInterrupt:
            _emit(out, translate("interrupted", lang))
        return 0


def _serve_forever(listener: PairListener, lang: str, timeout: float, out: TextIO) -> None:
    slots = threading.BoundedSemaphore(MAX_RECORD_CLIENTS)
    printing = threading.Lock()

    def serve(conn: PairConnection) -> None:
        try:
            lines, _ok = _serve_one(conn, lang, timeout)
        except PapoError as exc:  # an unusual socket error: this client only
            lines = [
                translate("record_rejected", lang, source=conn.peer, reason=error_text(exc, lang))
            ]
        finally:
            slots.release()
        with printing:
            for line in lines:
                _emit(out, line)

    while True:
        slots.acquire()
        conn = listener.accept()
        if conn is None:
            slots.release()
            continue
        threading.Thread(target=serve, args=(conn,), name="papo-record", daemon=True).start()


def _serve_one(conn: PairConnection, lang: str, timeout: float) -> tuple[list[str], bool]:
    """Read one client's record; return the lines to show and whether it was valid."""
    with conn:
        data, finished = conn.receive_until_close(
            MAX_RECORD_BYTES, timeout, done=is_complete_record
        )
    lines = [translate("record_connected", lang, address=conn.peer)]
    result = decode_record(data, complete=finished)
    if isinstance(result, DecodeError):
        reason = error_text(result, lang)
        lines.append(translate("record_rejected", lang, source=conn.peer, reason=reason))
        return lines, False
    return lines + record_lines(result, lang), True


def run_record_client(
    host: str, port: int, record: Record, lang: str, out: TextIO = sys.stdout
) -> int:
    """Send one record like the handout's client: one ``send`` of the JSON, then close."""
    with connect(host, port) as conn:
        conn.send(encode_record(record))
        shown = terminal_safe(json.dumps(record.as_dict(), ensure_ascii=False))
        _emit(out, translate("record_sent", lang, address=conn.peer, record=shown))
    return 0
