"""`papo tcp servidor` and `papo servidor` share port 5050 by default; when it is taken,
the error names the other program, which probably holds it."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from conftest import ROOT, papo_env

from papo.protocol.room import DEFAULT_ROOM_PORT
from papo.transport.tcp_pair import DEFAULT_CHAT_PORT


def test_the_1_1_chat_and_the_room_server_share_their_default_port() -> None:
    # The handout's §1 gives no port (it is taught with videos): neither default wins.
    assert DEFAULT_CHAT_PORT == DEFAULT_ROOM_PORT == 5050


@pytest.fixture
def default_port_taken() -> Iterator[None]:
    """Port 5050 on 127.0.0.1 held by a listener of this test (in its own namespace)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", DEFAULT_ROOM_PORT))
        holder.listen()
        yield


def _papo(args: list[str], lang: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "papo", *args],
        cwd=ROOT,
        env=papo_env(lang),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.netns
@pytest.mark.usefixtures("default_port_taken")
@pytest.mark.parametrize(
    ("args", "lang", "named"),
    [
        (["tcp", "servidor", "bia", "--host", "127.0.0.1"], "pt", "`papo servidor`"),
        (["tcp", "server", "bia", "--host", "127.0.0.1"], "en", "`papo serve`"),
        (["servidor"], "pt", "`papo tcp servidor`"),
        (["serve"], "en", "`papo tcp server`"),
    ],
)
def test_taken_default_port_names_the_other_papo_program(
    args: list[str], lang: str, named: str
) -> None:
    result = _papo(args, lang)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "5050" in lines[0] and named in lines[0] and "--port" in lines[0]


@pytest.mark.netns
def test_taken_other_port_says_only_that_it_is_in_use() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = _papo(["serve", "--port", str(port)], "en")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"papo: error: port {port} is already in use by another program: close it or pick "
        "another with --port"
    )
