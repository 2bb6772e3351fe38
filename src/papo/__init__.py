"""papo: chat for local networks (multicast, client/server and P2P)."""

__version__ = "0.1.0"
