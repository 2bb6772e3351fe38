"""Per-source rate limits: bursts pass, floods are dropped whole and reported twice."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from papo.protocol.ratelimit import (
    MAX_RATE_SOURCES,
    SOURCE_BURST,
    SOURCE_RATE,
    SourceRateLimiter,
)


def test_defaults_are_the_named_limits() -> None:
    limiter = SourceRateLimiter()
    assert (limiter.rate, limiter.burst) == (SOURCE_RATE, SOURCE_BURST) == (50.0, 256)
    assert MAX_RATE_SOURCES == 1024


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
