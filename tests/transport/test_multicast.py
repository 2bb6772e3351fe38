"""Multicast socket settings and their errors (no traffic: safe outside a namespace)."""

from __future__ import annotations

import errno
import os
import socket

import pytest

from papo.errors import ConfigError, NetworkError
from papo.transport.multicast import (
    MulticastConfig,
    MulticastReceiver,
    _os_error,
    format_address,
    parse_group,
    resolve_interface,
)


@pytest.mark.parametrize("group", ["224.3.29.71", "239.255.255.250", "ff02::1", "ff05::7007"])
def test_multicast_groups_are_accepted(group: str) -> None:
    assert parse_group(group).is_multicast


@pytest.mark.parametrize("group", ["10.0.0.1", "127.0.0.1", "::1", "nope", "", "224.0.0.256"])
def test_other_addresses_are_refused(group: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_group(group)
    assert info.value.code == "bad_group"


@pytest.mark.parametrize(
    ("config", "code"),
    [
        (MulticastConfig(port=0), "bad_port"),
        (MulticastConfig(port=65536), "bad_port"),
        (MulticastConfig(ttl=-1), "bad_ttl"),
        (MulticastConfig(ttl=256), "bad_ttl"),
        (MulticastConfig(group="1.2.3.4"), "bad_group"),
    ],
)
def test_config_validation(config: MulticastConfig, code: str) -> None:
    with pytest.raises(ConfigError) as info:
        config.validated()
    assert info.value.code == code


def test_interface_by_name_index_or_address() -> None:
    assert resolve_interface("lo", socket.AF_INET).index == socket.if_nametoindex("lo")
    assert resolve_interface("127.0.0.1", socket.AF_INET).ipv4 == "127.0.0.1"
    assert resolve_interface(None, socket.AF_INET).index == 0


def test_unknown_interface_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_interface("nosuchnic0", socket.AF_INET)
    assert info.value.code == "unknown_interface"


def test_addresses_are_formatted_for_people() -> None:
    assert format_address(("10.0.0.1", 5007)) == "10.0.0.1:5007"
    assert format_address(("fe80::1", 5007, 0, 2)) == "[fe80::1]:5007"


@pytest.mark.parametrize(
    ("errno_value", "code"),
    [
        (errno.ENETUNREACH, "no_multicast_route"),
        (errno.ENODEV, "no_multicast_route"),
        (errno.EACCES, "permission_denied"),
        (errno.EPERM, "permission_denied"),
        (errno.EADDRINUSE, "address_in_use"),
        (errno.EIO, "os_error"),
    ],
)
def test_operating_system_errors_become_explained_network_errors(errno_value, code) -> None:
    error = _os_error(
        OSError(errno_value, os.strerror(errno_value)), "action_send", MulticastConfig()
    )
    assert isinstance(error, NetworkError) and error.code == code
    assert "\n" not in str(error)


@pytest.mark.netns
def test_receiver_asks_for_a_large_receive_buffer() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as plain:
        default = plain.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    with MulticastReceiver(MulticastConfig(port=5099)) as receiver:
        granted = receiver.socket.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    assert granted > default
