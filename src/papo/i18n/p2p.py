"""Texts of peer-to-peer chat, discovery and `papo doctor`."""

# code -> (pt-BR, en)
CATALOG: dict[str, tuple[str, str]] = {
    # what peers send
    "decode_not_beacon": ("não é um beacon do papo", "not a papo beacon"),
    "decode_not_mesh": ("não é um quadro da malha P2P do papo", "not a papo P2P mesh frame"),
    # settings
    "mesh_bad_peer": (
        "endereço de par inválido {peer!r}: use HOST:PORTA, ex.: 192.168.0.7:40000",
        "invalid peer address {peer!r}: use HOST:PORT, e.g. 192.168.0.7:40000",
    ),
    "mesh_bad_deadline": (
        "o prazo de vida ({deadline} s) precisa ser maior que o intervalo dos sinais "
        "({interval} s)",
        "the peer deadline ({deadline} s) must be longer than the heartbeat interval "
        "({interval} s)",
    ),
    "mesh_listen_failed": (
        "não foi possível escutar na porta TCP {port} ({reason}): use outra com --port, "
        "ou 0 para qualquer uma",
        "could not listen on TCP port {port} ({reason}): pick another with --port, or 0 for any",
    ),
    "mesh_not_open": ("a malha P2P não está aberta", "the P2P mesh is not open"),
    "mesh_private_needs_nick": (
        "mensagem privada sem destinatário",
        "private message without an addressee",
    ),
    "mesh_unsupported_type": (
        "a malha P2P não envia mensagens do tipo {type!r}",
        "the P2P mesh does not send messages of type {type!r}",
    ),
    "interface_not_multicast": (
        "a interface {interface!r} está desligada, sem endereço IPv4 ou sem multicast: "
        "veja `ip addr` e escolha outra com --interface",
        "interface {interface!r} is down, has no IPv4 address or no multicast: "
        "see `ip addr` and pick another with --interface",
    ),
    "mesh_no_way_to_find_peers": (
        "sem beacons, sem mDNS e sem --peer não há como achar pares: tire --no-beacon "
        "ou dê --peer HOST:PORTA",
        "with no beacons, no mDNS and no --peer there is no way to find peers: drop "
        "--no-beacon or give --peer HOST:PORT",
    ),
    "mdns_missing": (
        "mDNS indisponível: instale o extra com `pip install 'papo[mdns]'` (biblioteca zeroconf)",
        "mDNS unavailable: install the extra with `pip install 'papo[mdns]'` (zeroconf library)",
    ),
    "mdns_failed": ("mDNS falhou: {reason}", "mDNS failed: {reason}"),
    "beacon_no_interface": (
        "nenhuma interface com multicast para os beacons: use --peer HOST:PORTA, "
        "ou rode `papo doctor`",
        "no interface with multicast for beacons: use --peer HOST:PORT, or run `papo doctor`",
    ),
    # status lines
    "mesh_listening": (
        "P2P: escutando na porta TCP {port} (nó {node})",
        "P2P: listening on TCP port {port} (node {node})",
    ),
    "mesh_dial_failed": (
        "não consegui alcançar {peer} ({reason}); tentando de novo",
        "could not reach {peer} ({reason}); trying again",
    ),
    "mesh_peer_linked": (
        "conectado a {nick} em {address} (via {method})",
        "connected to {nick} at {address} (via {method})",
    ),
    "mesh_peer_unlinked": (
        "conexão com {nick} em {address} fechada",
        "link to {nick} at {address} closed",
    ),
    "mesh_peer_gone": (
        "{nick} sumiu: nenhum sinal há {seconds} s",
        "{nick} is gone: no sign of life for {seconds} s",
    ),
    "mesh_joined": ("{nick} entrou", "{nick} joined"),
    "mesh_left": ("{nick} saiu", "{nick} left"),
    "mesh_renamed": ("{old} agora é {new}", "{old} is now {new}"),
    "mesh_roster": ("na sala: {nicks}", "in the room: {nicks}"),
    "mesh_peer_ready": (
        "{nick}: P2P pronto; digite mensagens, 'sair' encerra.",
        "{nick}: P2P ready; type messages, 'sair' quits.",
    ),
}
