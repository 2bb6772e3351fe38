"""The receiver's sequence rules: losses minus late arrivals is exactly what never came."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from papo.protocol.sequence import SequenceTracker, SequenceVerdict


@st.composite
def deliveries(draw) -> list[int]:
    """Numbers 1..N as a lossy, duplicating, reordering network delivers them."""
    count = draw(st.integers(1, 60))
    arrived = [n for n in range(1, count + 1) if not draw(st.booleans()) or n == 1]
    arrived += draw(st.lists(st.sampled_from(arrived), max_size=10))  # duplicates
    return draw(st.permutations(arrived))


@given(deliveries())
def test_each_number_is_shown_once_and_losses_add_up_exactly(order: list[int]) -> None:
    tracker = SequenceTracker()
    shown, lost, late = [], 0, 0
    for seq in order:
        verdict = tracker.classify("n", seq)
        if not verdict.duplicate:
            shown.append(seq)
        lost += verdict.missing
        late += verdict.late
    assert sorted(shown) == sorted(set(order))
    first = order[0]
    never_came = set(range(first, max(order) + 1)) - set(order)
    assert lost - late == len(never_came)


def test_senders_are_counted_apart() -> None:
    tracker = SequenceTracker()
    tracker.classify("a", 1)
    tracker.classify("b", 1)
    assert tracker.classify("a", 3) == SequenceVerdict(missing=1)
    assert tracker.classify("b", 2) == SequenceVerdict()
