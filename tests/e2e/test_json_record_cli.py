"""The §3 JSON record end to end: papo and the handout's listings, real processes, 127.0.0.1."""

from __future__ import annotations

import json
import signal
import socket
import sys

import pytest
from conftest import PAPO, ROOT, free_tcp_port

HOST = "127.0.0.1"
HANDOUT = ROOT / "tests" / "handout"
LISTING_CLIENT = [sys.executable, str(HANDOUT / "json_client_s3.py")]
LISTING_SERVER = [sys.executable, str(HANDOUT / "json_server_s3.py")]
ALICE_FORMS = [
    "Dados recebidos:",
    "{'nome': 'Alice', 'idade': 25, 'email': 'alice@example.com'}",
    "Dados recebidos:",
    "Alice",
    "25",
    "alice@example.com",
    "Dados recebidos. Nome: Alice. Idade: 25. Email: alice@example.com",
]


def papo_server(run_process, port: int, *extra: str, lang: str = "pt"):
    server = run_process(
        [*PAPO, "json", "servidor", "--host", HOST, "--port", str(port), *extra], lang=lang
    )
    server.wait_for(f"{HOST}:{port}")
    return server


def send_raw(port: int, payload: bytes, close: bool = True) -> socket.socket:
    sock = socket.create_connection((HOST, port), timeout=10)
    sock.sendall(payload)
    if close:
        sock.close()
    return sock


def forms_after_connection(lines: list[str]) -> list[str]:
    start = next(i for i, line in enumerate(lines) if line.startswith("Conectado a"))
    return [line.rstrip() for line in lines[start + 1 : start + 8]]


def test_handout_client_to_papo_server_prints_the_three_forms_like_the_listing(run_process):
    listing_port, papo_port = free_tcp_port(), free_tcp_port()
    listing = run_process([*LISTING_SERVER, str(listing_port), HOST])
    listing.wait_for("Aguardando conexões...")
    papo = papo_server(run_process, papo_port, "--uma-vez")
    for port in (listing_port, papo_port):
        assert run_process([*LISTING_CLIENT, str(port), HOST]).wait() == 0

    assert listing.wait() == 0 and papo.wait() == 0
    assert forms_after_connection(listing.rest()) == ALICE_FORMS
    assert forms_after_connection(papo.rest()) == ALICE_FORMS


def test_papo_client_to_handout_server(run_process):
    port = free_tcp_port()
    listing = run_process([*LISTING_SERVER, str(port), HOST])
    listing.wait_for("Aguardando conexões...")
    args = ["--nome", "Alice", "--idade", "25", "--email", "alice@example.com"]
    papo = run_process([*PAPO, "json", "enviar", *args, "--host", HOST, "--port", str(port)])
    assert papo.wait() == 0
    assert papo.wait_for("Record sent to").endswith(
        '{"nome": "Alice", "idade": 25, "email": "alice@example.com"}'
    )
    assert listing.wait() == 0
    assert forms_after_connection(listing.rest()) == ALICE_FORMS


def test_papo_client_sends_accents_the_handout_server_reads(run_process):
    port = free_tcp_port()
    listing = run_process([*LISTING_SERVER, str(port), HOST])
    listing.wait_for("Aguardando conexões...")
    args = ["--nome", "João Araújo", "--idade", "0", "--email", "joao@exemplo.com.br"]
    assert run_process([*PAPO, "json", "send", *args, "--port", str(port)]).wait() == 0
    listing.wait_for("Nome: João Araújo. Idade: 0. Email: joao@exemplo.com.br")
    assert listing.wait() == 0


def test_papo_server_keeps_serving_and_english_forms(run_process):
    port = free_tcp_port()
    papo = papo_server(run_process, port, lang="en")
    for nome in ("Ana", "Bia"):
        args = ["--nome", nome, "--idade", "30", "--email", f"{nome.lower()}@x.org"]
        assert run_process([*PAPO, "json", "send", *args, "--port", str(port)]).wait() == 0
        papo.wait_for(f"Data received. Name: {nome}. Age: 30. Email: {nome.lower()}@x.org")
    papo.popen.send_signal(signal.SIGINT)
    assert papo.wait() == 0
    assert "Traceback" not in papo.stderr_now()


