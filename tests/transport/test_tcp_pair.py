"""The 1:1 TCP sockets: listening with SO_REUSEADDR, clear errors, reads that never raise."""

from __future__ import annotations

import socket
import threading

import pytest
from conftest import free_tcp_port

from papo.errors import ConfigError, NetworkError
from papo.transport.tcp_pair import HANDOUT_RECV_BYTES, PairListener, connect, format_address

HOST = "127.0.0.1"


def pair(listener: PairListener):
    client = connect(HOST, listener.port)
    server = listener.accept(timeout=5)
    assert server is not None
    return client, server


def test_listener_accepts_a_client_and_bytes_flow_both_ways() -> None:
    with PairListener(HOST, 0) as listener:
        assert listener.address == f"{HOST}:{listener.port}"
        client, server = pair(listener)
        with client, server:
            assert client.send(b"ana")
            assert server.receive(timeout=5) == b"ana"
            assert server.send("olá".encode())
            assert client.receive(timeout=5) == "olá".encode()
            assert server.peer.startswith(f"{HOST}:")


def test_listener_sets_so_reuseaddr() -> None:
    with PairListener(HOST, 0) as listener:
        option = listener._socket.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
        assert option != 0


def test_a_port_left_in_time_wait_can_be_listened_on_again() -> None:
    port = free_tcp_port()
    with PairListener(HOST, port) as listener:
        client, server = pair(listener)
        server.close()  # the server closes first: its side of the port enters TIME_WAIT
        assert client.receive(timeout=5) == b""
        client.close()
    with PairListener(HOST, port) as again:
        assert again.port == port


def test_a_port_held_by_another_listener_is_address_in_use() -> None:
    with socket.socket() as holder:
        holder.bind((HOST, 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(NetworkError) as caught:
            PairListener(HOST, port)
    assert caught.value.code == "address_in_use"
    assert caught.value.details["port"] == port


def test_accept_times_out_with_none() -> None:
    with PairListener(HOST, 0) as listener:
        assert listener.accept(timeout=0.05) is None


def test_connecting_where_nobody_listens_says_to_start_the_server() -> None:
    with pytest.raises(NetworkError) as caught:
        connect(HOST, free_tcp_port())
    assert caught.value.code == "connect_refused"
    assert "start the server first" in str(caught.value)


@pytest.mark.parametrize("host", ["no such host!", "999.1.1.1"])
def test_a_bad_host_is_a_config_error(host: str) -> None:
    with pytest.raises(ConfigError):
        connect(host, 5050)


def test_a_bad_port_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        PairListener(HOST, 70000)


def test_receive_reads_at_most_one_handout_message() -> None:
    with PairListener(HOST, 0) as listener:
        client, server = pair(listener)
        with client, server:
            client.send(b"x" * 3000)
            first = server.receive(timeout=5)
            assert 0 < len(first) <= HANDOUT_RECV_BYTES


def test_a_reset_connection_reads_as_end_of_stream() -> None:
    with PairListener(HOST, 0) as listener:
        client, server = pair(listener)
        with server:
            raw = client._socket
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            client.close()  # linger 0: the kernel sends RST instead of FIN
            assert server.receive(timeout=5) == b""
            assert server.send(b"late") in (True, False)  # never raises
            assert server.receive(timeout=5) == b""


def test_send_to_a_closed_peer_returns_false_instead_of_raising() -> None:
    with PairListener(HOST, 0) as listener:
        client, server = pair(listener)
        client.close()
        with server:
            results = [server.send(b"x" * 65536) for _ in range(50)]
            assert results[-1] is False


def test_receive_times_out_with_timeout_error() -> None:
    with PairListener(HOST, 0) as listener:
        client, server = pair(listener)
        with client, server, pytest.raises(TimeoutError):
            server.receive(timeout=0.05)


def test_shutdown_wakes_a_thread_blocked_in_receive() -> None:
    with PairListener(HOST, 0) as listener:
        client, server = pair(listener)
        results: list[bytes] = []
        reader = threading.Thread(target=lambda: results.append(server.receive()))
        reader.start()
        server.shutdown()
        reader.join(5)
        assert results == [b""]
        client.close()
        server.close()


def test_receive_until_close_gathers_pieces_until_the_peer_closes() -> None:
    with PairListener(HOST, 0) as listener:
        client, server = pair(listener)
        client.send(b'{"nome": ')
        client.send(b'"Alice"}')
        client.close()
        with server:
            assert server.receive_until_close(1024, timeout=5) == (b'{"nome": "Alice"}', True)


def test_receive_until_close_stops_just_past_the_limit() -> None:
    with PairListener(HOST, 0) as listener:
        client, server = pair(listener)
        with client, server:
            client.send(b"x" * 5000)
            data, finished = server.receive_until_close(1024, timeout=5)
            assert (len(data), finished) == (1025, True)


def test_receive_until_close_stops_when_done_says_so() -> None:
    with PairListener(HOST, 0) as listener:
        client, server = pair(listener)
        with client, server:
            client.send(b"{}")
            data, finished = server.receive_until_close(
                1024, timeout=5, done=lambda data: data.endswith(b"}")
            )
            assert (data, finished) == (b"{}", True)


def test_receive_until_close_gives_up_at_the_deadline() -> None:
    with PairListener(HOST, 0) as listener:
        client, server = pair(listener)
        with client, server:
            client.send(b'{"nome"')
            data, finished = server.receive_until_close(1024, timeout=0.2)
            assert (data, finished) == (b'{"nome"', False)


def test_ipv6_loopback_works_when_available() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        listener = PairListener("::1", 0)
    except NetworkError:
        pytest.skip("::1 not configured here")
    with listener:
        assert listener.address.startswith("[::1]:")
        client = connect("::1", listener.port)
        server = listener.accept(timeout=5)
        assert server is not None
        with client, server:
            client.send(b"oi")
            assert server.receive(timeout=5) == b"oi"


def test_format_address() -> None:
    assert format_address(("10.0.0.1", 5050)) == "10.0.0.1:5050"
    assert format_address(("::1", 5050, 0, 0)) == "[::1]:5050"
