"""Texts of the everyday chat window and its commands."""

# code -> (pt-BR, en)
CATALOG: dict[str, tuple[str, str]] = {
    "chat_welcome": (
        "Você é {nick}. Digite e tecle Enter; /help mostra os comandos; sair ou /quit sai.",
        "You are {nick}. Type and press Enter; /help lists the commands; sair or /quit leaves.",
    ),
    "chat_connected_multicast": (
        "na sala do grupo multicast {group} porta {port}",
        "in the room of multicast group {group} port {port}",
    ),
    "chat_connected_multicast_room": (
        "na sala {room} (grupo multicast {group} porta {port})",
        "in the room {room} (multicast group {group} port {port})",
    ),
    "chat_help": (
        "Comandos:\n"
        "  /help            esta ajuda\n"
        "  /who             quem está na sala\n"
        "  /msg NOME texto  mensagem privada para NOME\n"
        "  /nick NOVO       muda seu apelido\n"
        "  /me ação         ação em terceira pessoa (* ana acena)\n"
        "  /history [N]     as últimas N mensagens desta sala (padrão 20, máx. 500)\n"
        "  /search TEXTO    as mensagens desta sala com TEXTO (/buscar)\n"
        "  /clear           limpa a tela\n"
        "  /quit ou sair    sai da sala\n"
        "  //texto          envia um texto que começa com /\n"
        "  Tab              completa comandos e apelidos",
        "Commands:\n"
        "  /help            this help\n"
        "  /who             who is in the room\n"
        "  /msg NICK text   private message to NICK\n"
        "  /nick NEW        change your nick\n"
        "  /me action       third-person action (* ana waves)\n"
        "  /history [N]     the last N messages of this room (default 20, max 500)\n"
        "  /search TEXT     this room's messages with TEXT (pt: /buscar)\n"
        "  /clear           clear the screen\n"
        "  /quit or sair    leave the room\n"
        "  //text           send a text that starts with /\n"
        "  Tab              complete commands and nicks",
    ),
    "chat_who": ("Na sala ({count}): {nicks}", "In the room ({count}): {nicks}"),
    "chat_joined": ("{user} entrou na sala", "{user} joined the room"),
    "chat_left": ("{user} saiu", "{user} left"),
    "chat_renamed": ("{user} agora é {nick}", "{user} is now {nick}"),
    "chat_nick_now": ("seu apelido agora é {nick}", "your nick is now {nick}"),
    "chat_system": ("{text}", "{text}"),
    "chat_lost": (
        "{count} mensagem(ns) de {user} perdida(s) na rede",
        "{count} message(s) from {user} lost on the network",
    ),
    "chat_late": (
        "{count} mensagem(ns) de {user} dada(s) como perdida(s) chegou(aram) atrasada(s)",
        "{count} message(s) from {user} counted lost arrived late",
    ),
    "chat_dropped": (
        "mensagem inválida de {source} ignorada: {reason}",
        "invalid message from {source} dropped: {reason}",
    ),
    "chat_lookalike": (
        "atenção: {user} se parece com {other} (caracteres parecidos), não é a mesma pessoa",
        "warning: {user} looks like {other} (look-alike characters), it is not the same person",
    ),
    "chat_imitates": ("parece {other}!", "looks like {other}!"),
    "chat_private": ("privado", "private"),
    "chat_error": ("{reason}", "{reason}"),
    "chat_usage_me": ("uso: /me ação", "usage: /me action"),
    "chat_usage_nick": ("uso: /nick NOVO_APELIDO", "usage: /nick NEW_NICK"),
    "chat_usage_history": (
        "uso: /history [N], N de 1 a {max}",
        "usage: /history [N], N from 1 to {max}",
    ),
    "chat_usage_msg": ("uso: /msg APELIDO texto", "usage: /msg NICK text"),
    "chat_unknown_command": (
        "comando desconhecido {command}: /help mostra os comandos (//texto envia um /)",
        "unknown command {command}: /help lists the commands (//text sends a /)",
    ),
    "chat_not_connected": ("não conectado à sala", "not connected to the room"),
    "chat_private_needs_nick": (
        "mensagem privada sem destinatário",
        "private message without a recipient",
    ),
    "chat_unsupported_type": (
        "este transporte não envia mensagens do tipo {type!r}",
        "this transport does not send messages of type {type!r}",
    ),
    "chat_nick_taken": (
        "o apelido {nick!r} já está em uso na sala: escolha outro",
        "the nick {nick!r} is already taken in the room: pick another",
    ),
    "chat_receive_failed": (
        "falha ao receber da rede: {reason}",
        "receiving from the network failed: {reason}",
    ),
    "chat_bye": ("você saiu da sala.", "you left the room."),
    "chat_bad_login_nick": (
        "seu nome de login {nick!r} não serve como apelido: dê um, ex.: papo chat ana",
        "your login name {nick!r} is not a valid nick: give one, e.g. papo chat ana",
    ),
    "chat_p2p_unavailable": (
        "o modo P2P (--p2p) ainda não está disponível nesta instalação",
        "P2P mode (--p2p) is not available in this installation yet",
    ),
    "chat_server_unavailable": (
        "o cliente de sala TCP (--server) ainda não está disponível nesta instalação",
        "the TCP room client (--server) is not available in this installation yet",
    ),
    "chat_bad_server": (
        "servidor inválido {server!r}: use HOST ou HOST:PORTA",
        "invalid server {server!r}: use HOST or HOST:PORT",
    ),
    "chat_modes_conflict": (
        "escolha só um: --server, --p2p ou multicast (padrão)",
        "pick only one: --server, --p2p or multicast (the default)",
    ),
    "tui_toolbar": (
        "{nick} · {count} na sala{state} · Tab completa · /help ajuda",
        "{nick} · {count} in the room{state} · Tab completes · /help",
    ),
    "tui_offline": (" · sem conexão", " · offline"),
    "chat_usage_search": (
        "uso: /search TEXTO (ou /buscar TEXTO): as mensagens desta sala com TEXTO",
        "usage: /search TEXT: this room's messages containing TEXT",
    ),
}
