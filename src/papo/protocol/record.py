"""The JSON record of §3 of the handout: ``{"nome", "idade", "email"}`` (pure: no I/O).

:func:`decode_record` accepts *any* bytes and returns a :class:`Record` or a typed
:class:`~papo.errors.DecodeError`; it never raises. :func:`encode_record` writes exactly
what the handout's client writes (``json.dumps(usuario).encode('utf-8')``), so the
handout's server reads papo's records and papo's server reads the handout's.
Keys other than the three are ignored, so a record with extra information still counts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from papo.errors import DecodeError, InputError
from papo.protocol.codec import bracket_depths

#: The largest record accepted, in bytes: the handout's server reads one ``recv(1024)``,
#: so a record that fits is read whole by every handout program too.
MAX_RECORD_BYTES = 1024

#: The longest ``nome`` accepted, in characters.
MAX_NOME_CHARS = 100

#: The youngest ``idade`` accepted (an integer, never a bool or a float).
MIN_IDADE = 0

#: The oldest ``idade`` accepted.
MAX_IDADE = 150

#: The longest ``email`` accepted, in characters (the SMTP path limit of RFC 5321).
MAX_EMAIL_CHARS = 254

#: The record's keys, in the handout's order.
RECORD_FIELDS = ("nome", "idade", "email")

# Plausible, not RFC 5322: one "@", something before it, a dotted domain after it, no
# spaces or control characters anywhere, no empty domain labels.
_EMAIL_RE = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f.]+(\.[^@\s\x00-\x1f\x7f.]+)+\Z")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Record:
    """One user record as the handout defines it."""

    nome: str
    idade: int
    email: str

    def as_dict(self) -> dict[str, object]:
        """The record as the handout's dictionary, keys in the handout's order."""
        return {"nome": self.nome, "idade": self.idade, "email": self.email}


def encode_record(record: Record) -> bytes:
    """The bytes the handout's client sends for the same dictionary."""
    return json.dumps(record.as_dict()).encode("utf-8")


def check_record(nome: object, idade: object, email: object) -> Record | DecodeError:
    """Return the record if every field is valid, else the first field's error."""
    if not isinstance(nome, str):
        return DecodeError("decode_wrong_type", field="nome", expected="string")
    if not nome.strip() or _SURROGATE_RE.search(nome):
        return DecodeError("record_bad_nome", max=MAX_NOME_CHARS)
    if len(nome) > MAX_NOME_CHARS:
        return DecodeError("decode_too_long", field="nome", length=len(nome), max=MAX_NOME_CHARS)
    if not isinstance(idade, int) or isinstance(idade, bool):
        return DecodeError("record_bad_idade", low=MIN_IDADE, high=MAX_IDADE)
    if not MIN_IDADE <= idade <= MAX_IDADE:
        return DecodeError("record_bad_idade", low=MIN_IDADE, high=MAX_IDADE)
    if not isinstance(email, str):
        return DecodeError("decode_wrong_type", field="email", expected="string")
    if len(email) > MAX_EMAIL_CHARS:
        return DecodeError("decode_too_long", field="email", length=len(email), max=MAX_EMAIL_CHARS)
    if not _EMAIL_RE.match(email):
        return DecodeError("record_bad_email")
    return Record(nome=nome, idade=idade, email=email)


def record_from_text(nome: str, idade: str, email: str) -> Record:
    """Build a record from what the user typed (``idade`` as text), or raise InputError."""
    text = idade.strip()
    number: object = int(text) if re.fullmatch(r"[+-]?[0-9]{1,4}", text) else text
    result = check_record(nome, number, email)
    if isinstance(result, DecodeError):
        raise InputError(result.code, **result.details)
    return result


def decode_record(payload: bytes, complete: bool = True) -> Record | DecodeError:
    """Decode the bytes of one record; return it or a typed error, never raise.

    ``complete`` says whether the sender finished (closed its side): a valid prefix of a
    JSON object is then reported as a partial record, not as garbage.
    """
    if len(payload) > MAX_RECORD_BYTES:
        return DecodeError("record_oversize", size=len(payload), max=MAX_RECORD_BYTES)
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return DecodeError("decode_invalid_utf8")
    text = text.removeprefix("\ufeff").strip()
    if not text:
        return DecodeError("record_empty" if complete else "record_nothing_in_time")
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        return DecodeError("decode_invalid_json", reason="nested too deeply")
    except ValueError as exc:  # JSONDecodeError, huge integers, NaN/Infinity
        if looks_partial(text):
            return DecodeError("record_partial" if complete else "record_timeout")
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        return DecodeError("decode_invalid_json", reason=reason[:80])
    if not isinstance(value, dict):
        return DecodeError("decode_not_object", kind=type(value).__name__)
    for key in RECORD_FIELDS:
        if key not in value:
            return DecodeError("decode_missing_field", field=key)
    return check_record(value["nome"], value["idade"], value["email"])


def is_complete_record(payload: bytes) -> bool:
    """True when ``payload`` already holds a whole JSON object (nothing more to wait for)."""
    if len(payload) > MAX_RECORD_BYTES or not payload.rstrip().endswith(b"}"):
        return False
    try:
        value = json.loads(payload.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return False
    return isinstance(value, dict)


def looks_partial(text: str) -> bool:
    """True when ``text`` is the start of a JSON object or array that was cut short."""
    if not text.startswith(("{", "[")):
        return False
    depth = 0
    for depth in bracket_depths(text):
        if depth <= 0:
            return False  # closed (or over-closed): whatever is wrong, it is not a cut
    # Still open. (A cut inside a string is still open too: the text starts with a bracket
    # and a string can only begin after it.)
    return depth > 0


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")
