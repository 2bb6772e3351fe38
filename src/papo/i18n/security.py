"""Texts of passphrases, TLS, nick ownership."""

# code -> (pt-BR, en)
CATALOG: dict[str, tuple[str, str]] = {}
