"""Library addresses name rooms on every transport: ``papo://host?room=NAME``, ``p2p://?room=``."""

from __future__ import annotations

import pytest

from papo.errors import ConfigError
from papo.session.client import build_transport, parse_room_address
from papo.transport.tcp_client import TcpRoomClient


def test_a_papo_address_with_a_room_joins_that_room_of_the_server() -> None:
    transport = build_transport(parse_room_address("papo://127.0.0.1:5050?room=grupo1"), "ana")
    assert isinstance(transport, TcpRoomClient) and transport.room == "grupo1"


def test_a_papo_address_without_a_room_joins_the_default_room() -> None:
    transport = build_transport(parse_room_address("papo://127.0.0.1"), "ana")
    assert isinstance(transport, TcpRoomClient) and transport.room is None


def test_a_bad_room_name_in_an_address_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        build_transport(parse_room_address("papo://127.0.0.1?room=a%20b"), "ana")
    assert caught.value.code == "bad_room"


def test_a_p2p_address_with_a_room_builds_a_mesh_node_of_that_room() -> None:
    from papo.transport.mesh import MeshTransport

    transport = build_transport(parse_room_address("p2p://127.0.0.1:4000?beacons=0&room=g1"), "ana")
    assert isinstance(transport, MeshTransport) and transport.room == "g1"
