"""``python -m bench.profile``: cProfile papo's hot paths under the benchmark's load.

- the room server (``bench.papo_server --profile``) while the load generator blasts
  1 publisher -> 100 subscribers, then connects 1 000 clients (the join path);
- the multicast path in one process: ``SenderSession.compose`` and
  ``ReceiverSession.receive`` of the same messages (no sockets: the encode/decode cost).

Prints the top entries by own time and writes them to ``bench/results/profile.txt``.
Run it inside a namespace like the harness (it only uses 127.0.0.1 and no multicast).
"""

from __future__ import annotations

import cProfile
import importlib.util
import io
import pstats
import signal
import sys
import time

from bench.loadgen import LoadGenerator, PapoWire
from bench.procs import ROOT, Services, free_tcp_port, python, raise_open_files

#: Entries printed per profile.
TOP = 18


def _top(stats: pstats.Stats, title: str) -> str:
    stream = io.StringIO()
    stats.stream = stream  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(TOP)
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    return f"== {title}\n" + "\n".join(lines[-(TOP + 2) :])


def profile_server(subscribers: int, messages: int, joins: int, uvloop: bool) -> str:
    """Profile the room server: a blast to ``subscribers``, then ``joins`` clients joining."""
    services = Services()
    out = services.workdir / "server.prof"
    port = free_tcp_port()
    args = [python(), "-m", "bench.papo_server", "--port", str(port), "--profile", str(out)]
    service = services.start("papo", [*args, "--uvloop"] if uvloop else args, port)
    try:
        generator = LoadGenerator(PapoWire(), "127.0.0.1", port)
        generator.connect(subscribers, 1, 60)
        generator.warm_up(10)
        blast = generator.run(messages, None, 30, idle_s=5.0)  # the profiler slows it
        generator.close()
        summary = (
            f"blast 1 -> {subscribers}: {blast.delivered_per_s:,.0f} msg/s delivered, "
            f"loss {blast.loss_pct:.1f} %, {blast.cut_clients} clients cut"
        )
        if joins:
            generator = LoadGenerator(PapoWire(), "127.0.0.1", port)
            started = time.monotonic()
            generator.connect(joins, 0, 120)
            summary += f"; {joins} joins took {time.monotonic() - started:.2f} s"
            generator.close()
        # the server may still be busy with the leaves: give it time to write its profile
        service.popen.send_signal(signal.SIGTERM)
        service.popen.wait(60)
        loop = "uvloop" if uvloop else "asyncio"
        return _top(pstats.Stats(str(out)), f"room server ({loop}): {summary}")
    finally:
        services.stop_all()


def profile_multicast(messages: int) -> str:
    """Profile papo's multicast encode and decode path for ``messages`` messages."""
    from bench.mcast_worker import TEXT, _receiver_session
    from papo.session.multicast import SenderSession

    sender, receiver = SenderSession("bench"), _receiver_session(default_limits=False)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(messages):
        for datagram in sender.compose(TEXT):
            receiver.receive(datagram, "127.0.0.1:5007")
    profiler.disable()
    elapsed = time.perf_counter() - started
    title = (
        f"multicast compose+receive, {messages} messages: "
        f"{messages / elapsed:,.0f} msg/s under the profiler"
    )
    return _top(pstats.Stats(profiler), title)


def main() -> int:
    raise_open_files(30_000)
    quick = "--quick" in sys.argv
    uvloop = "--uvloop" in sys.argv
    parts = [
        profile_multicast(2_000 if quick else 20_000),
        profile_server(
            20 if quick else 100, 500 if quick else 4_000, 0 if quick else 1_000, uvloop
        ),
    ]
    if not quick and not uvloop and importlib.util.find_spec("uvloop") is not None:
        # the same server on uvloop, where the join path was measured much slower
        parts.append(profile_server(10, 200, 600, uvloop=True))
    text = "\n\n".join(parts)
    print(text)
    if not quick:
        (ROOT / "bench" / "results" / "profile.txt").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
