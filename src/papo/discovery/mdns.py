"""Finding peers with mDNS/DNS-SD (``_papo._tcp.local.``) through the ``zeroconf`` library.

The optional extra ``papo[mdns]`` installs zeroconf; without it :func:`require_zeroconf`
raises a ConfigError whose text says how to install it, and nothing else changes.
Each node registers the service instance ``papo-<node id>._papo._tcp.local.`` with its
TCP port and the TXT keys ``node``, ``nick`` and ``v``, and browses for the others; what
it resolves becomes a :class:`~papo.protocol.beacon.PeerSighting` for the mesh.
Tools such as ``avahi-browse -r _papo._tcp`` or ``dns-sd -B _papo._tcp`` list papo nodes.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from typing import Any

from papo.discovery.interfaces import beacon_interfaces
from papo.errors import ConfigError, NetworkError
from papo.protocol.beacon import Beacon, PeerSighting

#: The DNS-SD service type of papo's P2P chat.
SERVICE_TYPE = "_papo._tcp.local."

#: Milliseconds to wait for a peer's service record when resolving it.
RESOLVE_TIMEOUT_MS = 3000

Found = Callable[[PeerSighting], None]


def require_zeroconf() -> None:
    """Raise ConfigError("mdns_missing") unless the zeroconf library is installed."""
    try:
        import zeroconf  # noqa: F401
    except ImportError:
        raise ConfigError("mdns_missing") from None


def instance_name(node: str) -> str:
    """The DNS-SD instance of a node (the nick, which may be long, is in TXT)."""
    return f"papo-{node}.{SERVICE_TYPE}"


class MdnsDiscovery:
    """Register this node as ``_papo._tcp`` and browse for the others (zeroconf, asyncio)."""

    name = "mdns"

    def __init__(self, interface: str | None = None) -> None:
        self.interface_spec = interface
        self._zeroconf: Any = None
        self._browser: Any = None
        self._info: Any = None
        self._found: Found | None = None
        self._node = ""
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, announce: Beacon, found: Found) -> None:
        """Register the service and start browsing; raise ConfigError/NetworkError."""
        require_zeroconf()
        from zeroconf import Error as ZeroconfError
        from zeroconf import IPVersion
        from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

        addresses = [i.ipv4 for i in beacon_interfaces(self.interface_spec) if i.ipv4]
        if not addresses:
            raise NetworkError("beacon_no_interface")
        self._found, self._node = found, announce.node
        try:
            self._zeroconf = AsyncZeroconf(interfaces=addresses, ip_version=IPVersion.V4Only)
            self._info = AsyncServiceInfo(
                SERVICE_TYPE,
                instance_name(announce.node),
                addresses=[socket.inet_aton(address) for address in addresses],
                port=announce.port,
                properties={
                    "node": announce.node,
                    "nick": announce.nick,
                    "v": str(announce.version),
                },
                server=f"papo-{announce.node}.local.",
            )
            await self._zeroconf.async_register_service(self._info)
            self._browser = AsyncServiceBrowser(
                self._zeroconf.zeroconf, [SERVICE_TYPE], handlers=[self._on_change]
            )
        except (OSError, ValueError, ZeroconfError) as exc:
            await self.close()
            raise NetworkError("mdns_failed", reason=str(exc)[:120]) from None

    async def close(self) -> None:
        """Unregister, stop browsing and close zeroconf; safe to call twice."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._browser is not None:
            with contextlib.suppress(Exception):
                await self._browser.async_cancel()
            self._browser = None
        if self._zeroconf is not None:
            zc, self._zeroconf = self._zeroconf, None
            with contextlib.suppress(OSError, RuntimeError):
                await asyncio.wait_for(zc.async_unregister_all_services(), 2.0)
            with contextlib.suppress(OSError, RuntimeError, TimeoutError):
                await asyncio.wait_for(zc.async_close(), 2.0)

    def _on_change(self, zeroconf: Any, service_type: str, name: str, state_change: Any) -> None:
        from zeroconf import ServiceStateChange

        if state_change not in (ServiceStateChange.Added, ServiceStateChange.Updated):
            return
        if name == instance_name(self._node):
            return
        task = asyncio.ensure_future(self._resolve(zeroconf, service_type, name))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resolve(self, zeroconf: Any, service_type: str, name: str) -> None:
        from zeroconf import IPVersion
        from zeroconf.asyncio import AsyncServiceInfo

        info = AsyncServiceInfo(service_type, name)
        if not await info.async_request(zeroconf, RESOLVE_TIMEOUT_MS) or not info.port:
            return
        properties = {
            (key or b"").decode("utf-8", "replace"): (value or b"").decode("utf-8", "replace")
            for key, value in (info.properties or {}).items()
        }
        node = properties.get("node") or None
        if node == self._node or self._found is None:
            return
        for address in info.parsed_addresses(IPVersion.V4Only):
            self._found(
                PeerSighting(
                    node=node,
                    nick=properties.get("nick") or None,
                    host=address,
                    port=info.port,
                    method=self.name,
                )
            )


__all__ = ["SERVICE_TYPE", "MdnsDiscovery", "instance_name", "require_zeroconf"]
