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
}
