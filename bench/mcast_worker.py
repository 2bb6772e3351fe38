"""One multicast sender or receiver for scenario 1; run only inside a network namespace.

``python -m bench.mcast_worker recv --impl papo|bare --group G --port P``
prints ``READY`` once joined, counts datagrams until none came for ``--idle`` seconds
after the first (or ``--deadline``), and prints one JSON line with the counts.

``python -m bench.mcast_worker send --impl papo|bare --count N [--rate R]`` sends N
messages (as fast as possible, or R per second) and prints one JSON line.

``papo`` goes through papo's real path (with the receiver's per-source flood limit
lifted; ``papo-default`` keeps it): :class:`SenderSession.compose` (validation,
envelope, JSON) and :class:`MulticastSender`, then :class:`MulticastReceiver.receive` and
:class:`ReceiverSession.receive` (decode, checks, sequence tracking). ``bare`` is the
handout-style loop: ``sendto``/``recvfrom`` of a same-sized payload and nothing else.
"""

from __future__ import annotations

import argparse
import json
import resource
import socket
import struct
import sys
import time

from bench.procs import in_private_namespace

#: What the sender types, like a short chat line.
TEXT = "bench message: the quick brown fox jumps over the lazy dog"


def papo_datagram_size() -> int:
    """Bytes of one datagram papo sends for :data:`TEXT` (the bare loop sends as many)."""
    from papo.session.multicast import SenderSession

    return len(SenderSession("bench", node="0" * 16).compose(TEXT)[0])


def _receiver_session(default_limits: bool):  # type: ignore[no-untyped-def]
    """papo's receiver; unless ``default_limits``, with the per-source rate limit lifted.

    The default limit (a courtesy against floods) drops a source sending faster than a
    person types, which a throughput test does on purpose.
    """
    import inspect

    from papo.session.multicast import ReceiverSession

    if default_limits or "rate_limit" not in inspect.signature(ReceiverSession).parameters:
        return ReceiverSession()
    from papo.protocol.ratelimit import SourceRateLimiter

    # Every budget lifted (per source, per host, in total, fair shares), whichever this
    # version of papo has: the benchmark measures the path, not the flood limit.
    lifted: dict[str, float] = {}
    for name in inspect.signature(SourceRateLimiter).parameters:
        if name == "rate" or name.endswith("_rate"):
            lifted[name] = 1e9
        elif name == "burst" or name.endswith("_burst"):
            lifted[name] = 1_000_000_000
    return ReceiverSession(rate_limit=SourceRateLimiter(**lifted))


def receive(
    impl: str, group: str, port: int, idle: float, deadline: float, default_limits: bool = False
) -> dict:
    """Count datagrams (papo: decoded messages) until idle or the deadline."""
    end = time.monotonic() + deadline
    first = last = None
    count = rejected = lost = 0
    if impl in ("papo", "papo-default"):
        default_limits = default_limits or impl == "papo-default"
        from papo.session.multicast import Lost, Received
        from papo.transport.multicast import MulticastConfig, MulticastReceiver

        receiver = MulticastReceiver(MulticastConfig(group=group, port=port))
        session = _receiver_session(default_limits)
        print("READY", flush=True)
        cpu_start = _cpu_seconds()
        while time.monotonic() < end:
            wait = idle if first is not None else max(0.01, end - time.monotonic())
            got = receiver.receive(timeout=wait)
            if got is None:
                if first is not None:
                    break
                continue
            for event in session.receive(*got):
                if isinstance(event, Received):
                    count += 1
                    last = time.monotonic()
                    first = first or last
                elif isinstance(event, Lost):
                    lost += event.count
        rejected = session.rejected
        receiver.close()
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((group, port))
        mreq = struct.pack("4sl", socket.inet_aton(group), socket.INADDR_ANY)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        print("READY", flush=True)
        cpu_start = _cpu_seconds()
        sock.settimeout(max(0.01, deadline))
        while time.monotonic() < end:
            try:
                sock.recvfrom(65535)
            except TimeoutError:
                if first is not None:
                    break
                continue
            count += 1
            last = time.monotonic()
            if first is None:
                first = last
                sock.settimeout(idle)
        sock.close()
    cpu = _cpu_seconds() - cpu_start
    span = (last - first) if first is not None and last is not None else 0.0
    return {
        "received": count,
        "span_s": span,
        "rejected": rejected,
        "lost_by_seq": lost,
        "cpu_s": round(cpu, 4),
    }


def _cpu_seconds() -> float:
    """CPU time (user + system) this process used so far: what receiving each datagram
    costs, which, unlike messages/s in a blast, does not depend on how fast the sender
    was or what the kernel dropped."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def send(impl: str, group: str, port: int, count: int, rate: float | None, deadline: float) -> dict:
    """Send ``count`` messages; paced at ``rate`` per second when given."""
    start = time.monotonic()
    end = start + deadline
    sent = 0
    if impl in ("papo", "papo-default"):
        from papo.session.multicast import SenderSession
        from papo.transport.multicast import MulticastConfig, MulticastSender

        session = SenderSession("bench")
        sender = MulticastSender(MulticastConfig(group=group, port=port))

        def one() -> None:
            for datagram in session.compose(TEXT):
                sender.send(datagram)

        close = sender.close
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        data = b"x" * papo_datagram_size()
        address = (group, port)

        def one() -> None:
            sock.sendto(data, address)

        close = sock.close
    while sent < count:
        now = time.monotonic()
        if now > end:
            break
        if rate:
            due = min(count, int((now - start) * rate) + 1)
            if due <= sent:
                time.sleep(min(0.001, (sent + 1) / rate - (now - start)))  # pacing, not sync
                continue
            for _ in range(due - sent):
                one()
            sent = due
        else:
            one()
            sent += 1
    elapsed = time.monotonic() - start
    close()
    return {"sent": sent, "elapsed_s": elapsed}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mcast_worker")
    parser.add_argument("role", choices=["send", "recv"])
    parser.add_argument("--impl", choices=["papo", "papo-default", "bare"], required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rate", type=float)
    parser.add_argument("--idle", type=float, default=0.5)
    parser.add_argument("--deadline", type=float, default=10.0)
    args = parser.parse_args()
    if not in_private_namespace():
        print("refusing: multicast runs only inside a private network namespace", file=sys.stderr)
        return 2
    if args.role == "recv":
        result = receive(args.impl, args.group, args.port, args.idle, args.deadline)
    else:
        result = send(args.impl, args.group, args.port, args.count, args.rate, args.deadline)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
