"""TLS on the room server and its client: real sockets on 127.0.0.1, throwaway certificates."""

from __future__ import annotations

import asyncio
import os
import random
import ssl
import warnings
from pathlib import Path

import pytest

pytest.importorskip("cryptography")

from papo.errors import ConfigError, NetworkError
from papo.i18n import translate
from papo.protocol.message import ChatMessage
from papo.protocol.room import join_line
from papo.protocol.room_state import Log
from papo.transport.base import Delivered
from papo.transport.tcp_client import RoomClientConfig, TcpRoomClient
from papo.transport.tcp_server import RoomServer, RoomServerConfig
from papo.transport.tls import (
    MINIMUM_TLS_VERSION,
    TlsClientOptions,
    client_context,
    looks_like_tls,
    server_context,
)
from papo.ui.text import error_text
from tests.transport.room_helpers import RawClient, run
from tests.transport.tls_certs import ServerFiles, make_server_files

NO_RETRY = RoomClientConfig(reconnect_attempts=0, connect_timeout=3.0, join_timeout=3.0)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> ServerFiles:
    """A CA and a certificate it signs for localhost, 127.0.0.1 and ::1."""
    return make_server_files(tmp_path_factory.mktemp("tls") / "good")


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> ServerFiles:
    """Another CA, and a certificate for a name that is not this machine."""
    return make_server_files(
        tmp_path_factory.mktemp("tls") / "other", names=("other.example",), addresses=()
    )


def tls_config(files: ServerFiles) -> RoomServerConfig:
    return RoomServerConfig(
        host="127.0.0.1", port=0, tls=server_context(str(files.cert), str(files.key))
    )


def trusting(files: ServerFiles) -> ssl.SSLContext:
    return client_context(TlsClientOptions(ca_file=str(files.ca)))


async def next_delivered(client: TcpRoomClient, events, timeout: float = 5.0) -> ChatMessage:
    async with asyncio.timeout(timeout):
        async for event in events:
            if isinstance(event, Delivered) and event.message.type == "chat":
                return event.message
    raise AssertionError("events ended")


async def refused(host: str, port: int, tls: ssl.SSLContext | None) -> NetworkError:
    client = TcpRoomClient(host, port, "eve", config=NO_RETRY, tls=tls)
    with pytest.raises(NetworkError) as caught:
        await client.open()
    await client.close()
    return caught.value


def one_line(error: NetworkError) -> str:
    text = error_text(error, "en")
    assert "\n" not in text and text.strip() == text
    return text


def test_contexts_refuse_anything_older_than_tls_1_2(certs: ServerFiles) -> None:
    assert ssl.TLSVersion.TLSv1_2 <= MINIMUM_TLS_VERSION
    server = server_context(str(certs.cert), str(certs.key))
    assert server.minimum_version >= ssl.TLSVersion.TLSv1_2
    for options in (TlsClientOptions(), TlsClientOptions(ca_file=str(certs.ca))):
        context = client_context(options)
        assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
        assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED


def test_insecure_options_turn_verification_off() -> None:
    context = client_context(TlsClientOptions(insecure=True))
    assert not context.check_hostname and context.verify_mode == ssl.CERT_NONE


def test_two_clients_chat_over_tls_verified_against_the_ca(certs: ServerFiles) -> None:
    async def body() -> None:
        server = RoomServer(tls_config(certs))
        await server.start()
        ana = TcpRoomClient("127.0.0.1", server.port, "ana", tls=trusting(certs))
        bia = TcpRoomClient("localhost", server.port, "bia", tls=trusting(certs))
        try:
            await ana.open()
            await bia.open()
            await ana.send(ChatMessage(user="ana", data="segredo 🔒"))
            got = await next_delivered(bia, bia.events())
            assert (got.user, got.data) == ("ana", "segredo 🔒")
        finally:
            await ana.close()
            await bia.close()
            await server.close()

    run(body())


def test_a_client_with_a_cap_below_tls_1_2_is_refused(certs: ServerFiles) -> None:
    async def body() -> None:
        server = RoomServer(tls_config(certs))
        await server.start()
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.check_hostname = False
        old.verify_mode = ssl.CERT_NONE
        try:
            with warnings.catch_warnings():  # the very reason it must be refused
                warnings.simplefilter("ignore", DeprecationWarning)
                old.minimum_version = ssl.TLSVersion.TLSv1_1
                old.maximum_version = ssl.TLSVersion.TLSv1_1
        except ValueError:
            pytest.skip("this OpenSSL cannot even offer TLS 1.1")
        try:
            with pytest.raises((ssl.SSLError, ConnectionError)):
                async with asyncio.timeout(5):
                    await asyncio.open_connection("127.0.0.1", server.port, ssl=old)
        finally:
            await server.close()

    run(body())


def test_an_untrusted_certificate_is_one_line_naming_tls_ca(
    certs: ServerFiles, stranger: ServerFiles
) -> None:
    async def body() -> None:
        server = RoomServer(tls_config(certs))
        await server.start()
        try:
            for context in (client_context(TlsClientOptions()), trusting(stranger)):
                error = await refused("127.0.0.1", server.port, context)
                assert error.code == "tls_untrusted"
                assert "--tls-ca" in one_line(error)
        finally:
            await server.close()

    run(body())


def test_a_certificate_for_another_name_is_a_hostname_mismatch(stranger: ServerFiles) -> None:
    async def body() -> None:
        server = RoomServer(tls_config(stranger))
        await server.start()
        try:
            error = await refused("127.0.0.1", server.port, trusting(stranger))
            assert error.code == "tls_hostname_mismatch"
            assert "'127.0.0.1'" in one_line(error)
        finally:
            await server.close()

    run(body())


