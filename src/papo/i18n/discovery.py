"""Texts of finding and announcing room servers on the local network."""

# code -> (pt-BR, en)
CATALOG: dict[str, tuple[str, str]] = {
    "rooms_searching": (
        "procurando servidores de sala na rede local...",
        "looking for room servers on the local network...",
    ),
    "rooms_found_one": (
        "sala {name!r} em {address}",
        "room {name!r} at {address}",
    ),
    "rooms_none": (
        "nenhum servidor de sala respondeu em {seconds:g} s: peça o endereço e use "
        "--server HOST[:PORTA], ou rode `papo doctor`",
        "no room server answered within {seconds:g} s: ask for its address and use "
        "--server HOST[:PORT], or run `papo doctor`",
    ),
    "rooms_several": (
        "{count} servidores de sala responderam (listados acima): escolha um com "
        "--server HOST:PORTA",
        "{count} room servers answered (listed above): pick one with --server HOST:PORT",
    ),
    "rooms_needs_tls": (
        "a sala {name!r} em {address} usa TLS: acrescente --tls-ca ARQUIVO (ou --tls)",
        "the room {name!r} at {address} uses TLS: add --tls-ca FILE (or --tls)",
    ),
    "room_log_announced": (
        "anunciada na rede local como {name!r}: `papo chat --server auto` a encontra",
        "announced on the local network as {name!r}: `papo chat --server auto` finds it",
    ),
    "room_log_not_announced": (
        "não foi possível anunciar a sala na rede local ({why}); quem entrar precisa do endereço",
        "could not announce the room on the local network ({why}); people need its address to join",
    ),
    "doctor_rooms_seen": (
        "{count} sala(s) de servidor anunciada(s) na rede: {rooms} (`papo chat --server auto`)",
        "{count} room server(s) announced on the network: {rooms} (`papo chat --server auto`)",
    ),
    "chat_alone_multicast": (
        "ninguém mais apareceu em {seconds:g} s. Os outros usam um servidor? "
        "`papo chat --server auto`. Vocês não se veem? `papo doctor` diz por quê",
        "nobody else showed up in {seconds:g} s. Do the others use a server? "
        "`papo chat --server auto`. Can't you see each other? `papo doctor` says why",
    ),
    "chat_alone_p2p": (
        "nenhum par apareceu em {seconds:g} s: `papo doctor` diz se os beacons passam; "
        "numa VPN ou rede que bloqueia multicast, use --peer HOST:PORTA",
        "no peer showed up in {seconds:g} s: `papo doctor` says whether beacons get "
        "through; on a VPN or a network that blocks multicast, use --peer HOST:PORT",
    ),
}
