"""The room servers compared: how to start each one, and which wire the load speaks."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass

from bench.loadgen import LineWire, MqttWire, NatsWire, PapoWire, Wire
from bench.procs import Service, Services, free_tcp_port, python, which


class Absent(Exception):
    """A system cannot be measured here; the message says why (shown in the report)."""


@dataclass(frozen=True)
class System:
    """A server to measure: a name, its wire, and how to start it on a free port."""

    name: str
    wire: Callable[[], Wire]
    start: Callable[[Services], Service]
    note: str = ""


def _papo(uvloop: bool) -> Callable[[Services], Service]:
    def start(services: Services) -> Service:
        if importlib.util.find_spec("papo.transport.tcp_server") is None:
            raise Absent("papo.transport.tcp_server (the room server) is not in this tree")
        if uvloop and importlib.util.find_spec("uvloop") is None:
            raise Absent("uvloop is not installed (pip install -e '.[bench]')")
        port = free_tcp_port()
        args = [python(), "-m", "bench.papo_server", "--port", str(port)]
        return services.start("papo", [*args, "--uvloop"] if uvloop else args, port)

    return start


def _bench_server(kind: str) -> Callable[[Services], Service]:
    def start(services: Services) -> Service:
        port = free_tcp_port()
        return services.start(
            kind, [python(), "-m", "bench.servers", kind, "--port", str(port)], port
        )

    return start


def _nats(services: Services) -> Service:
    binary = which("nats-server")
    if binary is None:
        raise Absent("nats-server is not installed (apt-get install nats-server)")
    port = free_tcp_port()
    return services.start("nats", [binary, "-a", "127.0.0.1", "-p", str(port)], port)


def _mosquitto(services: Services) -> Service:
    binary = which("mosquitto")
    if binary is None:
        raise Absent("mosquitto is not installed (apt-get install mosquitto)")
    port = free_tcp_port()
    config = services.workdir / f"mosquitto-{port}.conf"
    lines = [f"listener {port} 127.0.0.1", "allow_anonymous true", "log_type error"]
    if os.geteuid() == 0:
        lines.append("user root")  # otherwise it drops to a 'mosquitto' user
    config.write_text("\n".join(lines) + "\n")
    return services.start("mosquitto", [binary, "-c", str(config)], port)


PAPO = System("papo", PapoWire, _papo(uvloop=False), "RoomServer, rate limit lifted")
PAPO_UVLOOP = System("papo+uvloop", PapoWire, _papo(uvloop=True), "same, on uvloop")
NAIVE = System("naive", LineWire, _bench_server("naive"), "tutorial asyncio broadcast")
NATS = System("nats", NatsWire, _nats, "nats-server, NATS text protocol")
MOSQUITTO = System("mosquitto", MqttWire, _mosquitto, "MQTT 3.1.1, QoS 0")
SINK = System("sink", LineWire, _bench_server("sink"), "discards: publish ceiling")
FIREHOSE = System("firehose", LineWire, _bench_server("firehose"), "streams: receive ceiling")

ROOM_SYSTEMS = [PAPO, PAPO_UVLOOP, NAIVE, NATS, MOSQUITTO]
