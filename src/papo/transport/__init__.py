"""Transports: one module per way of moving bytes (multicast, tcp, mesh, broker)."""
