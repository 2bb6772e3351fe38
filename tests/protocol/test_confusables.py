"""Look-alike nicks: the skeleton is equal for nicks a reader cannot tell apart."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.protocol.confusables import (
    CONFUSABLES,
    MAX_SKELETON_INPUT,
    imitated_nick,
    imitates,
    skeleton,
)


@pytest.mark.parametrize(
    ("fake", "real"),
    [
        ("аna", "ana"),  # Cyrillic а
        ("ANA", "ana"),  # case
        ("bοb", "bob"),  # Greek omicron
        ("b0b", "bob"),  # digit zero
        ("Ian", "lan"),  # capital I against small L
        ("ｊｏｓｅ", "jose"),  # fullwidth letters (NFKC)
        ("jo\u200bse", "jose"),  # zero-width space
        ("рауl", "payl"),  # Cyrillic р а у
    ],
)
def test_look_alike_nick_is_flagged_as_imitating_the_real_one(fake: str, real: str) -> None:
    assert imitates(fake, real)
    assert imitated_nick(fake, {real, "zé"}) == real


@pytest.mark.parametrize(("one", "other"), [("ana", "ana2"), ("josé", "jose"), ("bia", "ana")])
def test_different_nicks_are_not_flagged(one: str, other: str) -> None:
    assert not imitates(one, other)
    assert imitated_nick(one, [other]) is None


def test_a_nick_never_imitates_itself() -> None:
    assert not imitates("ana", "ana")
    assert imitated_nick("ana", ["ana"]) is None


def test_table_maps_to_lower_case_ascii_only() -> None:
    for char, target in CONFUSABLES.items():
        assert target.isascii() and target == target.lower(), char


def test_skeleton_work_is_bounded_by_the_input_limit() -> None:
    assert len(skeleton("a" * (MAX_SKELETON_INPUT * 10))) == MAX_SKELETON_INPUT


@given(st.text(max_size=40))
def test_skeleton_is_total_and_idempotent(text: str) -> None:
    once = skeleton(text)
    assert isinstance(once, str)
    assert skeleton(once) == once


def test_cyrillic_capital_i_has_the_same_skeleton_as_its_skeleton() -> None:
    # Found by hypothesis: "І" -> "і" -> "i" -> "l" used to stop one step short.
    assert skeleton("І") == skeleton(skeleton("І")) == "l"
