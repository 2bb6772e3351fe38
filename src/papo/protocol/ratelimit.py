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
flood tests check); there is no global budget, so many flooding sources together are not
capped (see SECURITY.md: this is a courtesy, not a defence).

This is a courtesy against accidents, not a defence against attackers: UDP source
addresses are easy to forge or rotate (see SECURITY.md).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

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

#: Datagrams a second a papo sender paces itself to (``papo send``): the fast sender the
#: receivers' limit is built for, half their :data:`SOURCE_RATE`, so a file piped into
#: ``papo send`` arrives whole instead of being cut as a flood. Nobody types this fast.
SEND_RATE = FAST_SENDER_RATE

#: Datagrams a papo sender may send at once before :data:`SEND_RATE` applies: two of the
#: longest typed lines (2 x :data:`~papo.protocol.limits.MAX_PARTS`), about a quarter of the
#: receivers' :data:`SOURCE_BURST`.
SEND_BURST = 256


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
    "FAST_SENDER_RATE",
    "MAX_RATE_SOURCES",
    "SEND_BURST",
    "SEND_RATE",
    "SOURCE_BURST",
    "SOURCE_RATE",
    "THROTTLE_RESUME_SECONDS",
    "RateDecision",
    "SendPacer",
    "SourceRateLimiter",
]
