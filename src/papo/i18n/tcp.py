"""Texts of the TCP chats: the handout 1:1 chat (§1) and the JSON record (§3).

The pt-BR texts of the lines a handout program also prints (``Conectado com``,
``Dados recebidos``) keep the handout's words.
"""

# code -> (pt-BR, en)
CATALOG: dict[str, tuple[str, str]] = {
    # TCP errors shared by the 1:1 chat and the record commands
    "action_listen": ("abrir a porta TCP para conexões", "listen on the TCP port"),
    "action_connect": ("conectar", "connect"),
    "bad_host": (
        "endereço inválido {host!r}: use um IP (ex.: 127.0.0.1) ou um nome de máquina",
        "invalid address {host!r}: use an IP address (e.g. 127.0.0.1) or a host name",
    ),
    "connect_refused": (
        "ninguém aceita conexões em {address}: inicie o servidor antes (ou confira --host e "
        "--port)",
        "nobody accepts connections on {address}: start the server first (or check --host and "
        "--port)",
    ),
    "connect_failed": (
        "não foi possível conectar a {address}: {reason}",
        "could not connect to {address}: {reason}",
    ),
    # the handout's 1:1 chat (§1)
    "pair_waiting": (
        "Aguardando conexão em {address}...",
        "Waiting for a connection on {address}...",
    ),
    "pair_connected": ("Conectado com {name}", "Connected with {name}"),
    "pair_prompt": ("{name}> ", "{name}> "),
    "pair_peer_ended": ("{name} encerrou o chat.", "{name} ended the chat."),
    "pair_local_ended": ("chat encerrado.", "chat ended."),
    "pair_peer_gone": (
        "a conexão com {name} caiu sem 'fim': o outro lado fechou ou parou.",
        "the connection to {name} dropped without 'fim': the other side closed or stopped.",
    ),
    "pair_no_name": (
        "o outro lado não mandou o nome em {seconds} s: encerrando.",
        "the other side did not send its name within {seconds} s: giving up.",
    ),
    "pair_too_long": (
        "mensagem longa demais ({size} bytes; o limite do chat é {max}): não enviada, digite outra",
        "message too long ({size} bytes; the chat's limit is {max}): not sent, type another",
    ),
    "pair_peer_is_framed": (
        "o outro lado usa --moderno (mandou JSON): rode os dois lados com --moderno, ou nenhum",
        "the other side uses --framed (it sent JSON): start both sides with --framed, or neither",
    ),
    "pair_peer_not_framed": (
        "o outro lado não usa --moderno (mandou texto simples): rode os dois lados com "
        "--moderno, ou nenhum",
        "the other side does not use --framed (it sent plain text): start both sides with "
        "--framed, or neither",
    ),
    "pair_dropped": (
        "! mensagem ignorada de {name}: {reason}",
        "! message dropped from {name}: {reason}",
    ),
    "pair_line_too_long": (
        "linha grande demais (limite {max} bytes)",
        "line too large (limit {max} bytes)",
    ),
    # the JSON record (§3)
    "record_waiting": (
        "Aguardando conexões em {address}...",
        "Waiting for connections on {address}...",
    ),
    "record_connected": ("Conectado a {address}", "Connected to {address}"),
    "record_received": ("Dados recebidos:", "Data received:"),
    "record_summary": (
        "Dados recebidos. Nome: {nome}. Idade: {idade}. Email: {email}",
        "Data received. Name: {nome}. Age: {idade}. Email: {email}",
    ),
    "record_rejected": (
        "! registro recusado de {source}: {reason}",
        "! record rejected from {source}: {reason}",
    ),
    "record_sent": (
        "Registro enviado para {address}: {record}",
        "Record sent to {address}: {record}",
    ),
    "record_bad_nome": (
        "o campo 'nome' deve ser um texto não vazio (até {max} caracteres)",
        "field 'nome' must be a non-empty text (up to {max} characters)",
    ),
    "record_bad_idade": (
        "o campo 'idade' deve ser um número inteiro de {low} a {high}",
        "field 'idade' must be a whole number from {low} to {high}",
    ),
    "record_bad_email": (
        "o campo 'email' não parece um e-mail (ex.: alice@example.com)",
        "field 'email' does not look like an e-mail address (e.g. alice@example.com)",
    ),
    "record_oversize": (
        "registro grande demais (mais de {max} bytes)",
        "record too large (more than {max} bytes)",
    ),
    "record_empty": ("a conexão fechou sem mandar dados", "the connection closed without data"),
    "record_partial": (
        "JSON incompleto: o cliente fechou a conexão no meio do registro",
        "incomplete JSON: the client closed the connection in the middle of the record",
    ),
    "record_timeout": (
        "JSON incompleto: o cliente parou de enviar no meio do registro (tempo esgotado)",
        "incomplete JSON: the client stopped sending in the middle of the record (timed out)",
    ),
    "record_nothing_in_time": (
        "o cliente não mandou nada a tempo",
        "the client sent nothing in time",
    ),
    # `papo tcp servidor` and `papo servidor` share a default port: name the likely holder
    "address_in_use_by_room": (
        "a porta {port} já está em uso, talvez por um servidor de salas (`papo servidor` "
        "escuta na {port} por padrão): feche-o ou use --port com outra porta",
        "port {port} is already in use, maybe by a room server (`papo serve` listens on "
        "{port} by default): close it or pick another with --port",
    ),
    "address_in_use_by_pair": (
        "a porta {port} já está em uso, talvez por um chat TCP 1:1 (`papo tcp servidor` "
        "escuta na {port} por padrão): feche-o ou use --port com outra porta",
        "port {port} is already in use, maybe by a 1:1 TCP chat (`papo tcp server` listens "
        "on {port} by default): close it or pick another with --port",
    ),
}
