"""User-facing texts in Brazilian Portuguese and English, chosen by the locale.

Pure data and lookup: no printing here. The handout's words (``emissor``,
``receptor``, ``sair``) are commands, not texts, and work in every language.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from papo.i18n import chat, config, core, discovery, history, p2p, room, security, tcp

LANGUAGES = ("pt", "en")

# code -> (pt-BR, en); each feature keeps its texts in its own module of this package.
CATALOG: dict[str, tuple[str, str]] = {}
for _module in (core, tcp, room, chat, p2p, security, history, config, discovery):
    CATALOG.update(_module.CATALOG)


def translate(code: str, lang: str, /, **details: Any) -> str:
    """Return the text for ``code`` in ``lang`` ("pt" or "en"), filled with ``details``."""
    entry = CATALOG.get(code)
    if entry is None:
        extra = ", ".join(f"{k}={v!r}" for k, v in details.items())
        return f"{code} ({extra})" if extra else code
    template = entry[0] if lang == "pt" else entry[1]
    try:
        return template.format(**details)
    except (KeyError, IndexError, ValueError):
        return template


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """Pick "pt" or "en" from LC_ALL / LC_MESSAGES / LANG / LANGUAGE, like gettext does."""
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if not value:
            continue
        first = value.split(":")[0].lower()
        if first.startswith("pt"):
            return "pt"
        if first in ("c", "posix", "c.utf-8", "c.utf8"):
            continue
        return "en"
    return "en"
