"""The §3 JSON record: encoding like the handout, strict and total decoding, named limits."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.errors import DecodeError, InputError
from papo.protocol.record import (
    MAX_EMAIL_CHARS,
    MAX_IDADE,
    MAX_NOME_CHARS,
    MAX_RECORD_BYTES,
    MIN_IDADE,
    Record,
    check_record,
    decode_record,
    encode_record,
    is_complete_record,
    looks_partial,
    record_from_text,
)

ALICE = {"nome": "Alice", "idade": 25, "email": "alice@example.com"}


def wire(obj: object) -> bytes:
    return json.dumps(obj).encode("utf-8")


def test_encoding_is_byte_for_byte_what_the_handout_client_sends() -> None:
    usuario = {"nome": "Alice", "idade": 25, "email": "alice@example.com"}
    assert encode_record(Record("Alice", 25, "alice@example.com")) == json.dumps(usuario).encode(
        "utf-8"
    )


def test_handout_client_bytes_decode_to_the_record() -> None:
    assert decode_record(wire(ALICE)) == Record("Alice", 25, "alice@example.com")


def test_accented_names_round_trip() -> None:
    record = Record("João Araújo", 40, "joão@exemplo.com.br")
    assert decode_record(encode_record(record)) == record


def test_extra_keys_are_ignored() -> None:
    assert isinstance(decode_record(wire({**ALICE, "cidade": "Natal"})), Record)


@pytest.mark.parametrize(
    ("nome", "idade", "email"),
    [
        ("A", MIN_IDADE, "a@b.co"),
        ("x" * MAX_NOME_CHARS, MAX_IDADE, "first.last+tag@sub.example.org"),
        ("Zoë", 30, "z@" + "d" * 60 + ".com"),
        ("Ana", 1, "a" * 64 + "@" + "b" * (MAX_EMAIL_CHARS - 70) + ".com"),
    ],
)
def test_valid_fields_are_accepted(nome: str, idade: int, email: str) -> None:
    assert check_record(nome, idade, email) == Record(nome, idade, email)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"nome": ""}, "record_bad_nome"),
        ({"nome": "   "}, "record_bad_nome"),
        ({"nome": 7}, "decode_wrong_type"),
        ({"nome": None}, "decode_wrong_type"),
        ({"nome": "x" * (MAX_NOME_CHARS + 1)}, "decode_too_long"),
        ({"nome": "a\ud800"}, "record_bad_nome"),
        ({"idade": -1}, "record_bad_idade"),
        ({"idade": MAX_IDADE + 1}, "record_bad_idade"),
        ({"idade": True}, "record_bad_idade"),
        ({"idade": 25.0}, "record_bad_idade"),
        ({"idade": "25"}, "record_bad_idade"),
        ({"idade": None}, "record_bad_idade"),
        ({"email": "alice"}, "record_bad_email"),
        ({"email": "alice@"}, "record_bad_email"),
        ({"email": "@example.com"}, "record_bad_email"),
        ({"email": "alice@example"}, "record_bad_email"),
        ({"email": "alice@@example.com"}, "record_bad_email"),
        ({"email": "al ice@example.com"}, "record_bad_email"),
        ({"email": "alice@example..com"}, "record_bad_email"),
        ({"email": "alice@example.com\n"}, "record_bad_email"),
        ({"email": "a@" + "b" * MAX_EMAIL_CHARS + ".com"}, "decode_too_long"),
        ({"email": ["a@b.co"]}, "decode_wrong_type"),
    ],
)
def test_invalid_fields_give_a_typed_error(fields: dict[str, object], code: str) -> None:
    result = decode_record(wire({**ALICE, **fields}))
    assert isinstance(result, DecodeError)
    assert result.code == code


@pytest.mark.parametrize("field", ["nome", "idade", "email"])
def test_a_missing_field_is_named(field: str) -> None:
    obj = {key: value for key, value in ALICE.items() if key != field}
    result = decode_record(wire(obj))
    assert isinstance(result, DecodeError)
    assert (result.code, result.details["field"]) == ("decode_missing_field", field)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"", "record_empty"),
        (b"  \n", "record_empty"),
        (b"ola servidor", "decode_invalid_json"),
        (b"\xff\xfe{}", "decode_invalid_utf8"),
        (b"[1, 2]", "decode_not_object"),
        (b'"Alice"', "decode_not_object"),
        (b'{"nome": "Alice", "idade": NaN, "email": "a@b.co"}', "decode_invalid_json"),
        (b'{"nome": "Alice", "idade": 25} trailing', "decode_invalid_json"),
        (b'{"nome": "Alice", "idade": 2', "record_partial"),
        (b'{"nome": "Ali', "record_partial"),
        (b"{", "record_partial"),
        (b"[" * 600, "record_partial"),
    ],
)
def test_bad_payloads_give_a_typed_error(payload: bytes, code: str) -> None:
    result = decode_record(payload)
    assert isinstance(result, DecodeError)
    assert result.code == code


def test_a_record_over_the_limit_is_refused_before_parsing() -> None:
    padded = wire({**ALICE, "nome": "A" * MAX_RECORD_BYTES})
    result = decode_record(padded)
    assert isinstance(result, DecodeError)
    assert result.code == "record_oversize"
    assert result.details["max"] == MAX_RECORD_BYTES


def test_a_record_exactly_at_the_limit_is_accepted() -> None:
    base = wire({**ALICE, "extra": ""})
    record = wire({**ALICE, "extra": "x" * (MAX_RECORD_BYTES - len(base))})
    assert len(record) == MAX_RECORD_BYTES
    assert isinstance(decode_record(record), Record)


def test_a_cut_record_that_timed_out_says_so() -> None:
    result = decode_record(b'{"nome": "Al', complete=False)
    assert isinstance(result, DecodeError)
    assert result.code == "record_timeout"
    nothing = decode_record(b"", complete=False)
    assert isinstance(nothing, DecodeError)
    assert nothing.code == "record_nothing_in_time"


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    deep = b'{"nome": ' + b"[" * 500 + b"]" * 500 + b', "idade": 1, "email": "a@b.co"}'
    result = decode_record(deep)
    assert isinstance(result, DecodeError)


def test_complete_record_detection_waits_for_the_closing_brace() -> None:
    whole = wire(ALICE)
    assert is_complete_record(whole)
    assert is_complete_record(whole + b"\n")
    assert not any(is_complete_record(whole[:cut]) for cut in range(len(whole)))
    assert not is_complete_record(b"[1]")


@pytest.mark.parametrize(
    ("text", "partial"),
    [('{"a": "}', True), ('{"a": "\\"', True), ('{"a": 1}', False), ("{}}", False), ("x{", False)],
)
def test_partial_json_is_told_apart_from_garbage(text: str, partial: bool) -> None:
    assert looks_partial(text) is partial


def test_typed_fields_become_a_record() -> None:
    assert record_from_text("Alice", " 25 ", "alice@example.com") == Record(
        "Alice", 25, "alice@example.com"
    )


@pytest.mark.parametrize("idade", ["vinte", "25.5", "", "151", "-3", "1e3", "99999999999"])
def test_typed_bad_age_raises_input_error(idade: str) -> None:
    with pytest.raises(InputError) as caught:
        record_from_text("Alice", idade, "alice@example.com")
    assert caught.value.code == "record_bad_idade"


@given(st.binary(max_size=MAX_RECORD_BYTES + 64))
def test_any_bytes_give_a_record_or_a_typed_error(payload: bytes) -> None:
    for complete in (True, False):
        result = decode_record(payload, complete=complete)
        assert isinstance(result, Record | DecodeError)


@given(
    st.dictionaries(
        st.sampled_from(["nome", "idade", "email", "x"]),
        st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.lists(st.text()),
    )
)
def test_any_json_object_gives_a_record_or_a_typed_error(obj: dict[str, object]) -> None:
    result = decode_record(json.dumps(obj).encode())
    assert isinstance(result, Record | DecodeError)
    if isinstance(result, Record):
        assert MIN_IDADE <= result.idade <= MAX_IDADE


@given(st.text(max_size=MAX_NOME_CHARS), st.integers(MIN_IDADE, MAX_IDADE))
def test_valid_records_round_trip(nome: str, idade: int) -> None:
    result = check_record(nome, idade, "a@b.co")
    if isinstance(result, Record):
        assert decode_record(encode_record(result)) == result
