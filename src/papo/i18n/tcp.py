"""Texts of the TCP chats: the handout 1:1 chat, the JSON record, the room server and client."""

# code -> (pt-BR, en)
CATALOG: dict[str, tuple[str, str]] = {}
