"""One load generator for every room server: publishers and subscribers on one epoll loop.

It speaks four wire protocols (papo's room lines, the naive server's raw lines, NATS text,
MQTT 3.1.1 QoS 0) through small :class:`Wire` adapters, and is written so that it is not
the bottleneck: one thread, non-blocking sockets, big ``recv`` calls, and messages counted
with ``bytes.count`` on a marker instead of being parsed. Only a few *sampled* subscribers
parse each payload's send time to measure end-to-end latency.

Every loop here is bounded in count and in time.
"""

from __future__ import annotations

import errno
import re
import select
import socket
import time
from dataclasses import dataclass, field

#: Every measured payload starts with this marker, then the send time (19 digits, ns).
MARKER = b"#BM"
#: Warm-up probes (not counted) start with this marker instead.
PROBE = b"#BW"
#: Payload size in bytes (marker, timestamp, padding): a typical short chat line.
PAYLOAD_BYTES = 64
#: Bytes read per ``recv``; large so that one call takes many messages.
RECV_BYTES = 256 * 1024
#: Subscribers whose payloads are parsed for latency (the others only count).
LATENCY_SAMPLED_SUBSCRIBERS = 8
#: The most latency samples kept per run (memory bound).
MAX_LATENCY_SAMPLES = 200_000
#: Messages a publisher builds and writes at once in a blast.
BLAST_BATCH = 32
#: Clients connected (and handshaken) per step while setting up, to stay under backlogs.
CONNECT_BATCH = 50

_TIMESTAMP_RE = re.compile(rb"#BM(\d{19})")
_PAD = b"x" * (PAYLOAD_BYTES - len(MARKER) - 19 - 1)


def payload(marker: bytes, sent_ns: int) -> bytes:
    """A fixed-size payload: ``marker``, the send time in ns, ``#``, padding."""
    return marker + b"%019d#" % sent_ns + _PAD


class Wire:
    """How one system is spoken: handshake, readiness token, and the publish frame."""

    name = "base"

    def hello(self, role: str, index: int) -> bytes:
        """Bytes a client sends right after connecting."""
        return b""

    def ready_token(self, role: str) -> bytes | None:
        """Bytes that, once received, mean the handshake is done (None: nothing to wait)."""
        return None

    def publish(self, index: int, body: bytes) -> bytes:
        """One published message carrying ``body``."""
        raise NotImplementedError


class PapoWire(Wire):
    """papo's room protocol: a ``join`` hello, then chat envelopes, one JSON line each."""

    name = "papo"

    def hello(self, role: str, index: int) -> bytes:
        return b'{"user":"%s%d","data":"","v":1,"type":"join"}\n' % (role[0].encode(), index)

    def ready_token(self, role: str) -> bytes | None:
        return b'"welcome"'

    def publish(self, index: int, body: bytes) -> bytes:
        return b'{"user":"p%d","data":"%s","v":1,"type":"chat"}\n' % (index, body)


class LineWire(PapoWire):
    """The naive broadcast server: it relays any line, so the same JSON lines, no hello."""

    name = "naive"

    def hello(self, role: str, index: int) -> bytes:
        return b""

    def ready_token(self, role: str) -> bytes | None:
        return None


class NatsWire(Wire):
    """NATS text protocol: ``CONNECT``, ``SUB bench``, ``PING`` (answered by ``PONG``)."""

    name = "nats"

    def hello(self, role: str, index: int) -> bytes:
        connect = b'CONNECT {"verbose":false,"pedantic":false,"name":"bench"}\r\n'
        if role == "sub":
            return connect + b"SUB bench %d\r\nPING\r\n" % (index + 1)
        return connect + b"PING\r\n"

    def ready_token(self, role: str) -> bytes | None:
        return b"PONG\r\n"

    def publish(self, index: int, body: bytes) -> bytes:
        return b"PUB bench %d\r\n%s\r\n" % (len(body), body)


