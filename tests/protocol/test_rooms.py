"""Named multicast rooms: a group derived from the name, names checked, never a crash."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.errors import ConfigError
from papo.protocol.rooms import (
    MAX_ROOM_NAME_CHARS,
    check_room_name,
    fold_room,
    room_group,
    room_key,
)


def test_a_name_gives_one_organization_local_group_whatever_its_case() -> None:
    group = room_group("grupo1")
    assert group == room_group("GRUPO1") == room_group("Grupo1")
    assert ipaddress.ip_address(group) in ipaddress.ip_network("239.192.0.0/16")
    assert room_group("grupo2") != group
    assert room_key("Turma-A") == "turma-a"


@pytest.mark.parametrize(
    "name", ["", "com espaço", "a/b", "x" * (MAX_ROOM_NAME_CHARS + 1), "\x1b[31m"]
)
def test_a_bad_name_is_one_clear_error(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_room_name(name)
    assert caught.value.code == "bad_room"
    assert "\x1b" not in str(caught.value.details)


def test_accented_names_are_rooms_too() -> None:
    assert room_group("reunião") == room_group("REUNIÃO")


@given(st.text(max_size=200))
def test_folding_a_received_room_name_never_raises(name: str) -> None:
    assert isinstance(fold_room(name), str)
