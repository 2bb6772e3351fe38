"""Texts of the foundation: errors, decoding, the handout's multicast roles."""

# code -> (pt-BR, en)
CATALOG: dict[str, tuple[str, str]] = {
    # generic errors
    "error": ("erro", "error"),
    "config": ("configuração inválida", "invalid setting"),
    "network": ("erro de rede", "network error"),
    "input": ("entrada inválida", "invalid input"),
    "decode": ("mensagem inválida", "invalid message"),
    "handout_usage": (
        "uso: python multicast.py emissor NOME    (digite as mensagens; 'sair' encerra todos)\n"
        "     python multicast.py receptor NOME   (mostra as mensagens do grupo)\n"
        "     mais: python multicast.py --help",
        "usage: python multicast.py sender NAME     (type messages; 'sair' stops everyone)\n"
        "       python multicast.py receiver NAME   (shows the group's messages)\n"
        "       more: python multicast.py --help",
    ),
    # configuration
    "bad_group": (
        "{group!r} não é um endereço de grupo multicast "
        "(use 224.0.0.0–239.255.255.255 ou ff00::/8)",
        "{group!r} is not a multicast group address (use 224.0.0.0–239.255.255.255 or ff00::/8)",
    ),
    "bad_port": (
        "porta inválida {port!r}: use um número de 1 a 65535",
        "invalid port {port!r}: use a number from 1 to 65535",
    ),
    "bad_ttl": (
        "TTL inválido {ttl!r}: use um número de 0 a 255 (1 = só a rede local)",
        "invalid TTL {ttl!r}: use a number from 0 to 255 (1 = local network only)",
    ),
    "unknown_interface": (
        "interface desconhecida {interface!r}: veja as interfaces com `ip addr` e use o nome "
        "(ex.: eth0) ou o endereço IP",
        "unknown interface {interface!r}: list interfaces with `ip addr` and give the name "
        "(e.g. eth0) or its IP address",
    ),
    "ipv6_needs_interface": (
        "o grupo IPv6 {group} precisa de uma interface: use --interface NOME",
        "the IPv6 group {group} needs an interface: use --interface NAME",
    ),
    "bad_room": (
        "nome de sala inválido {room}: use de 1 a {max} letras, números, '_' ou '-'",
        "invalid room name {room}: use 1 to {max} letters, digits, '_' or '-'",
    ),
    "room_and_group": (
        "--room {room} já escolhe o grupo da sala: não use --group {group} junto",
        "--room {room} already picks the room's group: do not add --group {group}",
    ),
    "bad_nick": (
        "apelido inválido {nick!r}: use de 1 a {max} letras, números, '_', '-' ou '.' "
        "(sem espaços)",
        "invalid nick {nick!r}: use 1 to {max} letters, digits, '_', '-' or '.' (no spaces)",
    ),
    # network
    "no_multicast_route": (
        "sem rota multicast para {group}: conecte-se a uma rede, escolha a interface com "
        "--interface, ou rode `papo doctor`",
        "no multicast route to {group}: connect to a network, pick the interface with "
        "--interface, or run `papo doctor`",
    ),
    "permission_denied": (
        "permissão negada ao {action} ({reason}): um firewall ou a política do sistema bloqueia; "
        "tente outra porta ou outro grupo",
        "permission denied while trying to {action} ({reason}): a firewall or system policy "
        "blocks it; try another port or group",
    ),
    "address_in_use": (
        "a porta {port} já está em uso por outro programa: feche-o ou use --port com outra porta",
        "port {port} is already in use by another program: close it or pick another with --port",
    ),
    "os_error": ("não foi possível {action}: {reason}", "could not {action}: {reason}"),
    "action_join": ("entrar no grupo multicast", "join the multicast group"),
    "action_send": ("enviar ao grupo multicast", "send to the multicast group"),
    "action_bind": ("abrir a porta", "open the port"),
    "action_setup": ("configurar o socket", "set up the socket"),
    # input
    "input_too_long": (
        "mensagem longa demais ({length} caracteres; o limite é {max}): não enviada",
        "message too long ({length} characters; the limit is {max}): not sent",
    ),
    "too_many_parts": (
        "mensagem grande demais: precisaria de {parts} datagramas (limite {max}); não enviada",
        "message too large: it would take {parts} datagrams (limit {max}); not sent",
    ),
    # decode reasons (what a peer sent)
    "decode_empty": ("datagrama vazio", "empty datagram"),
    "decode_oversize": (
        "datagrama grande demais ({size} bytes; limite {max})",
        "datagram too large ({size} bytes; limit {max})",
    ),
    "decode_invalid_utf8": ("não é texto UTF-8 válido", "not valid UTF-8 text"),
    "decode_invalid_json": ("JSON inválido ({reason})", "invalid JSON ({reason})"),
    "decode_not_object": (
        "JSON não é um objeto (é {kind})",
        "JSON is not an object (it is {kind})",
    ),
    "decode_too_deep": (
        "JSON aninhado demais (limite {max} níveis)",
        "JSON nested too deeply (limit {max} levels)",
    ),
    "decode_missing_field": ("falta o campo {field!r}", "field {field!r} is missing"),
    "decode_wrong_type": (
        "o campo {field!r} deveria ser {expected}",
        "field {field!r} should be {expected}",
    ),
    "decode_too_long": (
        "o campo {field!r} é longo demais ({length}; limite {max})",
        "field {field!r} is too long ({length}; limit {max})",
    ),
    "decode_bad_value": ("valor inválido no campo {field!r}", "invalid value in field {field!r}"),
    # the handout's multicast roles
    "receiver_ready": (
        "Receptor de {nick} aguardando mensagens em {group} porta {port}...",
        "Receiver of {nick} waiting for messages on {group} port {port}...",
    ),
    "sender_ready": (
        "Emissor {nick} pronto em {group} porta {port}: digite mensagens; 'sair' encerra.",
        "Sender {nick} ready on {group} port {port}: type messages; 'sair' ends.",
    ),
    "sender_prompt": ("{nick}> ", "{nick}> "),
    "plain_text": ("texto simples", "plain text"),
    "rejected": (
        "! datagrama ignorado de {source}: {reason}",
        "! datagram dropped from {source}: {reason}",
    ),
    "lost": (
        "! {count} mensagem(ns) de {user} perdida(s) na rede",
        "! {count} message(s) from {user} lost on the network",
    ),
    "late": (
        "! {count} mensagem(ns) de {user} dada(s) como perdida(s) chegou(aram) atrasada(s)",
        "! {count} message(s) from {user} counted lost arrived late",
    ),
    "ended_by": (
        "{user} digitou 'sair': encerrando o receptor.",
        "{user} typed 'sair': the receiver stops.",
    ),
    "interrupted": ("encerrado.", "stopped."),
    "sent_quit": (
        "'sair' enviado: os receptores do grupo vão encerrar.",
        "'sair' sent: the group's receivers will stop.",
    ),
    "error_prefix": ("papo: erro: {text}", "papo: error: {text}"),
}
