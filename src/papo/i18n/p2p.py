"""Texts of peer-to-peer chat, discovery and `papo doctor`."""

# code -> (pt-BR, en)
CATALOG: dict[str, tuple[str, str]] = {}
CATALOG.update(
    {
        "decode_not_beacon": ("não é um beacon do papo", "not a papo beacon"),
        "decode_not_mesh": (
            "não é um quadro da malha P2P do papo",
            "not a papo P2P mesh frame",
        ),
    }
)
