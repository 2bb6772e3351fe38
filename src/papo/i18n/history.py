"""Texts of history, catch-up, NATS and the bridge."""

# code -> (pt-BR, en)
CATALOG: dict[str, tuple[str, str]] = {}
