"""Texts of the multi-user TCP room: server and client."""

# code -> (pt-BR, en)
CATALOG: dict[str, tuple[str, str]] = {}
