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
    "mesh_unknown_nick": (
        "ninguém chamado {nick!r} nesta sala (veja /who)",
        "nobody called {nick!r} in this room (see /who)",
    ),
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

# `papo doctor`: findings, then next steps; every text is filled from the finding's details.
CATALOG.update(
    {
        "doctor_title": (
            "papo doctor: por que não vejo ninguém? (testes locais, ~{seconds} s)",
            "papo doctor: why can't I see anyone? (local checks, ~{seconds} s)",
        ),
        "doctor_interfaces": (
            "interfaces com multicast: {names}",
            "interfaces with multicast: {names}",
        ),
        "doctor_interface_chosen": (
            "a interface {interface} está ligada, tem IPv4 e multicast",
            "interface {interface} is up, has IPv4 and multicast",
        ),
        "doctor_several_interfaces": (
            "há várias interfaces ({names}): o papo peer usa todas, mas outros programas "
            "multicast usam só a da rota; se os outros estão em uma delas, escolha-a com "
            "--interface",
            "there are several interfaces ({names}): papo peer uses them all, but other "
            "multicast programs use only the routed one; if your peers are on one of them, "
            "pick it with --interface",
        ),
        "doctor_unknown_interface": (
            "a interface {interface!r} não existe aqui; as que servem: {names}",
            "there is no interface {interface!r} here; usable ones: {names}",
        ),
        "doctor_interface_unusable": (
            "a interface {interface} não serve para multicast: {reason}",
            "interface {interface} cannot carry multicast: {reason}",
        ),
        "doctor_reason_down": ("está desligada", "it is down"),
        "doctor_reason_no_ipv4": ("não tem endereço IPv4", "it has no IPv4 address"),
        "doctor_reason_no_multicast": ("está com multicast desligado", "multicast is off on it"),
        "doctor_loopback_only": (
            "só a interface local ({names}) tem multicast: programas papo desta máquina se "
            "acham, mas ninguém de fora",
            "only the local interface ({names}) has multicast: papo programs on this machine "
            "find each other, but nobody else",
        ),
        "doctor_next_connect": (
            "Conecte-se à rede dos seus colegas (cabo ou Wi-Fi) e rode `papo doctor` de novo.",
            "Connect to your peers' network (cable or Wi-Fi) and run `papo doctor` again.",
        ),
        "doctor_no_multicast_interface": (
            "nenhuma interface ligada com IPv4 permite multicast (sem multicast: {without}): "
            "os beacons não têm por onde sair",
            "no interface that is up with IPv4 allows multicast (without multicast: "
            "{without}): beacons have no way out",
        ),
        "doctor_no_multicast_route": (
            "não há rota multicast para {group}: o papo peer ainda acha pares (manda beacons "
            "por interface), mas o `papo chat` em multicast e o multicast.py do roteiro não "
            "conseguem enviar",
            "there is no multicast route to {group}: papo peer still finds peers (it beacons "
            "per interface), but `papo chat` on multicast and the handout's multicast.py "
            "cannot send",
        ),
        "doctor_route": (
            "a rota multicast para {group} sai pela interface {interface}",
            "the multicast route to {group} goes out of interface {interface}",
        ),
        "doctor_vpn": (
            "há uma VPN ou túnel ligado ({names}): multicast quase nunca atravessa VPNs",
            "a VPN or tunnel is up ({names}): multicast almost never crosses a VPN",
        ),
        "doctor_vpn_default": (
            "a rota padrão passa pela VPN {interface}: os pares do outro lado não ouvem "
            "multicast daqui",
            "the default route goes through the VPN {interface}: peers on the other side "
            "cannot hear multicast from here",
        ),
        "doctor_port_free": (
            "a porta UDP {port} dos beacons pode ser aberta",
            "the beacons' UDP port {port} can be opened",
        ),
        "doctor_port_taken": (
            "outro programa ocupa sozinho a porta UDP {port} dos beacons",
            "another program holds the beacons' UDP port {port} for itself",
        ),
        "doctor_port_denied": (
            "o sistema não deixa abrir a porta UDP {port} ({reason})",
            "the system does not allow opening UDP port {port} ({reason})",
        ),
        "doctor_self_test_skipped": (
            "autoteste não rodou: {code}",
            "the self-test could not run: {code}",
        ),
        "doctor_send_failed": (
            "{count} beacon(s) de teste recusado(s) pelo sistema em {names}",
            "{count} test beacon(s) refused by the system on {names}",
        ),
        "doctor_loopback_ok": (
            "o beacon de teste voltou pelo kernel em {names}: enviar e ouvir funciona aqui",
            "the test beacon came back through the kernel on {names}: sending and hearing "
            "work here",
        ),
        "doctor_loopback_failed": (
            "o beacon de teste não voltou em {names}: este sistema ou um firewall descarta "
            "UDP para {group} porta {port}",
            "the test beacon did not come back on {names}: this system or a firewall drops "
            "UDP to {group} port {port}",
        ),
        "doctor_peers_seen": (
            "{count} outro(s) papo ouvido(s): {peers}",
            "{count} other papo node(s) heard: {peers}",
        ),
        "doctor_no_peers": (
            "nenhum outro papo respondeu em {seconds} s em {names}",
            "no other papo answered within {seconds} s on {names}",
        ),
        "doctor_next_title": ("Próximos passos:", "Next steps:"),
        "doctor_next_peer": (
            "Sem multicast, conecte direto: no outro computador rode `papo peer NOME --port "
            "40000` e aqui `papo peer NOME --peer IP_DELE:40000`.",
            "Without multicast, connect directly: on the other computer run `papo peer NAME "
            "--port 40000`, and here `papo peer NAME --peer THEIR_IP:40000`.",
        ),
        "doctor_next_enable_multicast": (
            "Ligue multicast na interface: `sudo ip link set dev INTERFACE multicast on` "
            "(e confira com `ip link` que ela está UP e com `ip addr` que tem IPv4).",
            "Turn multicast on for the interface: `sudo ip link set dev INTERFACE multicast on` "
            "(and check with `ip link` that it is UP and with `ip addr` that it has IPv4).",
        ),
        "doctor_next_pick_interface": (
            "Veja as interfaces com `ip addr` e escolha a da rede dos seus colegas com "
            "`--interface NOME`.",
            "List the interfaces with `ip addr` and pick the one on your peers' network with "
            "`--interface NAME`.",
        ),
        "doctor_next_route": (
            "Adicione uma rota multicast: `sudo ip route add 224.0.0.0/4 dev INTERFACE`.",
            "Add a multicast route: `sudo ip route add 224.0.0.0/4 dev INTERFACE`.",
        ),
        "doctor_next_port_owner": (
            "Descubra quem usa a porta com `sudo ss -ulpn | grep {port}` e feche esse programa.",
            "Find who holds the port with `sudo ss -ulpn | grep {port}` and close that program.",
        ),
        "doctor_next_firewall": (
            "Libere no firewall o UDP {port} e o grupo {group}: `sudo ufw allow {port}/udp`, "
            "ou `sudo firewall-cmd --add-port={port}/udp`, ou uma regra de iptables/nft.",
            "Let UDP {port} and the group {group} through the firewall: "
            "`sudo ufw allow {port}/udp`, or `sudo firewall-cmd --add-port={port}/udp`, or an "
            "iptables/nft rule.",
        ),
        "doctor_next_others_firewall": (
            "Confirme que os outros estão com `papo peer` aberto e que o firewall deles "
            "libera o UDP 7007 e as portas TCP do papo.",
            "Check that the others have `papo peer` running and that their firewall lets "
            "UDP 7007 and papo's TCP ports through.",
        ),
        "doctor_next_isolation": (
            "Redes Wi-Fi de visitantes e algumas corporativas isolam os clientes entre si: "
            "teste numa rede cabeada ou num roteador seu.",
            "Guest Wi-Fi and some office networks isolate clients from each other: try a wired "
            "network or a router of your own.",
        ),
        "doctor_next_ttl": (
            "Os beacons têm TTL {ttl} e não atravessam roteadores: pares em outra sub-rede "
            "só com --peer.",
            "Beacons have TTL {ttl} and do not cross routers: peers on another subnet need --peer.",
        ),
        "doctor_healthy": (
            "Nada impede a descoberta daqui.",
            "Nothing here stops discovery.",
        ),
        "doctor_unhealthy": (
            "Há problema(s) acima que impedem a descoberta.",
            "The problem(s) above stop discovery.",
        ),
    }
)
