"""Per-source rate limits: bursts pass, floods are dropped whole and reported twice."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papo.protocol.limits import MAX_PARTS
from papo.protocol.ratelimit import (
    FAIR_SHARE_BURST,
    FAIR_SHARE_RATE,
    FAST_SENDER_RATE,
    HOST_BURST,
    HOST_FAIR_SHARE_RATE,
    HOST_RATE,
    MAX_RATE_SOURCES,
    SCOPE_HOST,
    SCOPE_SOURCE,
    SCOPE_TOTAL,
    SEND_BURST,
    SEND_RATE,
    SOURCE_BURST,
    SOURCE_RATE,
    THROTTLE_RESUME_SECONDS,
    TOTAL_BURST,
    TOTAL_RATE,
    RateNotice,
    SendPacer,
    SourceRateLimiter,
    host_of,
    notice_error,
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
    assert len(limiter._sources) == 3


def test_hosts_tracked_are_bounded() -> None:
    limiter = SourceRateLimiter(max_hosts=3)
    for index in range(100):
        limiter.check(f"10.0.0.{index}:5007", 0.0)
    assert len(limiter._hosts) == 3


@given(st.lists(st.tuples(st.sampled_from("abc"), st.floats(0, 0.5)), max_size=300))
def test_dropped_count_adds_up(events: list[tuple[str, float]]) -> None:
    limiter = SourceRateLimiter(rate=20, burst=3)
    now = 0.0
    allowed = announced_drops = 0
    for source, gap in events:
        now += gap
        decision = limiter.check(source, now)
        allowed += decision.allowed
        announced_drops += sum(n.dropped for n in decision.notices if n.ended)
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


# -- per host and in total ---------------------------------------------------------------


def test_the_shared_budgets_are_multiples_of_the_per_source_one() -> None:
    assert (HOST_RATE, HOST_BURST) == (2 * SOURCE_RATE, 2 * SOURCE_BURST)
    assert (TOTAL_RATE, TOTAL_BURST) == (3 * SOURCE_RATE, 3 * SOURCE_BURST)
    assert HOST_FAIR_SHARE_RATE == 2 * FAIR_SHARE_RATE
    assert FAIR_SHARE_BURST == 2 * FAIR_SHARE_RATE, "two seconds of it at once"
    assert FAIR_SHARE_RATE * 50 < FAST_SENDER_RATE * 2


@pytest.mark.parametrize(
    ("source", "host"),
    [("10.0.0.1:5007", "10.0.0.1"), ("[fe80::1%eth0]:5007", "fe80::1%eth0"), ("ana", "ana")],
)
def test_the_host_of_a_source_is_its_address_without_the_port(source: str, host: str) -> None:
    assert host_of(source) == host


def test_a_new_socket_per_datagram_is_cut_by_its_host_budget() -> None:
    limiter = SourceRateLimiter()
    shown = 0
    for index in range(10_000):  # one second at 10 000/s, each from a fresh port
        decision = limiter.check(f"10.0.0.9:{20_000 + index}", index / 10_000)
        shown += decision.allowed
    expected = HOST_BURST * 10_000 / (10_000 - HOST_RATE)
    assert shown <= expected + 2, "cut like one flooding source, at the host's budget"
    assert limiter.dropped == 10_000 - shown


def test_two_fast_senders_on_one_classroom_pc_both_pass() -> None:
    limiter = SourceRateLimiter()
    allowed = 0
    for index in range(2000):  # one second: two scripts at 1 000/s each, same host
        now = index / 2000
        allowed += limiter.check(f"10.0.0.5:{40_000 + index % 2}", now).allowed
    assert allowed == 2000


def test_one_flooding_socket_leaves_its_neighbours_on_the_same_pc_untouched() -> None:
    limiter = SourceRateLimiter()
    ana_allowed = 0
    for index in range(10_000):
        now = index / 10_000
        limiter.check("10.0.0.5:40000", now)  # the loop, 10 000/s
        if index % 10 == 0:  # ana's script on the same PC, 1 000/s
            ana_allowed += limiter.check("10.0.0.5:40001", now).allowed
    assert ana_allowed == 1000


def _flood(limiter: SourceRateLimiter, hosts: int, rate: float, seconds: float, ana_every: int):
    """``hosts`` machines each at ``rate``, interleaved; ana (10.9.9.9) sends one datagram
    every ``ana_every`` rounds. Return (flood shown, ana shown, ana sent, notices)."""
    rounds = int(rate * seconds)
    shown = ana_shown = ana_sent = 0
    notices = []
    for round_ in range(rounds):
        for host in range(hosts):
            now = (round_ + host / hosts) / rate
            decision = limiter.check(f"10.0.1.{host}:5000", now)
            shown += decision.allowed
            notices += decision.notices
        if round_ % ana_every == 0:
            decision = limiter.check("10.9.9.9:6000", round_ / rate)
            ana_sent += 1
            ana_shown += decision.allowed
            notices += decision.notices
    return shown, ana_shown, ana_sent, notices


def test_fifty_flooders_together_are_capped_and_a_light_sender_still_gets_through() -> None:
    limiter = SourceRateLimiter()
    # 50 machines at 500/s each (25 000/s, each under its own limit) for one second;
    # ana sends 10 a second, under her fair share.
    shown, ana_shown, ana_sent, notices = _flood(limiter, 50, 500, 1.0, ana_every=50)
    assert ana_shown == ana_sent == 10, "a source under its fair share is never starved"
    most = TOTAL_BURST + TOTAL_RATE + 50 * HOST_FAIR_SHARE_RATE
    assert shown <= most, "the flood together is capped"
    assert [n.scope for n in notices] == [SCOPE_TOTAL], "said once, for the group"


def test_the_group_budget_says_when_it_calms_down() -> None:
    limiter = SourceRateLimiter(total_rate=100, total_burst=10, fair_rate=1, fair_burst=1)
    for index in range(200):
        limiter.check(f"10.0.1.{index % 20}:5000", index / 1000)
    later = limiter.check("10.9.9.9:6000", 5.0)
    assert later.allowed
    assert [(n.scope, n.ended) for n in later.notices] == [(SCOPE_TOTAL, True)]
    assert later.notices[0].dropped > 0


@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 3), st.floats(0, 0.01)),
        max_size=400,
    )
)
def test_a_source_under_its_fair_share_on_a_light_host_is_never_dropped(
    events: list[tuple[int, int, float]],
) -> None:
    # Small budgets, so hypothesis finds floods easily; "ana" sends one datagram a
    # second (under her fair share of 2/s) from a host of her own, whatever the others do.
    limiter = SourceRateLimiter(
        rate=50,
        burst=10,
        host_rate=100,
        host_burst=20,
        total_rate=100,
        total_burst=20,
        fair_rate=2,
        fair_burst=2,
        host_fair_rate=4,
        host_fair_burst=4,
    )
    now = next_ana = 0.0
    for host, port, gap in events:
        now += gap
        limiter.check(f"10.0.0.{host}:{port}", now)
        if now >= next_ana:
            assert limiter.check("10.9.9.9:6000", now).allowed
            next_ana = now + 1.0


@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 500), st.floats(0, 0.001)), max_size=500)
)
def test_notices_come_one_per_episode_and_scope(events: list[tuple[int, int, float]]) -> None:
    limiter = SourceRateLimiter(
        rate=30,
        burst=5,
        host_rate=40,
        host_burst=8,
        total_rate=60,
        total_burst=10,
        fair_rate=1,
        fair_burst=1,
    )
    now = 0.0
    open_episodes: set[tuple[str, str]] = set()
    for host, port, gap in events:
        now += gap
        source = f"10.0.0.{host}:{port}"
        for notice in limiter.check(source, now).notices:
            key = {SCOPE_SOURCE: source, SCOPE_HOST: host_of(source)}.get(notice.scope, "")
            if notice.ended:
                assert (notice.scope, key) in open_episodes
                open_episodes.discard((notice.scope, key))
            else:
                assert (notice.scope, key) not in open_episodes
                open_episodes.add((notice.scope, key))


def test_each_scope_has_its_own_words() -> None:
    limiter = SourceRateLimiter()
    codes = {
        notice_error(RateNotice(scope, ended, 3), limiter).code
        for scope in (SCOPE_SOURCE, SCOPE_HOST, SCOPE_TOTAL)
        for ended in (False, True)
    }
    assert codes == {
        "rate_limited",
        "rate_limit_ended",
        "rate_limited_host",
        "rate_limit_ended_host",
        "rate_limited_total",
        "rate_limit_ended_total",
    }
