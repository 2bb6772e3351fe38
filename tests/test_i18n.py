"""Every user-facing text exists in both languages, and the locale picks one."""

from __future__ import annotations

import importlib
import pkgutil
import string

import pytest

from papo import i18n
from papo.i18n import CATALOG, language_from_environment, translate


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_no_text_code_is_defined_twice_across_feature_modules() -> None:
    seen: dict[str, str] = {}
    names = [info.name for info in pkgutil.iter_modules(i18n.__path__)]
    assert len(names) >= 8
    for name in names:
        module = importlib.import_module(f"papo.i18n.{name}")
        for code in module.CATALOG:
            assert CATALOG[code] == module.CATALOG[code], f"{name} is not in papo.i18n.CATALOG"
            assert code not in seen, f"{code!r} in {module.__name__} and {seen[code]}"
            seen[code] = module.__name__


@pytest.mark.parametrize("code", sorted(CATALOG))
def test_both_languages_exist_and_take_the_same_fields(code: str) -> None:
    pt, en = CATALOG[code]
    assert pt.strip() and en.strip()
    assert _fields(pt) == _fields(en)


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({"LANG": "pt_BR.UTF-8"}, "pt"),
        ({"LANG": "pt_PT.UTF-8"}, "pt"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LC_ALL": "pt_BR.UTF-8", "LANG": "en_US.UTF-8"}, "pt"),
        ({"LANGUAGE": "pt_BR:en", "LANG": "en_US.UTF-8"}, "pt"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_language_comes_from_the_locale(environ: dict[str, str], lang: str) -> None:
    assert language_from_environment(environ) == lang


def test_translate_fills_details_and_survives_missing_ones() -> None:
    assert translate("bad_port", "pt", port=0) == "porta inválida 0: use um número de 1 a 65535"
    assert "bad_port" not in translate("bad_port", "en")  # template shown even without details
    assert translate("no_such_code", "en", x=1) == "no_such_code (x=1)"
