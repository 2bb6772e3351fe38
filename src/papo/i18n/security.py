"""Texts of passphrases, TLS, nick ownership."""

# code -> (pt-BR, en)
CATALOG: dict[str, tuple[str, str]] = {
    # passphrase mode: setting it up
    "crypto_missing": (
        "o modo com senha precisa da biblioteca cryptography: instale com "
        "pip install 'papo[crypto]'",
        "passphrase mode needs the cryptography library: install it with "
        "pip install 'papo[crypto]'",
    ),
    "passphrase_empty": (
        "senha vazia: digite uma senha (ou defina PAPO_SENHA)",
        "empty passphrase: type one (or set PAPO_SENHA)",
    ),
    "passphrase_multicast_only": (
        "a senha (--senha, PAPO_SENHA) por enquanto só vale para o multicast e o P2P (--p2p): "
        "tire --server/--nats, ou a senha (sem ela a conversa não é cifrada)",
        "the passphrase (--senha, PAPO_SENHA) works only for multicast and P2P (--p2p) for "
        "now: drop --server/--nats, or the passphrase (without it the chat is not encrypted)",
    ),
    # passphrase mode of the P2P mesh
    "mesh_sealed_on": (
        "modo com senha: só quem tem a senha lê, envia ou se liga a esta malha P2P",
        "passphrase mode: only those with the passphrase can read, send or link in this P2P mesh",
    ),
    "mesh_peer_plain": (
        "este par não usa senha e você usa (--senha): ligação recusada; "
        "recusados até agora: {count}",
        "this peer uses no passphrase and you do (--senha): link refused; refused so far: {count}",
    ),
    "mesh_peer_sealed": (
        "este par usa senha (--senha) e você não: ligação recusada; recusados até agora: {count}",
        "this peer uses a passphrase (--senha) and you do not: link refused; "
        "refused so far: {count}",
    ),
    "passphrase_prompt": ("Senha da sala: ", "Room passphrase: "),
    "passphrase_on": (
        "modo com senha: só quem tem a senha lê ou envia mensagens nesta sala",
        "passphrase mode: only those with the passphrase can read or send in this room",
    ),
    "sealed_exhausted": (
        "contador de mensagens esgotado: reinicie o programa",
        "message counter exhausted: restart the program",
    ),
    # nick ownership (TOFU)
    "identity_bad_file": (
        "arquivo de identidade danificado {path} ({reason}): restaure-o de um backup ou "
        "apague-o para criar uma nova chave (seus contatos verão uma chave nova)",
        "damaged identity file {path} ({reason}): restore it from a backup or delete it to "
        "make a new key (your contacts will see a new key)",
    ),
    "pins_bad_file": (
        "arquivo de apelidos conhecidos danificado {path} ({reason}): corrija-o ou apague-o",
        "damaged known-nicks file {path} ({reason}): fix it or delete it",
    ),
    "nick_impostor": (
        "! IMPOSTOR? {nick} fala com outra chave ({presented}); a chave conhecida de {nick} é "
        "{pinned}",
        "! IMPOSTOR? {nick} speaks with another key ({presented}); {nick}'s known key is {pinned}",
    ),
    "nick_impostor_unsigned": (
        "! IMPOSTOR? {nick} fala sem assinatura, mas a chave conhecida de {nick} é {pinned}",
        "! IMPOSTOR? {nick} speaks unsigned, but {nick}'s known key is {pinned}",
    ),
    "nick_key_pinned": (
        "chave de {nick} fixada: impressão digital {pinned}",
        "{nick}'s key pinned: fingerprint {pinned}",
    ),
    "chat_impostor": (
        "IMPOSTOR? chave {presented}, conhecida {pinned}",
        "IMPOSTOR? key {presented}, known {pinned}",
    ),
    "identity_on": (
        "identidade ligada: suas mensagens vão assinadas; sua impressão digital é {fingerprint}",
        "identity on: your messages are signed; your fingerprint is {fingerprint}",
    ),
    "identity_crypto_missing": (
        "--identidade precisa da biblioteca cryptography: instale com pip install 'papo[crypto]'",
        "--identity needs the cryptography library: install it with pip install 'papo[crypto]'",
    ),
    "nick_replayed": (
        "! mensagem assinada de {nick} repetida ou fora do horário (gravada e reenviada?): "
        "ignorada; ignoradas até agora: {count}",
        "! signed message from {nick} replayed or out of its time window (recorded and sent "
        "again?): dropped; dropped so far: {count}",
    ),
    # per-source rate limit of serverless receivers
    "rate_limited": (
        "rápido demais (mais de {rate} por segundo): o que ele enviar será ignorado até "
        "ele desacelerar",
        "too fast (over {rate} per second): what it sends is dropped until it slows down",
    ),
    "rate_limit_ended": (
        "desacelerou; {count} datagrama(s) dele foram ignorados enquanto enviava rápido demais",
        "slowed down; {count} of its datagram(s) were dropped while it sent too fast",
    ),
    # per-host and total budgets behind the per-source limit
    "rate_limited_host": (
        "esta máquina envia rápido demais (mais de {rate} por segundo, somando todos os "
        "seus programas): o que ela enviar será ignorado até desacelerar",
        "this machine sends too fast (over {rate} per second, all its programs together): "
        "what it sends is dropped until it slows down",
    ),
    "rate_limit_ended_host": (
        "a máquina desacelerou; {count} datagrama(s) dela foram ignorados",
        "the machine slowed down; {count} of its datagram(s) were dropped",
    ),
    "rate_limited_total": (
        "o grupo está inundado (mais de {rate} por segundo, somando todos): quem envia "
        "mais que a sua parte justa será ignorado até o grupo se acalmar",
        "the group is flooded (over {rate} per second, everyone together): whoever sends "
        "more than a fair share is dropped until it calms down",
    ),
    "rate_limit_ended_total": (
        "o grupo se acalmou; {count} datagrama(s) de quem enviava demais foram ignorados",
        "the group calmed down; {count} datagram(s) of the heaviest senders were dropped",
    ),
    # passphrase mode: why a datagram was dropped ({count} = how many so far)
    "sealed_not_sealed": (
        "não cifrado (enviado sem senha?); ignorados até agora: {count}",
        "not encrypted (sent without the passphrase?); dropped so far: {count}",
    ),
    "sealed_truncated": (
        "datagrama cifrado curto demais ({size} bytes); ignorados até agora: {count}",
        "encrypted datagram too short ({size} bytes); dropped so far: {count}",
    ),
    "sealed_wrong_passphrase": (
        "não foi possível decifrar: senha errada?; ignorados até agora: {count}",
        "cannot decrypt: wrong passphrase?; dropped so far: {count}",
    ),
    "sealed_forged": (
        "falsificado ou corrompido (autenticação falhou); rejeitados até agora: {count}",
        "forged or corrupted (authentication failed); rejected so far: {count}",
    ),
    "sealed_replayed": (
        "repetido (replay); rejeitados até agora: {count}",
        "replayed; rejected so far: {count}",
    ),
    "sealed_too_old": (
        "antigo demais (fora da janela de {window} mensagens); rejeitados até agora: {count}",
        "too old (outside the window of {window} messages); rejected so far: {count}",
    ),
}
