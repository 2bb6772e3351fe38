"""Per-source rate limits for serverless receivers (pure: the caller passes the time).

One program flooding the group (a bug, a loop in a student's sender, a stress test)
must not bury everybody else's messages under thousands of lines. A receiver gives
every source (``host:port``) a token bucket: :data:`SOURCE_RATE` datagrams a second
sustained, bursts of :data:`SOURCE_BURST`. Datagrams over the limit are dropped and
counted; the user is told once when a source starts being throttled and once, with the
count, when it slows down again, never once per datagram. While throttled, a source's
dropped datagrams still spend its tokens, so it is heard again only after keeping under
the rate for :data:`THROTTLE_RESUME_SECONDS`.

This is a courtesy against accidents, not a defence against attackers: UDP source
addresses are easy to forge or rotate (see SECURITY.md).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

#: Datagrams per second one source may send, sustained: far above anyone typing, and a
#: pasted text of :data:`~papo.protocol.limits.MAX_PARTS` parts fits the burst.
SOURCE_RATE = 50.0

#: Datagrams one source may send at once before the rate applies (two longest messages).
SOURCE_BURST = 256

#: A throttled source is heard again once it has kept under the rate for this long (it
#: has saved ``SOURCE_RATE * THROTTLE_RESUME_SECONDS`` tokens); so a flood is dropped
#: whole, not let through at the rate with two notices every few datagrams.
THROTTLE_RESUME_SECONDS = 1.0

#: Sources tracked at once (least recently heard forgotten, so memory stays bounded).
MAX_RATE_SOURCES = 1024


@dataclass(frozen=True, slots=True)
class RateDecision:
    """What to do with one datagram, and what (if anything) to tell the user first.

    ``allowed``: handle the datagram. ``started``: this source just went over the limit
    (its first dropped datagram). ``ended``: the source slowed down after ``dropped``
    datagrams were dropped; say so before handling this one.
    """

    allowed: bool
    started: bool = False
    ended: bool = False
    dropped: int = 0


_ALLOW = RateDecision(True)
_DROP = RateDecision(False)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    dropped: int = 0  # dropped in the current throttled episode


class SourceRateLimiter:
    """A token bucket per source, bounded in the number of sources it tracks."""

    def __init__(
        self,
        rate: float = SOURCE_RATE,
        burst: int = SOURCE_BURST,
        max_sources: int = MAX_RATE_SOURCES,
        resume_seconds: float = THROTTLE_RESUME_SECONDS,
    ) -> None:
        if rate <= 0 or burst < 1 or max_sources < 1 or resume_seconds < 0:
            raise ValueError("rate, burst and max_sources must be positive")
        self.rate = rate
        self.burst = burst
        self._resume_tokens = max(1.0, min(float(burst), rate * resume_seconds))
        self._max_sources = max_sources
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        #: Datagrams dropped so far, from every source.
        self.dropped = 0

    def check(self, source: str, now: float) -> RateDecision:
        """Spend one token of ``source`` at time ``now`` (seconds, any monotonic clock)."""
        bucket = self._buckets.get(source)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.burst), updated=now)
            self._buckets[source] = bucket
            while len(self._buckets) > self._max_sources:
                self._buckets.popitem(last=False)
        self._buckets.move_to_end(source)
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
        bucket.updated = now
        if bucket.tokens >= (self._resume_tokens if bucket.dropped else 1.0):
            bucket.tokens -= 1.0
            if bucket.dropped:
                dropped, bucket.dropped = bucket.dropped, 0
                return RateDecision(True, ended=True, dropped=dropped)
            return _ALLOW
        # A throttled source spends tokens even on what is dropped: it is heard again
        # only once it keeps under the rate, whatever it sends meanwhile.
        bucket.tokens = max(0.0, bucket.tokens - 1.0)
        bucket.dropped += 1
        self.dropped += 1
        if bucket.dropped == 1:
            return RateDecision(False, started=True, dropped=1)
        return _DROP


__all__ = [
    "MAX_RATE_SOURCES",
    "SOURCE_BURST",
    "SOURCE_RATE",
    "THROTTLE_RESUME_SECONDS",
    "RateDecision",
    "SourceRateLimiter",
]