def _mqtt_length(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def _mqtt_string(text: bytes) -> bytes:
    return len(text).to_bytes(2, "big") + text


class MqttWire(Wire):
    """MQTT 3.1.1: ``CONNECT`` (clean session), ``SUBSCRIBE bench`` QoS 0, ``PUBLISH`` QoS 0."""

    name = "mqtt"
    _TOPIC = b"bench"

    def hello(self, role: str, index: int) -> bytes:
        client_id = b"%s%d" % (role.encode(), index)
        variable = _mqtt_string(b"MQTT") + bytes([4, 0x02]) + (600).to_bytes(2, "big")
        body = variable + _mqtt_string(client_id)
        connect = b"\x10" + _mqtt_length(len(body)) + body
        if role != "sub":
            return connect
        sub_body = (1).to_bytes(2, "big") + _mqtt_string(self._TOPIC) + b"\x00"
        return connect + b"\x82" + _mqtt_length(len(sub_body)) + sub_body

    def ready_token(self, role: str) -> bytes | None:
        return b"\x90\x03\x00\x01\x00" if role == "sub" else b"\x20\x02\x00\x00"

    def publish(self, index: int, body: bytes) -> bytes:
        rest = _mqtt_string(self._TOPIC) + body
        return b"\x30" + _mqtt_length(len(rest)) + rest


WIRES: dict[str, type[Wire]] = {
    "papo": PapoWire,
    "naive": LineWire,
    "nats": NatsWire,
    "mqtt": MqttWire,
    "sink": LineWire,
}


@dataclass
class _Client:
    sock: socket.socket
    role: str
    index: int
    token: bytes | None
    ready: bool = False
    seen: bytes = b""
    tail: bytes = b""
    count: int = 0
    probed: bool = False
    sampled: bool = False
    pending: bytes = b""
    closed: bool = False


@dataclass
class FanoutResult:
    """What one fan-out run measured."""

    sent: int = 0
    expected: int = 0
    delivered: int = 0
    elapsed_s: float = 0.0
    setup_s: float = 0.0
    latencies_ns: list[int] = field(default_factory=list)
    cut_clients: int = 0
    error: str | None = None

    @property
    def delivered_per_s(self) -> float:
        return self.delivered / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def loss_pct(self) -> float:
        if not self.expected:
            return 0.0
        return 100.0 * max(0, self.expected - self.delivered) / self.expected

    def percentile_ms(self, fraction: float) -> float | None:
        if not self.latencies_ns:
            return None
        ordered = sorted(self.latencies_ns)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] / 1e6


class LoadError(Exception):
    """The load generator could not set up or drive a run."""


