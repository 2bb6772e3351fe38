"""Per-source rate limits: bursts pass, floods are dropped whole and reported twice."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.protocol.limits import MAX_PARTS
from papo.protocol.ratelimit import (
    FAST_SENDER_RATE,
    MAX_RATE_SOURCES,
    SEND_BURST,
    SEND_RATE,
    SOURCE_BURST,
    SOURCE_RATE,
    THROTTLE_RESUME_SECONDS,
    SendPacer,
    SourceRateLimiter,
)


def test_defaults_are_the_named_limits() -> None:
    limiter = SourceRateLimiter()
    assert (limiter.rate, limiter.burst) == (SOURCE_RATE, SOURCE_BURST) == (2000.0, 1000)
    assert MAX_RATE_SOURCES == 1024
    assert THROTTLE_RESUME_SECONDS == 0.5


def test_the_limit_sits_between_the_fast_sender_and_a_flood() -> None:
    assert FAST_SENDER_RATE == 1000.0
    assert SOURCE_RATE == 2 * FAST_SENDER_RATE, "room above the fastest legitimate sender"
    assert SOURCE_RATE * 5 == 10_000, "and well under the catalogue's flood"
    assert SOURCE_BURST == FAST_SENDER_RATE, "a second of the fast sender's backlog"
    assert SOURCE_BURST >= 7 * MAX_PARTS, "several pasted long texts at once"
    assert SOURCE_RATE * THROTTLE_RESUME_SECONDS == SOURCE_BURST


def test_a_1000_per_second_sender_loses_nothing_by_default() -> None:
    limiter = SourceRateLimiter()
    allowed = [limiter.check("script", index / 1000).allowed for index in range(10_000)]
    assert all(allowed)


def test_a_1000_per_second_sender_survives_a_receiver_stalled_for_most_of_a_second() -> None:
    """The receiver, descheduled for 0.9 s, then reads the backlog at 30 000 a second."""
    limiter = SourceRateLimiter()
    sent = [index / 1000 for index in range(3000)]
    stall_from, stall_to, read_rate = 1.0, 1.9, 30_000
    now = 0.0
    allowed = 0
    for sent_at in sent:
        if stall_from <= sent_at < stall_to:
            sent_at = stall_to
        now = max(now + 1 / read_rate, sent_at)  # the backlog drains at the read rate
        allowed += limiter.check("script", now).allowed
    assert allowed == len(sent)


def test_a_default_flood_of_10000_per_second_is_cut_after_its_burst() -> None:
    limiter = SourceRateLimiter()
    shown = sum(limiter.check("loop", index / 10_000).allowed for index in range(10_000))
    expected = SOURCE_BURST * 10_000 / (10_000 - SOURCE_RATE)  # 1 250
    assert expected - 2 <= shown <= expected + 2
    assert limiter.dropped == 10_000 - shown


def test_a_flood_leaves_another_sources_fast_messages_untouched() -> None:
    limiter = SourceRateLimiter()
    ana_allowed = 0
    for index in range(10_000):  # one second: the loop at 10 000/s, ana's script at 1 000/s
        now = index / 10_000
        limiter.check("loop", now)
        if index % 10 == 0:
            ana_allowed += limiter.check("ana", now).allowed
    assert ana_allowed == 1000


def test_a_burst_up_to_the_limit_passes_and_the_next_is_dropped_once_announced() -> None:
    limiter = SourceRateLimiter(rate=10, burst=5)
    assert all(limiter.check("a", 0.0).allowed for _ in range(5))
    first = limiter.check("a", 0.0)
    assert (first.allowed, first.started) == (False, True)
    later = limiter.check("a", 0.0)
    assert (later.allowed, later.started, later.ended) == (False, False, False)


def test_a_flood_is_dropped_whole_until_the_source_leaves_a_gap() -> None:
    limiter = SourceRateLimiter(rate=10, burst=2)
    now = 0.0
    shown = 0
    for _ in range(10_000):  # 10 000 datagrams a second for one second
        now += 0.0001
        shown += limiter.check("a", now).allowed
    assert shown == 2, "only the burst passes while the flood goes on"
    after = limiter.check("a", now + 0.2)
    assert (after.allowed, after.ended, after.dropped) == (True, True, 9_998)
    assert limiter.dropped == 9_998


def test_sources_are_limited_separately() -> None:
    limiter = SourceRateLimiter(rate=1, burst=1)
    assert limiter.check("spammer", 0.0).allowed
    assert not limiter.check("spammer", 0.0).allowed
    assert limiter.check("ana", 0.0).allowed


def test_a_steady_source_under_the_rate_is_never_dropped() -> None:
    limiter = SourceRateLimiter(rate=50, burst=1)
    assert all(limiter.check("a", index / 40).allowed for index in range(1000))


def test_sources_tracked_are_bounded() -> None:
    limiter = SourceRateLimiter(max_sources=3)
    for index in range(100):
        limiter.check(f"10.0.0.{index}:5007", 0.0)
    assert len(limiter._buckets) == 3


@given(st.lists(st.tuples(st.sampled_from("abc"), st.floats(0, 0.5)), max_size=300))
def test_dropped_count_adds_up(events: list[tuple[str, float]]) -> None:
    limiter = SourceRateLimiter(rate=20, burst=3)
    now = 0.0
    allowed = announced_drops = 0
    for source, gap in events:
        now += gap
        decision = limiter.check(source, now)
        allowed += decision.allowed
        announced_drops += decision.dropped if decision.ended else 0
    assert allowed + limiter.dropped == len(events)
    assert announced_drops <= limiter.dropped


def test_a_sender_pacer_lets_its_burst_go_then_spaces_datagrams_at_its_rate() -> None:
    pacer = SendPacer(rate=100, burst=3)
    assert [pacer.delay(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert pacer.delay(0.0) == pytest.approx(0.01)
    assert pacer.delay(0.01) == pytest.approx(0.01), "one token earned, one owed"
    assert pacer.delay(10.0) == 0.0, "an idle sender has its burst back"


def test_the_default_pacer_keeps_a_sender_under_the_receivers_limit() -> None:
    assert SEND_RATE == FAST_SENDER_RATE and SEND_RATE * 2 == SOURCE_RATE
    assert SEND_BURST == 2 * MAX_PARTS and SEND_BURST < SOURCE_BURST / 3
    pacer, limiter = SendPacer(), SourceRateLimiter()
    now = 0.0
    for _ in range(20_000):  # a file piped in: the sender only ever waits for its pacer
        now += pacer.delay(now) + 0.000_01  # 10 µs to build and send a datagram
        assert limiter.check("papo send", now).allowed
    assert now < 20_000 / SEND_RATE + 1, "and it is not slower than its rate"


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (1, 0)])
def test_a_pacer_needs_a_positive_rate_and_burst(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        SendPacer(rate, burst)
