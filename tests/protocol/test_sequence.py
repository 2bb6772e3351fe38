"""The receiver's sequence rules: losses minus late arrivals is exactly what never came."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.protocol.sealed import ReplayWindow
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


class _ReferenceTracker:
    """The tracker as first written, on :class:`ReplayWindow`: the inline bitmap must agree."""

    def __init__(self, max_senders: int, window: int) -> None:
        self.senders: dict[str, list] = {}  # node -> [first, top, window]
        self.max_senders, self.window = max_senders, window

    def classify(self, node: str, seq: int) -> SequenceVerdict:
        sender = self.senders.pop(node, None) or [seq, seq, ReplayWindow(self.window)]
        self.senders[node] = sender  # most recent last
        while len(self.senders) > self.max_senders:
            del self.senders[next(iter(self.senders))]
        first, top, seen = sender
        if seen.status(seq) != ReplayWindow.NEW:
            return SequenceVerdict(duplicate=True)
        seen.accept(seq)
        if seq > top:
            sender[1] = seq
            return SequenceVerdict(missing=seq - top - 1)
        if seq < first:
            return SequenceVerdict()
        return SequenceVerdict(late=seq != top)


@given(
    st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 40)), max_size=80),
    st.integers(1, 3),
    st.integers(1, 9),
)
def test_verdicts_match_a_replay_window_per_sender(
    arrivals: list[tuple[str, int]], max_senders: int, window: int
) -> None:
    tracker = SequenceTracker(max_senders=max_senders, window=window)
    reference = _ReferenceTracker(max_senders, window)
    for node, seq in arrivals:
        assert tracker.classify(node, seq) == reference.classify(node, seq), (node, seq)


def test_a_window_without_slots_is_refused() -> None:
    with pytest.raises(ValueError):
        SequenceTracker(window=0)