class LoadGenerator:
    """Clients of one system at ``host:port``; the caller drives setup, runs and close."""

    def __init__(self, wire: Wire, host: str, port: int) -> None:
        self.wire = wire
        self.address = (host, port)
        self.epoll = select.epoll()
        self.clients: dict[int, _Client] = {}
        self.subs: list[_Client] = []
        self.pubs: list[_Client] = []

    # --- setup -------------------------------------------------------------------------

    def connect(self, subscribers: int, publishers: int, deadline_s: float) -> float:
        """Connect and handshake all clients in batches; return the seconds it took."""
        start = time.monotonic()
        deadline = start + deadline_s
        plan = [("sub", i) for i in range(subscribers)] + [("pub", i) for i in range(publishers)]
        for first in range(0, len(plan), CONNECT_BATCH):
            batch = [self._open(role, index) for role, index in plan[first : first + CONNECT_BATCH]]
            self._until(lambda b=batch: all(c.ready for c in b), deadline, "handshake")
        for client in self.subs[:LATENCY_SAMPLED_SUBSCRIBERS]:
            client.sampled = True
        return time.monotonic() - start

    def _open(self, role: str, index: int) -> _Client:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.connect(self.address)
        except OSError as exc:
            sock.close()
            raise LoadError(f"connect {self.address}: {exc.strerror or exc}") from None
        sock.setblocking(False)
        token = self.wire.ready_token(role)
        client = _Client(sock, role, index, token, ready=token is None)
        hello = self.wire.hello(role, index)
        if hello:
            client.pending = hello
            self._flush(client)
        self.clients[sock.fileno()] = client
        self.epoll.register(sock.fileno(), select.EPOLLIN)
        (self.subs if role == "sub" else self.pubs).append(client)
        return client

    def close(self) -> None:
        """Close every client socket."""
        for client in self.subs + self.pubs:
            client.sock.close()
        self.clients.clear()
        self.epoll.close()

    # --- the loop ----------------------------------------------------------------------

    def _until(self, done, deadline: float, what: str) -> None:  # type: ignore[no-untyped-def]
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LoadError(f"{what}: not done before the deadline")
            self._poll(min(remaining, 0.05))

    def _poll(self, timeout: float) -> None:
        for fd, events in self.epoll.poll(timeout):
            client = self.clients.get(fd)
            if client is None:
                continue
            if events & select.EPOLLOUT:
                self._flush(client)
            if events & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLERR):
                self._read(client)

    def _flush(self, client: _Client) -> None:
        while client.pending:
            try:
                sent = client.sock.send(client.pending)
            except BlockingIOError:
                break
            except OSError as exc:
                if client.closed or exc.errno in (errno.EPIPE, errno.ECONNRESET):
                    client.pending = b""
                    client.closed = True
                    return
                raise LoadError(f"send: {exc.strerror or exc}") from None
            client.pending = client.pending[sent:]
        fd = client.sock.fileno()
        want = select.EPOLLIN | (select.EPOLLOUT if client.pending else 0)
        if fd in self.clients:
            self.epoll.modify(fd, want)

    def _read(self, client: _Client) -> None:
        try:
            data = client.sock.recv(RECV_BYTES)
        except BlockingIOError:
            return
        except OSError as exc:
            if exc.errno not in (errno.ECONNRESET, errno.EPIPE):
                raise
            data = b""
        if not data:
            # the server cut this client (a slow consumer, say): count it, go on without it
            self.epoll.unregister(client.sock.fileno())
            self.clients.pop(client.sock.fileno(), None)
            client.closed = True
            client.ready = True
            client.probed = True
            return
        if not client.ready:
            client.seen += data
            assert client.token is not None
            if client.token in client.seen:
                client.ready = True
                data = client.seen[client.seen.index(client.token) + len(client.token) :]
                client.seen = b""
            else:
                client.seen = client.seen[-4096:]
                return
        if client.role != "sub":
            return
        joined = client.tail + data
        if not client.probed and PROBE in joined:
            client.probed = True
        if client.sampled:
            cut = joined.rfind(MARKER)
            if cut >= 0 and len(joined) - cut < len(MARKER) + 19:
                client.tail = joined[cut:]
                joined = joined[:cut]
            else:
                client.tail = joined[-(len(MARKER) - 1) :]
            # a marker cut by the end of this read waits in the tail: counted once, whole
            stamps = _TIMESTAMP_RE.findall(joined)
            client.count += len(stamps)
            if stamps and len(self._latencies) < MAX_LATENCY_SAMPLES:
                now = time.monotonic_ns()
                self._latencies.extend(now - int(stamp) for stamp in stamps)
            return
        client.count += joined.count(MARKER)
        client.tail = joined[-(len(MARKER) - 1) :]

    _latencies: list[int]

    # --- runs --------------------------------------------------------------------------

    def warm_up(self, deadline_s: float) -> None:
        """Publish probes until every subscriber has received one (all subscriptions live)."""
        deadline = time.monotonic() + deadline_s
        self._latencies = []
        publisher = self.pubs[0]
        while not all(c.probed for c in self.subs):
            if time.monotonic() > deadline:
                missing = sum(1 for c in self.subs if not c.probed)
                raise LoadError(f"warm-up: {missing} subscribers never got a probe")
            publisher.pending += self.wire.publish(0, payload(PROBE, time.monotonic_ns()))
            self._flush(publisher)
            probe_deadline = min(deadline, time.monotonic() + 0.2)
            while time.monotonic() < probe_deadline and not all(c.probed for c in self.subs):
                self._poll(0.02)

    def run(
        self,
        messages_per_publisher: int,
        rate_per_s: float | None,
        deadline_s: float,
        idle_s: float = 1.0,
    ) -> FanoutResult:
        """Publish, then wait for deliveries; ``rate_per_s`` None means as fast as possible.

        Ends when every subscriber has every message, or nothing more arrived for ``idle_s``
        after the last send and a first delivery, or ``deadline_s`` passed.
        """
        for client in self.subs:
            client.count = 0
            client.tail = b""
        self._latencies = []
        result = FanoutResult()
        wire = self.wire
        start = time.monotonic()
        deadline = start + deadline_s
        sent_by = [0] * len(self.pubs)
        total = messages_per_publisher * len(self.pubs)
        per_pub_rate = rate_per_s / len(self.pubs) if rate_per_s else None
        last_delivery = start
        last_count = 0
        while True:
            now = time.monotonic()
            if now > deadline:
                break
            for position, pub in enumerate(self.pubs):
                left = messages_per_publisher - sent_by[position]
                if not left or pub.closed or len(pub.pending) > 64 * 1024:
                    continue
                if per_pub_rate is None:
                    batch = min(left, BLAST_BATCH)
                else:
                    due = min(messages_per_publisher, int((now - start) * per_pub_rate) + 1)
                    batch = due - sent_by[position]
                if batch <= 0:
                    continue
                stamp = time.monotonic_ns()
                frame = wire.publish(pub.index, payload(MARKER, stamp))
                pub.pending += frame * batch
                sent_by[position] += batch
                self._flush(pub)
            sent = sum(sent_by)
            self._poll(0 if sent < total and per_pub_rate is None else 0.001)
            delivered = sum(c.count for c in self.subs)
            if delivered != last_count:
                last_count = delivered
                last_delivery = time.monotonic()
            if sent >= total:
                if delivered >= total * len(self.subs):
                    break
                # before the first delivery a busy server may take long: wait to the deadline
                if last_count and time.monotonic() - last_delivery > idle_s:
                    break
        result.sent = sum(sent_by)
        result.expected = result.sent * len(self.subs)
        result.delivered = sum(c.count for c in self.subs)
        result.elapsed_s = max(1e-9, last_delivery - start)
        result.latencies_ns = self._latencies
        result.cut_clients = sum(1 for c in self.subs + self.pubs if c.closed)
        return result

    def receive_only(self, per_subscriber: int, deadline_s: float) -> FanoutResult:
        """Send ``go`` to every subscriber and count what a firehose server streams back."""
        for client in self.subs:
            client.count = 0
            client.tail = b""
            client.pending += b"go\n"
            self._flush(client)
        self._latencies = []
        start = time.monotonic()
        deadline = start + deadline_s
        expected = per_subscriber * len(self.subs)
        while time.monotonic() < deadline:
            self._poll(0.01)
            if sum(c.count for c in self.subs) >= expected:
                break
        result = FanoutResult(sent=per_subscriber, expected=expected)
        result.delivered = sum(c.count for c in self.subs)
        result.elapsed_s = time.monotonic() - start
        return result

    def publish_only(self, messages: int, deadline_s: float) -> FanoutResult:
        """Blast ``messages`` from the first publisher to a server that discards them."""
        publisher = self.pubs[0]
        frame = self.wire.publish(0, payload(MARKER, time.monotonic_ns()))
        start = time.monotonic()
        deadline = start + deadline_s
        sent = 0
        while time.monotonic() < deadline and (sent < messages or publisher.pending):
            if sent < messages and len(publisher.pending) < 64 * 1024:
                batch = min(BLAST_BATCH, messages - sent)
                publisher.pending += frame * batch
                sent += batch
                self._flush(publisher)
            else:
                self._poll(0.001)
        result = FanoutResult(sent=sent, expected=sent, delivered=sent)
        result.elapsed_s = time.monotonic() - start
        return result
