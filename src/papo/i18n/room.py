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
        "não entrou na sala a tempo: conexão encerrada",
        "did not join the room in time: connection closed",
    ),
    "room_bad_nick": (
        "apelido inválido {nick!r}: use de 1 a {max} letras, números, '_', '-' ou '.'",
        "invalid nick {nick!r}: use 1 to {max} letters, digits, '_', '-' or '.'",
    ),
    "room_nick_taken": (
        "o apelido {nick!r} já está em uso na sala: tente {suggestion!r}",
        "the nick {nick!r} is already taken in this room: try {suggestion!r}",
    ),
    "room_bad_max_rooms": (
        "--max-rooms {value} não serve: use de 0 a {max}",
        "--max-rooms {value} is not valid: use 0 to {max}",
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
    "room_too_many_rooms": (
        "o servidor já tem salas demais (no máximo {max}): tente uma sala que já existe",
        "the server has too many rooms (at most {max}): try a room that exists already",
    ),
    "room_bad_room": (
        "nome de sala inválido {room}: use de 1 a {max} letras, números, '_' ou '-'",
        "invalid room name {room}: use 1 to {max} letters, digits, '_' or '-'",
    ),
    "room_quit": ("pediu para sair", "quit"),
    "room_connection_lost": ("conexão perdida", "connection lost"),
    "room_idle_timeout": (
        "sem resposta ao ping de keep-alive: conexão encerrada",
        "no answer to the keep-alive ping: connection closed",
    ),
    "room_slow_consumer": (
        "lento demais para receber (ficou para trás além do limite): desconectado",
        "too slow to receive (fell behind past the limit): disconnected",
    ),
    "room_server_shutdown": (
        "o servidor da sala está encerrando",
        "the room server is shutting down",
    ),
    "room_refused": ("o servidor recusou a conexão", "the server refused the connection"),
    # the client (papo connect, papo chat --server): link states and problems
    "connected": (
        "conectado à sala em {where} como {nick}",
        "connected to the room at {where} as {nick}",
    ),
    "reconnecting": (
        "conexão com {where} perdida: tentando de novo em {seconds} s (tentativa {attempt})",
        "lost the connection to {where}: retrying in {seconds} s (attempt {attempt})",
    ),
    "disconnected": (
        "desisti de reconectar a {where}: verifique se o servidor está no ar",
        "gave up reconnecting to {where}: check that the server is running",
    ),
    "room_unreachable": (
        "não foi possível conectar à sala em {where} ({reason}): o servidor está no ar? "
        "Inicie um com `papo serve`",
        "could not connect to the room at {where} ({reason}): is the server running? "
        "Start one with `papo serve`",
    ),
    "room_join_timeout": (
        "o servidor em {where} não respondeu à entrada na sala",
        "the server at {where} did not answer the join",
    ),
    "room_closed_during_join": (
        "o servidor em {where} fechou a conexão durante a entrada na sala",
        "the server at {where} closed the connection during the join",
    ),
    "room_not_connected": (
        "sem conexão com a sala em {where} agora: mensagem não enviada",
        "not connected to the room at {where} right now: message not sent",
    ),
    "room_queued": (
        "sem conexão com {where}: o que você digitar será enviado quando ela voltar",
        "no connection to {where}: what you type will be sent when it is back",
    ),
    "room_undelivered": (
        "{count} mensagem(ns) não foi(foram) entregue(s): {texts}",
        "{count} message(s) were not delivered: {texts}",
    ),
    "room_unacked_full": (
        "{count} mensagens ainda esperam a confirmação do servidor em {where}: "
        "mensagem não enviada, tente de novo",
        "{count} messages are still waiting for the server at {where} to confirm them: "
        "message not sent, try again",
    ),
    "room_session_replaced": (
        "a mesma sessão entrou de novo por outra conexão",
        "the same session joined again from another connection",
    ),
    "room_private_needs_nick": (
        "mensagem privada sem destinatário: use /msg APELIDO texto",
        "private message without a recipient: use /msg NICK text",
    ),
    "room_cannot_send": (
        "a sala não envia mensagens do tipo {type!r}",
        "the room does not send messages of type {type!r}",
    ),
    "room_bad_host": (
        "endereço desconhecido {host!r} ({reason})",
        "unknown address {host!r} ({reason})",
    ),
    # the server console (papo serve)
    "room_log_listening": (
        "Servidor da sala papo ouvindo em {addresses} (Ctrl-C encerra)",
        "papo room server listening on {addresses} (Ctrl-C stops)",
    ),
    "room_log_joined": (
        "+ {nick} entrou de {peer} ({count} na sala)",
        "+ {nick} joined from {peer} ({count} in the room)",
    ),
    "room_log_left": (
        "- {nick} saiu ({reason}); {count} na sala",
        "- {nick} left ({reason}); {count} in the room",
    ),
    "room_log_refused": (
        "x conexão de {peer} encerrada: {reason}",
        "x connection from {peer} closed: {reason}",
    ),
    "room_log_nick": ("~ {old} agora é {new}", "~ {old} is now {new}"),
    "room_log_bad_line": ("! linha inválida de {who}: {reason}", "! bad line from {who}: {reason}"),
    "room_log_shutdown": (
        "Encerrando: avisando {clients} cliente(s)...",
        "Shutting down: telling {clients} client(s)...",
    ),
    "room_log_internal_error": (
        "! erro interno com {peer} (só essa conexão foi fechada): {error}",
        "! internal error with {peer} (only that connection was closed): {error}",
    ),
    "room_log_stopped": ("Servidor da sala encerrado.", "Room server stopped."),
    "room_bad_address": (
        "endereço inválido {address!r}: use HOST, HOST:PORTA ou [IPv6]:PORTA",
        "invalid address {address!r}: use HOST, HOST:PORT or [IPv6]:PORT",
    ),
    # history for joiners
    "room_history_start": (
        "{count} mensagem(ns) anterior(es) desta sala:",
        "{count} earlier message(s) from this room:",
    ),
    "room_history_end": ("fim das mensagens anteriores", "end of the earlier messages"),
    "room_bad_history": (
        "--history deve estar entre 0 e {max} (recebido {value})",
        "--history must be between 0 and {max} (got {value})",
    ),
    # TLS
    "room_tls_client_on_plain": (
        "o cliente tentou TLS, mas este servidor não usa TLS (inicie-o com --tls-cert e --tls-key)",
        "the client tried TLS, but this server is plain (start it with --tls-cert and --tls-key)",
    ),
    "room_log_listening_tls": (
        "Servidor da sala papo ouvindo com TLS em {addresses} (Ctrl-C encerra)",
        "papo room server listening with TLS on {addresses} (Ctrl-C stops)",
    ),
    "tls_bad_cert": (
        "certificado {cert!r} ou chave {key!r} inválidos ({reason}): use arquivos PEM que combinem",
        "invalid certificate {cert!r} or key {key!r} ({reason}): use PEM files that match",
    ),
    "tls_bad_ca": (
        "arquivo de CA {path!r} inválido ({reason}): use um certificado PEM",
        "invalid CA file {path!r} ({reason}): use a PEM certificate",
    ),
    "tls_file_unreadable": (
        "não foi possível ler {path!r}: {reason}",
        "could not read {path!r}: {reason}",
    ),
    "tls_needs_server": (
        "--tls, --tls-ca e --tls-insecure só valem com --server HOST",
        "--tls, --tls-ca and --tls-insecure only apply with --server HOST",
    ),
    "tls_needs_both": (
        "--tls-cert e --tls-key vão juntos: informe os dois",
        "--tls-cert and --tls-key go together: give both",
    ),
    "tls_untrusted": (
        "o certificado do servidor em {where} não é confiável ({reason}): use --tls-ca ARQUIVO "
        "com a CA ou o certificado do servidor",
        "the certificate of the server at {where} is not trusted ({reason}): use --tls-ca FILE "
        "with its CA or certificate",
    ),
    "tls_hostname_mismatch": (
        "o certificado do servidor em {where} não vale para o nome {host!r}: conecte pelo nome "
        "que está no certificado",
        "the certificate of the server at {where} is not valid for the name {host!r}: connect "
        "with a name the certificate lists",
    ),
    "tls_server_not_tls": (
        "o servidor em {where} não respondeu em TLS: ele usa TLS? Tente sem --tls",
        "the server at {where} did not answer in TLS: does it use TLS? Try without --tls",
    ),
    "room_closed_silently": (
        "o servidor em {where} fechou a conexão sem responder: se ele usa TLS, conecte com "
        "--tls (ou --tls-ca ARQUIVO)",
        "the server at {where} closed the connection without answering: if it uses TLS, "
        "connect with --tls (or --tls-ca FILE)",
    ),
    "tls_server_needs_tls": (
        "o servidor em {where} usa TLS: conecte com --tls (ou --tls-ca ARQUIVO)",
        "the server at {where} uses TLS: connect with --tls (or --tls-ca FILE)",
    ),
    "tls_insecure_warning": (
        "AVISO: --tls-insecure não verifica o servidor; qualquer um no caminho pode se passar "
        "por ele",
        "WARNING: --tls-insecure does not verify the server; anyone on the path can pose as it",
    ),
}
