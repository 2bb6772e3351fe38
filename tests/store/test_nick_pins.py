"""The identity and pin files: made once, private, atomic, damage reported in one line."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

pytest.importorskip("cryptography")

from papo.errors import ConfigError
from papo.i18n import translate
from papo.protocol.nickkeys import NickIdentity, NickPins, PinVerdict
from papo.store.nick_pins import (
    IDENTITY_FILE,
    PINS_FILE,
    default_keys_dir,
    load_identity,
    load_pins,
    save_pins,
)


def test_identity_is_made_once_private_and_then_reused(tmp_path: Path) -> None:
    first = load_identity(tmp_path, random_bytes=lambda n: b"\x07" * n)
    mode = stat.S_IMODE((tmp_path / IDENTITY_FILE).stat().st_mode)
    assert mode == 0o600
    again = load_identity(tmp_path, random_bytes=lambda n: b"\x08" * n)
    assert again.public_key == first.public_key


def test_damaged_identity_is_reported_not_replaced(tmp_path: Path) -> None:
    (tmp_path / IDENTITY_FILE).write_text("not a key")
    with pytest.raises(ConfigError) as info:
        load_identity(tmp_path)
    assert info.value.code == "identity_bad_file"
    assert "delete it to make a new key" in translate(
        "identity_bad_file", "en", path="p", reason="r"
    )
    assert (tmp_path / IDENTITY_FILE).read_text() == "not a key"


def test_pins_survive_a_restart(tmp_path: Path) -> None:
    assert len(load_pins(tmp_path)) == 0
    pins = NickPins()
    ana = NickIdentity(b"\x01" * 32)
    pins.check("ana", ana.public_key)
    save_pins(tmp_path, pins)
    assert load_pins(tmp_path).check("ana", ana.public_key).verdict == PinVerdict.MATCH
    assert stat.S_IMODE((tmp_path / PINS_FILE).stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [PINS_FILE], "no temporary file left"


@pytest.mark.parametrize("content", [b"{", b"[]", b'{"ana": 3}', b"\xff\xfe", b"[" * 100_000])
def test_damaged_pins_file_is_one_clear_error(tmp_path: Path, content: bytes) -> None:
    (tmp_path / PINS_FILE).write_bytes(content)
    with pytest.raises(ConfigError) as info:
        load_pins(tmp_path)
    assert info.value.code == "pins_bad_file"
    assert str(tmp_path / PINS_FILE) in info.value.details["path"]


def test_keys_dir_follows_the_environment(tmp_path: Path) -> None:
    assert default_keys_dir({"PAPO_KEYS": str(tmp_path)}) == tmp_path
    assert default_keys_dir({"XDG_DATA_HOME": "/x"}) == Path("/x/papo")
    assert json.dumps(NickPins().to_json()) == "{}"
