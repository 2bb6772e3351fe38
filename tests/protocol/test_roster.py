"""The serverless rooms' roster: members by node, bounded, expiring, reported on change."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from papo.protocol.roster import Roster


def test_members_are_listed_sorted_with_this_user_and_reported_only_on_change() -> None:
    roster = Roster("eu")
    assert roster.changed() == ("eu",)
    assert roster.changed() is None
    roster.touch("n1", "bia", 1.0)
    roster.touch("n2", "ana", 1.0)
    assert roster.changed() == ("ana", "bia", "eu")
    roster.touch("n1", "bia", 2.0)  # heard again: same nicks, nothing to report
    assert roster.changed() is None
    assert roster.changed(force=True) == ("ana", "bia", "eu")


def test_a_rename_a_goodbye_and_silence_change_the_list() -> None:
    roster = Roster("eu")
    roster.touch("n1", "bia", 1.0)
    roster.touch("n2", "ana", 5.0)
    roster.touch("n1", "beatriz", 6.0)
    assert roster.holds("beatriz") and not roster.holds("bia")
    roster.forget("n1")
    assert roster.nicks() == ("ana", "eu")
    roster.expire(now=20.0, timeout=10.0)
    assert roster.nicks() == ("eu",)
    roster.own_nick = "eu2"
    assert roster.nicks() == ("eu2",)


def test_last_heard_is_the_latest_of_every_node_with_that_nick() -> None:
    roster = Roster("eu")
    roster.touch("n1", "ana", 3.0)
    roster.touch("n2", "ana", 7.0)
    assert roster.last_heard("ana") == 7.0
    assert roster.last_heard("bia") is None


@given(st.lists(st.tuples(st.integers(0, 50), st.sampled_from("abcdef")), max_size=200))
def test_the_roster_never_passes_its_bound_and_keeps_the_latest_heard(
    heard: list[tuple[int, str]],
) -> None:
    roster = Roster("eu", max_members=8)
    for when, (node, nick) in enumerate(heard):
        roster.touch(str(node), nick, float(when))
        assert len(roster) <= 8
    if heard:
        node, nick = heard[-1]
        assert roster.holds(nick)
