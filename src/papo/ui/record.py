"""The JSON record of §3 as terminal programs: a server that prints records, a client.

The server prints each record in the handout's three forms (the dictionary, the three
fields on their own lines, then one summary line). Unlike the handout's server it keeps
serving after each client (``once`` stops after one), and a bad record is rejected in
one line without stopping it. Clients are served one at a time; each has
:data:`RECORD_TIMEOUT_SECONDS` to send its record.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from papo.errors import DecodeError
from papo.i18n import translate
from papo.protocol.record import (
    MAX_RECORD_BYTES,
    Record,
    decode_record,
    encode_record,
    is_complete_record,
)
from papo.protocol.text import terminal_safe
from papo.transport.tcp_pair import PairListener, connect
from papo.ui.text import error_text

#: How long the server waits for one client's whole record, in seconds.
RECORD_TIMEOUT_SECONDS = 5.0


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
    """Print every record received until Ctrl-C (or after one, with ``once``)."""
    with PairListener(host, port) as listener:
        _emit(out, translate("record_waiting", lang, address=listener.address))
        try:
            while True:
                conn = listener.accept()
                if conn is None:
                    continue
                with conn:
                    _emit(out, translate("record_connected", lang, address=conn.peer))
                    data, finished = conn.receive_until_close(
                        MAX_RECORD_BYTES, timeout, done=is_complete_record
                    )
                result = decode_record(data, complete=finished)
                if isinstance(result, DecodeError):
                    reason = error_text(result, lang)
                    _emit(out, translate("record_rejected", lang, source=conn.peer, reason=reason))
                else:
                    for line in record_lines(result, lang):
                        _emit(out, line)
                if once:
                    return 1 if isinstance(result, DecodeError) else 0
        except KeyboardInterrupt:
            _emit(out, translate("interrupted", lang))
            return 0


def run_record_client(
    host: str, port: int, record: Record, lang: str, out: TextIO = sys.stdout
) -> int:
    """Send one record like the handout's client: one ``send`` of the JSON, then close."""
    with connect(host, port) as conn:
        conn.send(encode_record(record))
        shown = terminal_safe(json.dumps(record.as_dict(), ensure_ascii=False))
        _emit(out, translate("record_sent", lang, address=conn.peer, record=shown))
    return 0
