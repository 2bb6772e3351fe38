"""TLS for the room server and its clients: contexts from the standard ``ssl`` module.

The server loads a certificate chain and key (``papo serve --tls-cert/--tls-key``). A
client verifies the server against the system's CAs (``--tls``), against one CA or
self-signed certificate file (``--tls-ca FILE``), or not at all (``--tls-insecure``,
for tests on a trusted link only). The server's name is checked against the address the
client dialled unless verification is off. Both sides refuse anything older than TLS 1.2
(:data:`MINIMUM_TLS_VERSION`). :func:`handshake_error` turns what ``ssl`` raises into one
clear :class:`~papo.errors.NetworkError`.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from papo.errors import ConfigError, NetworkError

#: The oldest TLS version either side accepts (TLS 1.0 and 1.1 are broken and retired).
MINIMUM_TLS_VERSION = ssl.TLSVersion.TLSv1_2

# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH.
_NAME_MISMATCH_CODES = frozenset({62, 64})

# What a TLS record starts with: content type 20-23 (change cipher spec, alert,
# handshake, application data), then major version 3.
_TLS_RECORD_TYPES = frozenset(range(20, 24))


@dataclass(frozen=True, slots=True)
class TlsClientOptions:
    """How a client checks the server: system CAs, one CA file, or (insecure) not at all."""

    ca_file: str | None = None
    insecure: bool = False


def server_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """The server's context with ``cert_file`` (chain, PEM) and ``key_file``; ConfigError."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = MINIMUM_TLS_VERSION
    try:
        context.load_cert_chain(cert_file, key_file)
    except ssl.SSLError as exc:
        raise ConfigError(
            "tls_bad_cert", cert=cert_file, key=key_file, reason=_reason(exc)
        ) from exc
    except OSError as exc:
        raise ConfigError(
            "tls_file_unreadable", path=exc.filename or cert_file, reason=exc.strerror or str(exc)
        ) from exc
    return context


def client_context(options: TlsClientOptions) -> ssl.SSLContext:
    """The client's context for ``options``; ConfigError if the CA file cannot be used."""
    if options.insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif options.ca_file:
        try:
            context = ssl.create_default_context(cafile=options.ca_file)
        except ssl.SSLError as exc:
            raise ConfigError("tls_bad_ca", path=options.ca_file, reason=_reason(exc)) from exc
        except OSError as exc:
            raise ConfigError(
                "tls_file_unreadable", path=options.ca_file, reason=exc.strerror or str(exc)
            ) from exc
    else:
        context = ssl.create_default_context()
    context.minimum_version = MINIMUM_TLS_VERSION
    return context


def handshake_error(exc: OSError, where: str, host: str) -> NetworkError | None:
    """The one-line error for a failed TLS handshake with ``where``; None if not TLS's doing.

    A refused or unreachable connection is not a handshake problem (None): the caller
    reports it as usual.
    """
    if isinstance(exc, ssl.SSLCertVerificationError):
        if exc.verify_code in _NAME_MISMATCH_CODES:
            return NetworkError("tls_hostname_mismatch", where=where, host=host)
        return NetworkError("tls_untrusted", where=where, reason=exc.verify_message or _reason(exc))
    if isinstance(exc, ssl.SSLError):  # EOF, wrong version, a garbage record...
        return NetworkError("tls_server_not_tls", where=where, reason=_reason(exc))
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return NetworkError("tls_server_not_tls", where=where, reason=exc.strerror or str(exc))
    return None


def looks_like_tls(data: bytes) -> bool:
    """True when ``data`` starts like a TLS record (what a TLS server sends a plain client)."""
    return len(data) >= 2 and data[0] in _TLS_RECORD_TYPES and data[1] == 3


def _reason(exc: ssl.SSLError | OSError) -> str:
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and reason:
        return reason.lower().replace("_", " ")
    return str(exc.strerror or exc)[:120]


__all__ = [
    "MINIMUM_TLS_VERSION",
    "TlsClientOptions",
    "client_context",
    "handshake_error",
    "looks_like_tls",
    "server_context",
]
