"""Texts of the everyday chat window and its commands."""

# code -> (pt-BR, en)
CATALOG: dict[str, tuple[str, str]] = {}
