"""mDNS discovery: the optional extra, and names that fit DNS labels."""

from __future__ import annotations

import sys

import pytest

from papo.discovery.mdns import SERVICE_TYPE, instance_name, require_zeroconf
from papo.errors import ConfigError
from papo.i18n import translate


def test_missing_zeroconf_is_a_config_error_saying_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "zeroconf", None)
    with pytest.raises(ConfigError) as caught:
        require_zeroconf()
    assert caught.value.code == "mdns_missing"
    assert "pip install 'papo[mdns]'" in translate("mdns_missing", "pt")


def test_instance_name_is_short_whatever_the_nick() -> None:
    name = instance_name("f" * 16)
    assert name.endswith("." + SERVICE_TYPE)
    assert len(name.split(".")[0].encode()) <= 63


def test_service_type_is_papo_over_tcp() -> None:
    assert SERVICE_TYPE == "_papo._tcp.local."
