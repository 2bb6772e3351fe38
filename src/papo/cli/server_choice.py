"""``--server auto``: the room server's address from the local network instead of typing it."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from papo.errors import ConfigError

#: The ``--server`` value that looks for a room server on the local network.
AUTO_SERVER = "auto"


def wants_search(text: str) -> bool:
    """True when ``--server`` asks to look for a room server (``auto``, any case)."""
    return text.strip().casefold() == AUTO_SERVER


def server_address(
    args: argparse.Namespace, parse: Callable[[str], tuple[str, int]], tls_given: bool
) -> tuple[str, int]:
    """``--server``'s host and port: parsed with ``parse``, or found on the network."""
    text = args.server
    if not wants_search(text):
        return parse(text)
    from papo.ui.rooms import choose_room

    room = choose_room(getattr(args, "interface", None), args.lang, tls_given=tls_given)
    if not room.host:
        raise ConfigError("rooms_none", seconds=0)
    return room.host, room.port


__all__ = ["AUTO_SERVER", "server_address", "wants_search"]
