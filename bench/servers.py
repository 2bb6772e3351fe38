"""Baseline servers the harness runs as subprocesses: ``python -m bench.servers KIND``.

- ``naive``: the broadcast server a tutorial teaches (a set of writers; every line read is
  written to every other client, awaiting ``drain()`` after each write);
- ``sink``: reads and discards everything (the load generator's publish ceiling);
- ``firehose``: after a client sends a line, streams it pre-built messages as fast as the
  socket takes them (the load generator's receive ceiling).

Each prints ``READY <port>`` once it listens on 127.0.0.1, and stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time

from bench.loadgen import MARKER, payload

#: Messages in one pre-built firehose block (one write each).
FIREHOSE_BLOCK_MESSAGES = 4096
#: Listen backlog of the baseline servers, so setup never waits on SYN retries.
BACKLOG = 4096


async def _naive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, clients: set) -> None:
    clients.add(writer)
    try:
        while line := await reader.readline():
            for other in list(clients):
                if other is not writer:
                    other.write(line)
                    await other.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        clients.discard(writer)
        writer.close()


async def _sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _clients: set) -> None:
    with contextlib.suppress(ConnectionError):
        while await reader.read(256 * 1024):
            pass
    writer.close()


async def _firehose(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _clients: set
) -> None:
    line = b'{"user":"p0","data":"%s","v":1,"type":"chat"}\n' % payload(MARKER, time.monotonic_ns())
    block = line * FIREHOSE_BLOCK_MESSAGES
    with contextlib.suppress(ConnectionError):
        await reader.readline()
        for _ in range(10_000):  # bounded: 40 M messages per client at most
            writer.write(block)
            await writer.drain()
    writer.close()


HANDLERS = {"naive": _naive, "sink": _sink, "firehose": _firehose}


async def serve(kind: str, port: int) -> None:
    """Listen on 127.0.0.1:``port`` with the ``kind`` handler until SIGTERM."""
    clients: set = set()
    handler = HANDLERS[kind]
    server = await asyncio.start_server(
        lambda r, w: handler(r, w, clients), "127.0.0.1", port, backlog=BACKLOG
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.servers")
    parser.add_argument("kind", choices=sorted(HANDLERS))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop if installed")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop

        uvloop.run(serve(args.kind, args.port))
    else:
        asyncio.run(serve(args.kind, args.port))


if __name__ == "__main__":
    main()
