"""`papo peer --senha` and `papo chat --p2p --senha`: the mesh in passphrase mode."""

from __future__ import annotations

import pytest

from papo.cli import build_parser, main
from papo.cli.chat import build_transport
from papo.cli.peer import build_mesh_transport
from papo.transport.mesh import MeshTransport


def test_peer_with_senha_builds_a_sealed_mesh(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("cryptography")
    monkeypatch.delenv("PAPO_SENHA", raising=False)
    args = build_parser("en").parse_args(["peer", "ana", "--senha", "pw", "--peer", "h:1"])
    transport = build_mesh_transport(args, "ana")
    assert isinstance(transport, MeshTransport) and transport._seal is not None


def test_chat_p2p_takes_the_passphrase_from_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("cryptography")
    monkeypatch.setenv("PAPO_SENHA", "pw")
    args = build_parser("en").parse_args(["chat", "ana", "--p2p", "--peer", "h:1"])
    transport = build_transport(args, "ana")
    assert isinstance(transport, MeshTransport) and transport._seal is not None


def test_peer_without_passphrase_is_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPO_SENHA", raising=False)
    args = build_parser("en").parse_args(["peer", "ana", "--peer", "h:1"])
    assert build_mesh_transport(args, "ana")._seal is None  # type: ignore[attr-defined]


def test_peer_senha_without_cryptography_is_one_line_saying_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("papo.protocol.sealed.CRYPTO_AVAILABLE", False)
    assert main(["--lang", "en", "peer", "ana", "--senha", "pw", "--peer", "h:1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pip install 'papo[crypto]'" in err
