"""Texts of the configuration file (``~/.config/papo/config.toml``) and the library API."""

# code -> (pt-BR, en)
CATALOG: dict[str, tuple[str, str]] = {
    "config_unreadable": (
        "não foi possível ler o arquivo de configuração {path}: {reason}",
        "could not read the configuration file {path}: {reason}",
    ),
    "config_too_big": (
        "o arquivo de configuração {path} passa de {max} bytes: é mesmo um config.toml?",
        "the configuration file {path} is over {max} bytes: is it really a config.toml?",
    ),
    "config_bad_toml": (
        "o arquivo de configuração {path} não é TOML válido: {reason}",
        "the configuration file {path} is not valid TOML: {reason}",
    ),
    "config_unknown_key": (
        "{path}: {key} não existe (quis dizer: {suggestion}?)",
        "{path}: there is no {key} (did you mean: {suggestion}?)",
    ),
    "config_bad_value": (
        "{path}: {key} = {value} não serve: use {expected}",
        "{path}: {key} = {value} is not valid: use {expected}",
    ),
    "config_secret_refused": (
        "{path}: {key} não pode ficar no arquivo de configuração (é um segredo): "
        "use PAPO_SENHA ou digite a senha",
        "{path}: {key} cannot go in the configuration file (it is a secret): "
        "use PAPO_SENHA or type the passphrase",
    ),
    # papo as a library (papo.session.client)
    "client_bad_address": (
        "endereço de sala inválido {address!r}: use multicast://, papo://HOST:PORTA, "
        "papos://HOST:PORTA, p2p:// ou nats://HOST:PORTA/SALA",
        "invalid room address {address!r}: use multicast://, papo://HOST:PORT, "
        "papos://HOST:PORT, p2p:// or nats://HOST:PORT/ROOM",
    ),
    "client_unknown_option": (
        "opção desconhecida {option!r} no endereço da sala",
        "unknown option {option!r} in the room address",
    ),
    "client_empty_text": ("texto vazio: nada a enviar", "empty text: nothing to send"),
}
