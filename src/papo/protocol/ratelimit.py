"""Per-source rate limits for serverless receivers (pure: the caller passes the time).

One program flooding the group (a bug, a loop in a student's sender, a stress test)
must not bury everybody else's messages under thousands of lines. A receiver gives
every source (``host:port``) a token bucket: :data:`SOURCE_RATE` datagrams a second
sustained, bursts of :data:`SOURCE_BURST`. Datagrams over the limit are dropped and
counted; the user is told once when a source starts being throttled and once, with the
count, when it slows down again, never once per datagram. While throttled, a source's
dropped datagrams still spend its tokens, so it is heard again only after keeping under
the rate for :data:`THROTTLE_RESUME_SECONDS`.

Where the line is drawn: a *legitimate* fast sender is a script piping a file into
``papo send`` or the benchmark, paced at up to :data:`FAST_SENDER_RATE` (1 000 a second,
issue 7's target: no loss). A *flood* is a runaway loop, which sends as fast as the CPU
allows: 30 000 to 130 000 datagrams a second on the benchmark's 2-core machine. The
limit sits between, with room on both sides (2x the fast sender, 5x under the 10 000 a
second flood the bad-input catalogue sends). The first default (50 a second, bursts of
256) cut the legitimate sender to 13 %; rsyslog learnt the same lesson (its local
socket's limit is off by default "as people experienced problems with this feature
activated by default", and its UDP/TCP inputs allow bursts of 10 000), and journald
allows a service 10 000 messages per 30 s. Per source, so a flooder spends only its own
tokens and every other source keeps its full allowance (the property the catalogue's
flood tests check).

Two shared budgets sit behind the per-source one, as nginx stacks ``limit_req`` zones
(one keyed by address, one by server) and a datagram must fit every one:

- **per host** (the IP, any port): :data:`HOST_RATE`, bursts of :data:`HOST_BURST`, twice
  the per-source limit. A loop that opens a new socket (a new source port) for every
  datagram gets a fresh per-source bucket each time, but not a fresh host. Twice, not
  once, because on a classroom PC every program shares the host: two fast senders on one
  machine still fit, and one flooding socket is cut by its own bucket first, so it spends
  at most :data:`SOURCE_RATE` of its host's budget and its neighbours keep the rest.
- **in total** (every source together): :data:`TOTAL_RATE`, bursts of
  :data:`TOTAL_BURST`, so fifty machines flooding at once cost the receiver a bounded
  number of lines. A shared budget alone would starve the innocent with the guilty, so it
  is *fair*, as fair queueing (deficit round robin, ``fq_codel``) serves light flows
  before heavy ones: a source still under its fair share (:data:`FAIR_SHARE_RATE`, bursts
  of :data:`FAIR_SHARE_BURST`, on a machine also under :data:`HOST_FAIR_SHARE_RATE`)
  passes even when the total budget is spent; only the heavy sources are cut. A person
  typing and a few pasted texts stay under it; a fast script (a file piped into ``papo
  send``) does not, and while many machines flood it is cut with them (a true fair
  queue would give it a share of the total; a receiver that drops cannot queue).

Every level is dropped whole and said once: the user sees one line when a source, a host
or the whole group starts being throttled and one, with the count, when it calms down.

This is a courtesy against accidents, not a defence against attackers: UDP source
addresses are easy to forge or rotate (see SECURITY.md).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

from papo.errors import DecodeError

#: The fastest sender the limit must never cut, in datagrams per second: a script piping
#: a file into ``papo send``, or the benchmark's paced run (issue 7: no loss at 1 000/s).
FAST_SENDER_RATE = 1000.0

#: Datagrams per second one source may send, sustained: twice :data:`FAST_SENDER_RATE`,
#: and a fifth of a 10 000 a second flood (a runaway loop sends 30 000 or more).
SOURCE_RATE = 2000.0

#: Datagrams one source may send at once before the rate applies: one second of
#: :data:`FAST_SENDER_RATE`, so a receiver descheduled for up to a second on a busy
#: machine reads the backlog without dropping the fast sender; also seven pasted texts
#: of :data:`~papo.protocol.limits.MAX_PARTS` parts. A 10 000 a second flood shows about
#: ``SOURCE_BURST * 10 000 / (10 000 - SOURCE_RATE)`` = 1 250 lines before it is cut.
SOURCE_BURST = 1000

#: A throttled source is heard again once it has kept under the rate for this long (it
#: has saved ``SOURCE_RATE * THROTTLE_RESUME_SECONDS`` tokens, a full burst); so a flood
#: is dropped whole, not let through at the rate with two notices every few datagrams.
THROTTLE_RESUME_SECONDS = 0.5

#: Sources tracked at once (least recently heard forgotten, so memory stays bounded).
MAX_RATE_SOURCES = 1024

#: Datagrams per second one host (an IP address, every port) may send, sustained: twice
#: :data:`SOURCE_RATE`, so two fast senders on one classroom PC still fit, while a loop
#: opening a new socket for every datagram is cut like one flooding source.
HOST_RATE = 2 * SOURCE_RATE

#: Datagrams one host may send at once before :data:`HOST_RATE` applies: twice
#: :data:`SOURCE_BURST`.
HOST_BURST = 2 * SOURCE_BURST

#: Datagrams per second all sources together may send, sustained, beyond their fair
#: shares: three times :data:`SOURCE_RATE` (three fast senders at once, with room), so
#: many flooders together cost a bounded number of lines, not one each.
TOTAL_RATE = 3 * SOURCE_RATE

#: Datagrams all sources together may send at once before :data:`TOTAL_RATE` applies:
#: three times :data:`SOURCE_BURST`.
TOTAL_BURST = 3 * SOURCE_BURST

#: Datagrams per second a source may send and still pass when the total budget is spent
#: (its fair share: never starved by the others). Far over a person typing (about one a
#: second), far under a flooder; fifty flooding machines together get through at most
#: ``50 * HOST_FAIR_SHARE_RATE`` beyond :data:`TOTAL_RATE`. A fast script is over it: in
#: a many-source flood it competes with the flooders for :data:`TOTAL_RATE`.
FAIR_SHARE_RATE = 20.0

#: Datagrams a source may send at once within its fair share: two seconds of
#: :data:`FAIR_SHARE_RATE`, a pasted text of forty parts.
FAIR_SHARE_BURST = 40

#: A host's fair share, in datagrams per second: twice :data:`FAIR_SHARE_RATE`, the
#: same multiple as :data:`HOST_RATE`. A source passes on its fair share only while its
#: host is also under this, so a loop that opens a new socket (with a fresh fair share)
#: for every datagram does not pass on fair shares.
HOST_FAIR_SHARE_RATE = 2 * FAIR_SHARE_RATE

#: Datagrams a host may send at once within its fair share: twice :data:`FAIR_SHARE_BURST`.
HOST_FAIR_SHARE_BURST = 2 * FAIR_SHARE_BURST

#: Hosts tracked at once (least recently heard forgotten, so memory stays bounded).
MAX_RATE_HOSTS = 256

#: Datagrams a second a papo sender paces itself to (``papo send``): the fast sender the
#: receivers' limit is built for, half their :data:`SOURCE_RATE`, so a file piped into
#: ``papo send`` arrives whole instead of being cut as a flood. Nobody types this fast.
SEND_RATE = FAST_SENDER_RATE

#: Datagrams a papo sender may send at once before :data:`SEND_RATE` applies: two of the
#: longest typed lines (2 x :data:`~papo.protocol.limits.MAX_PARTS`), about a quarter of the
#: receivers' :data:`SOURCE_BURST`.
SEND_BURST = 256


#: Where a limit applies: one ``host:port``, one host (every port), every source together.
SCOPE_SOURCE, SCOPE_HOST, SCOPE_TOTAL = "source", "host", "total"


@dataclass(frozen=True, slots=True)
class RateNotice:
    """Something to tell the user: a ``scope`` started being throttled, or it ``ended``
    after ``dropped`` datagrams were dropped."""

    scope: str
    ended: bool
    dropped: int


@dataclass(frozen=True, slots=True)
class RateDecision:
    """What to do with one datagram, and what (if anything) to tell the user first.

    ``allowed``: handle the datagram. ``notices``: say these first (at most one per
    scope). ``started``, ``ended`` and ``dropped`` read the first notice: this source (or
    its host, or the group) just went over a limit, or slowed down after ``dropped``.
    """

    allowed: bool
    notices: tuple[RateNotice, ...] = ()

    @property
    def started(self) -> bool:
        return bool(self.notices) and not self.notices[0].ended

    @property
    def ended(self) -> bool:
        return bool(self.notices) and self.notices[0].ended

    @property
    def dropped(self) -> int:
        return self.notices[0].dropped if self.notices else 0


_ALLOW = RateDecision(True)
_DROP = RateDecision(False)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    dropped: int = 0  # dropped in the current throttled episode

    def refill(self, now: float, rate: float, burst: float) -> None:
        elapsed = now - self.updated
        if elapsed > 0.0:  # (a clock that steps back adds nothing)
            tokens = self.tokens + elapsed * rate
            self.tokens = burst if tokens > burst else tokens
        self.updated = now


@dataclass(slots=True)
class _Level:
    """One throttling token bucket: throttled, it is heard again only after saving
    ``resume`` tokens, and what it drops meanwhile still spends its tokens."""

    rate: float
    burst: float
    resume: float

    def take(self, bucket: _Bucket, now: float) -> tuple[bool, RateNotice | None]:
        bucket.refill(now, self.rate, self.burst)
        if bucket.tokens >= (self.resume if bucket.dropped else 1.0):
            bucket.tokens -= 1.0
            if bucket.dropped:
                dropped, bucket.dropped = bucket.dropped, 0
                return True, RateNotice("", ended=True, dropped=dropped)
            return True, None
        bucket.tokens = max(0.0, bucket.tokens - 1.0)
        bucket.dropped += 1
        return False, RateNotice("", ended=False, dropped=1) if bucket.dropped == 1 else None


def _resume(rate: float, burst: float, seconds: float) -> float:
    return max(1.0, min(burst, rate * seconds))


def host_of(source: str) -> str:
    """``"10.0.0.1:5007"`` -> ``"10.0.0.1"``; ``"[::1]:5007"`` -> ``"::1"``."""
    host = source.rpartition(":")[0] if source.count(":") == 1 or "]" in source else source
    return host.strip("[]") or source


@dataclass(slots=True)
class _Entry:
    """What is kept per source (or per host): its limit's bucket, its fair-share bucket,
    and (for a source) its host, parsed once."""

    limit: _Bucket
    share: _Bucket
    host: str = ""


class _Table:
    """Entries by key, the least recently heard forgotten past ``capacity``."""

    def __init__(self, capacity: int, tokens: float, share_tokens: float, sources: bool) -> None:
        self._capacity = capacity
        self._tokens = tokens
        self._share_tokens = share_tokens
        self._sources = sources  # keys are host:port (parse the host once)
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def get(self, key: str, now: float) -> _Entry:
        entry = self._entries.get(key)
        if entry is None:
            host = host_of(key) if self._sources else ""
            entry = _Entry(_Bucket(self._tokens, now), _Bucket(self._share_tokens, now), host)
            self._entries[key] = entry
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        return entry

    def __len__(self) -> int:
        return len(self._entries)


class SourceRateLimiter:
    """Token buckets per source, per host and in total, with fair shares (see the module
    doc); bounded in the number of sources and hosts it tracks."""

    def __init__(
        self,
        rate: float = SOURCE_RATE,
        burst: int = SOURCE_BURST,
        max_sources: int = MAX_RATE_SOURCES,
        resume_seconds: float = THROTTLE_RESUME_SECONDS,
        *,
        host_rate: float = HOST_RATE,
        host_burst: int = HOST_BURST,
        total_rate: float = TOTAL_RATE,
        total_burst: int = TOTAL_BURST,
        fair_rate: float = FAIR_SHARE_RATE,
        fair_burst: int = FAIR_SHARE_BURST,
        host_fair_rate: float = HOST_FAIR_SHARE_RATE,
        host_fair_burst: int = HOST_FAIR_SHARE_BURST,
        max_hosts: int = MAX_RATE_HOSTS,
    ) -> None:
        rates = (rate, host_rate, total_rate, fair_rate, host_fair_rate)
        bursts = (burst, host_burst, total_burst, fair_burst, host_fair_burst)
        if min(rates) <= 0 or min(bursts) < 1 or min(max_sources, max_hosts) < 1:
            raise ValueError("rates, bursts and table sizes must be positive")
        if resume_seconds < 0:
            raise ValueError("resume_seconds must not be negative")
        self.rate, self.burst = rate, burst
        self.host_rate, self.total_rate = host_rate, total_rate
        self._source = _Level(rate, burst, _resume(rate, burst, resume_seconds))
        self._host = _Level(host_rate, host_burst, _resume(host_rate, host_burst, resume_seconds))
        self._total = _Level(
            total_rate, total_burst, _resume(total_rate, total_burst, resume_seconds)
        )
        self._fair = (fair_rate, float(fair_burst))
        self._host_fair = (host_fair_rate, float(host_fair_burst))
        self._sources = _Table(max_sources, float(burst), float(fair_burst), sources=True)
        self._hosts = _Table(max_hosts, float(host_burst), float(host_fair_burst), sources=False)
        self._total_bucket: _Bucket | None = None
        self._total_burst = float(total_burst)
        #: Datagrams dropped so far, from every source, at every level.
        self.dropped = 0

    def check(self, source: str, now: float) -> RateDecision:
        """Spend one token of ``source`` (its host's, the total's) at time ``now``
        (seconds, any monotonic clock)."""
        notices: list[RateNotice] = []
        entry = self._sources.get(source, now)
        allowed, notice = self._source.take(entry.limit, now)
        if notice is not None:
            notices.append(replace(notice, scope=SCOPE_SOURCE))
        if allowed:
            allowed = self._check_host_and_total(entry, now, notices)
        if not allowed:
            self.dropped += 1
        if not notices:
            return _ALLOW if allowed else _DROP
        return RateDecision(allowed, tuple(notices))

    def _check_host_and_total(self, source: _Entry, now: float, notices: list[RateNotice]) -> bool:
        host = self._hosts.get(source.host, now)
        allowed, notice = self._host.take(host.limit, now)
        if notice is not None:
            notices.append(replace(notice, scope=SCOPE_HOST))
        if not allowed:
            return False
        # Fair shares: plain token buckets that measure how fast the source and its host
        # send; every datagram that gets this far spends them.
        fair = _spend(source.share, now, *self._fair)
        host_fair = _spend(host.share, now, *self._host_fair)
        if self._total_bucket is None:
            self._total_bucket = _Bucket(self._total_burst, now)
        allowed, notice = self._total.take(self._total_bucket, now)
        under_share = fair and host_fair
        if not allowed and under_share:
            # Not a drop after all: take back the count of the throttled episode.
            self._total_bucket.dropped -= 1
            if notice is not None:  # the episode starts with the next real drop
                notice = None
            allowed = True
        if notice is not None:
            notices.append(replace(notice, scope=SCOPE_TOTAL))
        return allowed


def _spend(bucket: _Bucket, now: float, rate: float, burst: float) -> bool:
    """Spend one token if there is one; True if there was."""
    bucket.refill(now, rate, burst)
    if bucket.tokens >= 1.0:
        bucket.tokens -= 1.0
        return True
    return False


def notice_error(notice: RateNotice, limiter: SourceRateLimiter) -> DecodeError:
    """The i18n error a caller shows for ``notice`` (one line, with the source's address).

    ``rate_limited`` / ``rate_limit_ended`` for a source, ``…_host`` for its machine,
    ``…_total`` for the whole group.
    """
    suffix = "" if notice.scope == SCOPE_SOURCE else f"_{notice.scope}"
    if notice.ended:
        return DecodeError(f"rate_limit_ended{suffix}", count=notice.dropped)
    rate = {SCOPE_SOURCE: limiter.rate, SCOPE_HOST: limiter.host_rate}.get(
        notice.scope, limiter.total_rate
    )
    return DecodeError(f"rate_limited{suffix}", rate=round(rate))


class SendPacer:
    """A sender's own token bucket: how long to wait before each datagram (pure).

    The cooperating side of :class:`SourceRateLimiter`, as IRC clients queue their lines
    so that a server's flood protection never disconnects them: a sender that keeps under
    the receivers' limit is never cut, however much it has to send.
    """

    def __init__(self, rate: float = SEND_RATE, burst: int = SEND_BURST) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate and burst must be positive")
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated: float | None = None

    def delay(self, now: float) -> float:
        """Spend one token at ``now``; return the seconds to wait before sending (0: none).

        A token not yet earned is owed: the caller waits for it, then sends.
        """
        if self._updated is not None:
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
        self._updated = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


__all__ = [
    "FAIR_SHARE_BURST",
    "FAIR_SHARE_RATE",
    "FAST_SENDER_RATE",
    "HOST_BURST",
    "HOST_FAIR_SHARE_BURST",
    "HOST_FAIR_SHARE_RATE",
    "HOST_RATE",
    "MAX_RATE_HOSTS",
    "MAX_RATE_SOURCES",
    "SCOPE_HOST",
    "SCOPE_SOURCE",
    "SCOPE_TOTAL",
    "SEND_BURST",
    "SEND_RATE",
    "SOURCE_BURST",
    "SOURCE_RATE",
    "THROTTLE_RESUME_SECONDS",
    "TOTAL_BURST",
    "TOTAL_RATE",
    "RateDecision",
    "RateNotice",
    "SendPacer",
    "SourceRateLimiter",
    "host_of",
    "notice_error",
]
