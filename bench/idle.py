"""Scenario 3, idle scale: resident memory of each server holding N idle clients.

Each client connects and completes its system's handshake (papo: ``join``/``welcome``;
NATS: ``CONNECT``/``SUB``/``PING``; MQTT: ``CONNECT``/``SUBSCRIBE``), all from this one
process, then the server's VmRSS is read from ``/proc/PID/status``.

A papo room holds at most :data:`papo.session.room_server.MAX_CLIENTS` joined clients
(1 000, the roster's bound), and each join costs O(members) (the roster in ``welcome``
plus a ``join`` line to everyone), so above that cap papo is measured holding connected
clients that have not said hello yet (within its 10 s hello timeout): the per-connection
cost, reported as such.
"""

from __future__ import annotations

import time
from typing import Any

from bench.loadgen import LineWire, LoadError, LoadGenerator
from bench.procs import Services, raise_open_files, rss_kib
from bench.profiles import Profile
from bench.systems import MOSQUITTO, NAIVE, NATS, PAPO, Absent, System

#: Seconds allowed to connect and handshake every idle client.
SETUP_DEADLINE_S = 60.0
#: Open files the harness asks for (clients here, and the servers inherit it).
OPEN_FILES = 30_000


def _papo_cap() -> int:
    try:
        from papo.session.room_server import MAX_CLIENTS
    except ImportError:
        return 1000
    return MAX_CLIENTS


def measure(services: Services, system: System, clients: int, profile: Profile) -> dict[str, Any]:
    """RSS of ``system`` before and after ``clients`` idle clients joined it."""
    case: dict[str, Any] = {"system": system.name, "clients": clients}
    wire = system.wire()
    if system is PAPO and clients > _papo_cap():
        wire = LineWire()
        case["mode"] = "connected, no hello (over the room cap)"
    else:
        case["mode"] = "joined/subscribed"
    try:
        service = system.start(services)
    except Absent as exc:
        return {**case, "absent": str(exc)}
    generator = LoadGenerator(wire, "127.0.0.1", service.port or 0)
    try:
        case["rss_before_kib"] = rss_kib(service.pid)
        case["setup_s"] = round(generator.connect(clients, 0, SETUP_DEADLINE_S), 3)
        settle = time.monotonic() + profile.idle_settle_s
        while time.monotonic() < settle:
            generator._poll(0.05)  # keep reading what the server sends while it settles
        rss = rss_kib(service.pid)
        case["rss_kib"] = rss
        open_now = sum(1 for c in generator.subs if not c.closed)
        case["clients_held"] = open_now
        if rss is not None and case["rss_before_kib"] is not None and open_now:
            case["kib_per_client"] = round((rss - case["rss_before_kib"]) / open_now, 2)
    except LoadError as exc:
        case["error"] = f"{exc}; server log: {service.log_tail()}"
        case["rss_kib"] = rss_kib(service.pid)
    finally:
        generator.close()
        services.stop(service)
    return case


def run(services: Services, profile: Profile, log) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Every system at every client count, ``profile.runs`` times."""
    limit = raise_open_files(OPEN_FILES)
    cases: list[dict[str, Any]] = []
    for run_index in range(profile.runs):
        for clients in profile.idle_clients:
            for system in (PAPO, NAIVE, NATS, MOSQUITTO):
                if clients + 100 > limit:
                    case = {
                        "system": system.name,
                        "clients": clients,
                        "absent": f"RLIMIT_NOFILE is {limit}: too low for {clients} clients",
                    }
                else:
                    case = measure(services, system, clients, profile)
                cases.append({"run": run_index, **case})
                log(_one_line(case))
    return {"open_files_limit": limit, "cases": cases}


def _one_line(case: dict[str, Any]) -> str:
    head = f"idle {case['system']} clients={case['clients']}: "
    if "absent" in case:
        return head + "absent: " + case["absent"]
    if "error" in case:
        return head + "error: " + case["error"]
    return head + (
        f"RSS {case['rss_kib'] / 1024:.1f} MiB ({case.get('kib_per_client', '-')} KiB/client, "
        f"{case['mode']}, setup {case['setup_s']} s)"
    )
