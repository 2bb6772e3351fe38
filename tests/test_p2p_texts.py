"""Every text code the P2P modules use has a pt-BR and an English text."""

from __future__ import annotations

import re

import pytest
from conftest import SRC

from papo.i18n import CATALOG

P2P_MODULES = [
    "papo/transport/mesh.py",
    "papo/protocol/mesh.py",
    "papo/protocol/beacon.py",
    "papo/discovery/beacon.py",
    "papo/discovery/mdns.py",
    "papo/discovery/doctor.py",
    "papo/discovery/interfaces.py",
    "papo/ui/doctor.py",
]
CODE_RE = re.compile(r'"((?:mesh|doctor|beacon|mdns|decode|interface)_[a-z_]+)"')


@pytest.mark.parametrize("module", P2P_MODULES)
def test_every_code_in_module_has_both_texts(module: str) -> None:
    text = (SRC / module).read_text(encoding="utf-8")
    functions = set(re.findall(r"def (\w+)", text))  # names in __all__ are not texts
    codes = set(CODE_RE.findall(text)) - functions
    missing = sorted(code for code in codes if code not in CATALOG)
    assert missing == []
    for code in codes:
        pt, en = CATALOG[code]
        assert pt and en
