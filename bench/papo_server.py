"""papo's room server (:class:`papo.transport.tcp_server.RoomServer`) for the benchmark.

``python -m bench.papo_server --port 0 [--uvloop] [--default-rules]`` prints
``READY <port>`` once it listens on 127.0.0.1 and stops on SIGTERM.

By default it runs with :data:`BENCH_RULES`: the per-client rate limit lifted and the
client cap raised, because the load generator's single publisher sends far more than a
person types (``papo serve``'s default of 20 messages/s would refuse it). Everything else
(framing, decoding, the room rules, the outbox and the slow-consumer rule) is papo's own
code path.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from papo.session.room_server import RoomRules

#: Rules for load: no rate limit to speak of, room for the idle-scale clients.
BENCH_RULES = RoomRules(rate_per_second=1e9, rate_burst=1_000_000_000, max_clients=20_000)


async def serve(port: int, default_rules: bool, profile: str | None = None) -> None:
    """Run the room server on 127.0.0.1:``port`` until SIGTERM (profiled into ``profile``)."""
    from papo.transport.tcp_server import RoomServer, RoomServerConfig

    rules = RoomRules() if default_rules else BENCH_RULES
    server = RoomServer(RoomServerConfig(host="127.0.0.1", port=port, rules=rules))
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    print(f"READY {server.port}", flush=True)
    await stop.wait()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    await server.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.papo_server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--default-rules", action="store_true")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the server into FILE")
    args = parser.parse_args()
    coroutine = serve(args.port, args.default_rules, args.profile)
    if args.uvloop:
        import uvloop

        uvloop.run(coroutine)
    else:
        asyncio.run(coroutine)


if __name__ == "__main__":
    main()