def test_insecure_mode_connects_to_an_untrusted_server(stranger: ServerFiles) -> None:
    async def body() -> None:
        server = RoomServer(tls_config(stranger))
        await server.start()
        client = TcpRoomClient(
            "127.0.0.1", server.port, "ana", tls=client_context(TlsClientOptions(insecure=True))
        )
        try:
            await client.open()
            assert client.connected
        finally:
            await client.close()
            await server.close()

    run(body())


def test_a_plain_client_on_a_tls_server_is_told_to_use_tls(certs: ServerFiles) -> None:
    async def body() -> None:
        server = RoomServer(tls_config(certs))
        await server.start()
        try:
            error = await refused("127.0.0.1", server.port, None)
            assert error.code in ("room_closed_silently", "tls_server_needs_tls")
            assert "--tls" in one_line(error)
        finally:
            await server.close()

    run(body())


def test_a_tls_client_on_a_plain_server_is_told_the_server_is_plain(certs: ServerFiles) -> None:
    async def body() -> None:
        logs: list[Log] = []
        server = RoomServer(RoomServerConfig(host="127.0.0.1", port=0), log=logs.append)
        await server.start()
        try:
            error = await refused("127.0.0.1", server.port, trusting(certs))
            assert error.code == "tls_server_not_tls"
            assert "without --tls" in one_line(error)
            async with asyncio.timeout(5):
                while not any(
                    entry.details.get("reason") == "room_tls_client_on_plain" for entry in logs
                ):
                    await asyncio.sleep(0.01)
            assert "--tls-cert" in translate("room_tls_client_on_plain", "en")
        finally:
            await server.close()

    run(body())


def test_tls_records_are_recognised() -> None:
    assert looks_like_tls(b"\x15\x03\x03\x00\x02\x02\x46")
    assert looks_like_tls(b"\x16\x03\x01\x02\x00")
    assert not looks_like_tls(b'{"user": "ana"}')
    assert not looks_like_tls(b"")


def test_bad_files_are_one_line_config_errors(certs: ServerFiles, stranger: ServerFiles) -> None:
    with pytest.raises(ConfigError) as missing:
        server_context("/nonexistent/cert.pem", str(certs.key))
    assert missing.value.code == "tls_file_unreadable"
    with pytest.raises(ConfigError) as mismatched:
        server_context(str(certs.cert), str(stranger.key))
    assert mismatched.value.code == "tls_bad_cert"
    with pytest.raises(ConfigError) as not_pem:
        client_context(TlsClientOptions(ca_file=str(certs.key)))
    assert not_pem.value.code == "tls_bad_ca"
    with pytest.raises(ConfigError) as no_ca:
        client_context(TlsClientOptions(ca_file="/nonexistent/ca.pem"))
    assert no_ca.value.code == "tls_file_unreadable"
    for error in (missing, mismatched, not_pem, no_ca):
        assert "\n" not in error_text(error.value, "en")


GARBAGE_CONNECTIONS = 20
PAIR_MESSAGES = 50  # under the rate limit burst (RATE_BURST)


def test_plain_and_tls_garbage_do_not_disturb_a_good_tls_pair(certs: ServerFiles) -> None:
    """Plain JSON, random bytes and TLS-wrapped junk hammer the server while a pair chats."""
    insecure = client_context(TlsClientOptions(insecure=True))
    rng = random.Random(8)

    async def plain_junk(port: int) -> None:
        with_junk = [join_line("mallory"), os.urandom(300), b"\x16\x03\x01\x00\x05hello\n"]
        try:
            client = await RawClient.connect(port)
            await client.send(rng.choice(with_junk))
            await client.eof(timeout=5)
        except (ConnectionError, OSError):
            pass

    async def tls_junk(port: int) -> None:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=insecure)
            writer.write(os.urandom(2000) + b"\n" + b"not json\n" * 30)
            await writer.drain()
            writer.transport.abort()
        except (ConnectionError, OSError):
            pass

    async def body() -> None:
        server = RoomServer(tls_config(certs))
        await server.start()
        port = server.port
        ana = TcpRoomClient("127.0.0.1", port, "ana", tls=trusting(certs))
        bia = TcpRoomClient("127.0.0.1", port, "bia", tls=trusting(certs))
        try:
            await ana.open()
            await bia.open()
            events = bia.events()
            attackers = [
                asyncio.create_task(plain_junk(port) if n % 2 else tls_junk(port))
                for n in range(GARBAGE_CONNECTIONS)
            ]
            for number in range(PAIR_MESSAGES):
                await ana.send(ChatMessage(user="ana", data=f"m{number}"))
            got = [(await next_delivered(bia, events)).data for _ in range(PAIR_MESSAGES)]
            assert got == [f"m{number}" for number in range(PAIR_MESSAGES)]
            async with asyncio.timeout(15):
                await asyncio.gather(*attackers)
            assert ana.connected and bia.connected
            late = TcpRoomClient("localhost", port, "cida", tls=trusting(certs))
            await late.open()  # the server still takes good clients
            await late.close()
        finally:
            await ana.close()
            await bia.close()
            await server.close()

    run(body(), timeout=40)


def test_cert_files_are_written_where_asked(certs: ServerFiles) -> None:
    for path in (certs.cert, certs.key, certs.ca):
        assert Path(path).read_bytes().startswith(b"-----BEGIN ")
