"""Texts of peer-to-peer chat, discovery and `papo doctor`."""

# code -> (pt-BR, en)
CATALOG: dict[str, tuple[str, str]] = {}