BAD_RECORDS = {
    "oversize": json.dumps({"nome": "A" * 2000, "idade": 25, "email": "a@b.co"}).encode(),
    "partial": b'{"nome": "Alice", "idade": 2',
    "non-JSON": b"ola servidor, tudo bem?",
    "idade out of range": json.dumps({"nome": "Alice", "idade": 200, "email": "a@b.co"}).encode(),
    "bad email": json.dumps({"nome": "Alice", "idade": 25, "email": "alice"}).encode(),
    "idade as text": json.dumps({"nome": "Alice", "idade": "25", "email": "a@b.co"}).encode(),
    "invalid UTF-8": b'{"nome": "\xff", "idade": 25, "email": "a@b.co"}',
    "empty": b"",
}
REASONS = {
    "oversize": "more than 1024 bytes",
    "partial": "incomplete JSON",
    "non-JSON": "invalid JSON",
    "idade out of range": "'idade'",
    "bad email": "'email'",
    "idade as text": "'idade'",
    "invalid UTF-8": "UTF-8",
    "empty": "without data",
}


@pytest.mark.parametrize("kind", list(BAD_RECORDS))
def test_a_bad_record_gets_one_line_and_the_server_serves_the_next(run_process, kind: str):
    port = free_tcp_port()
    papo = papo_server(run_process, port, lang="en")
    send_raw(port, BAD_RECORDS[kind])
    papo.wait_for("Connected to")
    rejection = papo.wait_for("record rejected")
    assert REASONS[kind] in rejection
    assert run_process([*LISTING_CLIENT, str(port), HOST]).wait() == 0
    papo.wait_for("Connected to")
    assert papo.wait_for("Data received") == "Data received:"
    papo.wait_for("Data received. Name: Alice")
    papo.popen.send_signal(signal.SIGINT)
    assert papo.wait() == 0
    lines = papo.rest()
    assert sum("rejected" in line for line in lines) == 1
    assert "Traceback" not in papo.stderr_now()


def test_a_client_that_stops_mid_record_is_timed_out_and_the_next_is_served(run_process):
    port = free_tcp_port()
    papo = papo_server(run_process, port, "--timeout", "0.5", lang="en")
    stalled = send_raw(port, b'{"nome": "Ali', close=False)
    try:
        assert "timed out" in papo.wait_for("record rejected")
    finally:
        stalled.close()
    assert run_process([*LISTING_CLIENT, str(port), HOST]).wait() == 0
    papo.wait_for("Data received. Name: Alice")


def test_a_record_sent_without_closing_is_served_at_once(run_process):
    port = free_tcp_port()
    papo = papo_server(run_process, port, "--timeout", "30", lang="en")
    held = send_raw(
        port, json.dumps({"nome": "Ana", "idade": 9, "email": "a@b.co"}).encode(), False
    )
    try:
        papo.wait_for("Data received. Name: Ana", timeout=5)
    finally:
        held.close()


def test_once_stops_after_one_client_with_its_verdict(run_process):
    port = free_tcp_port()
    papo = papo_server(run_process, port, "--once", lang="en")
    send_raw(port, b"not json")
    assert papo.wait() == 1


def test_invalid_fields_on_the_command_line_give_one_line(run_process):
    args = ["--nome", "Alice", "--idade", "vinte", "--email", "alice@example.com"]
    papo = run_process([*PAPO, "json", "enviar", *args, "--port", str(free_tcp_port())])
    assert papo.wait() == 1
    error = papo.stderr_now().strip()
    assert error.count("\n") == 0 and "'idade'" in error


def test_json_server_on_a_port_in_use_gives_one_line(run_process):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind((HOST, 0))
        holder.listen()
        port = holder.getsockname()[1]
        papo = run_process([*PAPO, "json", "server", "--host", HOST, "--port", str(port)])
        assert papo.wait() == 1
        error = papo.stderr_now().strip()
    assert error.count("\n") == 0 and str(port) in error


def test_a_silent_client_does_not_hold_up_the_next_one(run_process):
    port = free_tcp_port()
    papo = papo_server(run_process, port, "--timeout", "30", lang="en")
    silent = socket.create_connection((HOST, port), timeout=10)
    try:
        assert run_process([*LISTING_CLIENT, str(port), HOST]).wait() == 0
        papo.wait_for("Data received. Name: Alice", timeout=5)
    finally:
        silent.close()
    assert "without data" in papo.wait_for("record rejected")
