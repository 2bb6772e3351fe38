"""Texts of history, catch-up, NATS and the bridge."""

# code -> (pt-BR, en)
CATALOG: dict[str, tuple[str, str]] = {
    # the local history file
    "history_open_failed": (
        "não foi possível abrir o histórico {path}: {reason} (use outro caminho com "
        "PAPO_HISTORY=arquivo)",
        "could not open the history {path}: {reason} (pick another path with PAPO_HISTORY=file)",
    ),
    "history_write_failed": (
        "não foi possível gravar no histórico {path}: {reason}",
        "could not write to the history {path}: {reason}",
    ),
    "history_read_failed": (
        "não foi possível ler o histórico {path}: {reason}",
        "could not read the history {path}: {reason}",
    ),
    "history_bad_retention": (
        "retenção inválida {retention!r}: guarde ao menos 1 mensagem por sala",
        "invalid retention {retention!r}: keep at least 1 message per room",
    ),
    # /history, scroll-back and catch-up in the chat window
    "history_shown": (
        "histórico: as últimas {count} mensagem(ns) desta sala",
        "history: the last {count} message(s) of this room",
    ),
    "history_scrollback": (
        "histórico: {count} mensagem(ns) anterior(es)",
        "history: {count} earlier message(s)",
    ),
    "history_caught_up": (
        "recuperadas dos colegas: {count} mensagem(ns) que você perdeu",
        "caught up from peers: {count} message(s) you missed",
    ),
    "history_search": (
        "busca: {count} mensagem(ns) com '{text}' (as mais recentes)",
        "search: {count} message(s) with '{text}' (the newest)",
    ),
    "history_search_none": (
        "nenhuma mensagem com '{text}' no histórico desta sala",
        "no message with '{text}' in this room's history",
    ),
    "history_end": ("fim do histórico", "end of history"),
    "history_empty": (
        "nenhuma mensagem no histórico desta sala",
        "no messages in this room's history",
    ),
    "history_off": (
        "histórico desligado (--no-history): nada foi guardado",
        "history is off (--no-history): nothing was kept",
    ),
    # NATS
    "nats_missing_extra": (
        "o transporte NATS precisa do extra nats: pip install 'papo[nats]'",
        "the NATS transport needs the nats extra: pip install 'papo[nats]'",
    ),
    "nats_no_server": (
        "diga a qual servidor NATS conectar: --server nats://host:4222",
        "say which NATS server to connect to: --server nats://host:4222",
    ),
    "nats_bad_url": (
        "URL NATS inválida {url!r}: use nats://host:porta",
        "invalid NATS URL {url!r}: use nats://host:port",
    ),
    "nats_bad_room": (
        "sala inválida {room!r}: use de 1 a 64 letras ASCII, números, '_' ou '-'",
        "invalid room {room!r}: use 1 to 64 ASCII letters, digits, '_' or '-'",
    ),
    "nats_connect_failed": (
        "não foi possível conectar ao NATS ({servers}): {reason}; o servidor está rodando?",
        "could not connect to NATS ({servers}): {reason}; is the server running?",
    ),
    "nats_no_jetstream": (
        "o servidor NATS {server} não tem JetStream: inicie-o com -js (veja deploy/nats)",
        "the NATS server {server} has no JetStream: start it with -js (see deploy/nats)",
    ),
    "nats_stream_failed": (
        "não foi possível preparar o histórico da sala {room} no NATS: {reason}",
        "could not set up the history of room {room} on NATS: {reason}",
    ),
    "nats_publish_failed": (
        "mensagem não confirmada pelo cluster NATS ({reason}): não enviada",
        "message not acknowledged by the NATS cluster ({reason}): not sent",
    ),
    "nats_not_connected": ("sem conexão com o NATS", "not connected to NATS"),
    "nats_history_start": (
        "mensagens anteriores desta sala:",
        "earlier messages from this room:",
    ),
    "nats_history_end": ("fim das mensagens anteriores", "end of the earlier messages"),
    "nats_connected": (
        "na sala {room} pelo servidor NATS {server}",
        "in room {room} through NATS server {server}",
    ),
    "nats_disconnected": (
        "conexão com o NATS perdida; reconectando...",
        "lost the NATS connection; reconnecting...",
    ),
    "nats_reconnected": (
        "reconectado ao NATS por {server}",
        "reconnected to NATS through {server}",
    ),
    "nats_presence_failed": (
        "presença não enviada ao NATS: {reason}",
        "presence not sent to NATS: {reason}",
    ),
    # the bridge
    "bridge_ready": (
        "Ponte pronta: multicast {group} porta {port} <-> NATS {subject} via {server}",
        "Bridge ready: multicast {group} port {port} <-> NATS {subject} via {server}",
    ),
    "bridge_stopped": (
        "ponte encerrada: {to_nats} para o NATS, {to_lan} para a rede local, "
        "{loops} laços cortados, {dropped} descartadas",
        "bridge stopped: {to_nats} to NATS, {to_lan} to the LAN, {loops} loops cut, "
        "{dropped} dropped",
    ),
    "bridge_receive_failed": (
        "erro ao receber da rede local: {reason}",
        "could not receive from the LAN: {reason}",
    ),
    "bridge_publish_failed": (
        "mensagem não repassada ao NATS: {reason}",
        "message not relayed to NATS: {reason}",
    ),
}
