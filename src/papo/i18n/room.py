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
    # what the room server tells a client (error codes and leave reasons)
    "room_not_json": (
        'a sala só aceita linhas JSON como {{"user": "ana", "data": "oi"}}',
        'the room only accepts JSON lines like {{"user": "ana", "data": "hi"}}',
    ),
    "room_hello_expected": (
        "a primeira linha deve ser a entrada na sala: "
        '{{"user": "SEU_APELIDO", "data": "", "type": "join"}}',
        'the first line must join the room: {{"user": "YOUR_NICK", "data": "", "type": "join"}}',
    ),
    "room_hello_timeout": (
        "nenhuma entrada na sala em {seconds} s: conexão encerrada",
        "no join within {seconds} s: connection closed",
    ),
    "room_bad_nick": (
        "apelido inválido {nick!r}: use de 1 a {max} letras, números, '_', '-' ou '.'",
        "invalid nick {nick!r}: use 1 to {max} letters, digits, '_', '-' or '.'",
    ),
    "room_nick_taken": (
        "o apelido {nick!r} já está em uso na sala: tente {suggestion!r}",
        "the nick {nick!r} is already taken in this room: try {suggestion!r}",
    ),
    "room_unknown_nick": (
        "ninguém chamado {nick!r} na sala (veja /who)",
        "nobody called {nick!r} in the room (see /who)",
    ),
    "room_unexpected_type": (
        "tipo de mensagem {type!r} não é aceito aqui",
        "message type {type!r} is not accepted here",
    ),
    "room_rate_limited": (
        "mensagens rápidas demais (limite {rate} por segundo): mensagem descartada",
        "messages too fast (limit {rate} per second): message dropped",
    ),
    "room_too_many_errors": (
        "linhas inválidas demais: conexão encerrada",
        "too many invalid lines: connection closed",
    ),
    "room_full": ("a sala está cheia", "the room is full"),
    "room_quit": ("saiu", "left"),
    "room_connection_lost": ("conexão perdida", "connection lost"),
    "room_idle_timeout": (
        "sem resposta ao ping em {seconds} s: conexão encerrada",
        "no answer to ping within {seconds} s: connection closed",
    ),
    "room_slow_consumer": (
        "cliente lento demais: {queued} bytes esperando envio (limite {max}); desconectado",
        "client too slow: {queued} bytes waiting to be sent (limit {max}); disconnected",
    ),
    "room_server_shutdown": (
        "o servidor da sala está encerrando",
        "the room server is shutting down",
    ),
}
