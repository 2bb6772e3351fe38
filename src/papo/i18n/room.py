"""Texts of the multi-user TCP room: server and client."""

# code -> (pt-BR, en)
CATALOG: dict[str, tuple[str, str]] = {
    # framing (any newline-delimited stream)
    "frame_too_long": (
        "linha longa demais ({size} bytes; limite {max}): descartada",
        "line too long ({size} bytes; limit {max}): dropped",
    ),
    "frame_incomplete": (
        "a conexão terminou no meio de uma linha ({size} bytes sem '\\n')",
        "the connection ended in the middle of a line ({size} bytes without '\\n')",
    ),
}
