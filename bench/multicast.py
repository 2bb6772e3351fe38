"""Scenario 1, multicast room: one sender -> 1 and 4 receivers, in a network namespace.

For papo (its real encode/decode/session path; ``papo`` with the receiver's per-source
flood limit lifted, ``papo-default`` as shipped), a bare Python ``sendto``/``recvfrom``
loop with same-sized datagrams, and ``iperf`` (UDP multicast, the machine's ceiling):

- *blast*: the sender sends as fast as it can; messages/s each receiver got and loss;
- *paced*: 1 000 messages/s; loss (the target is 0 % for papo).

Receivers and senders are separate processes (``bench.mcast_worker``), as users run them.
"""

from __future__ import annotations

import itertools
import json
import shutil
import statistics
from pathlib import Path
from typing import Any

from bench.mcast_worker import papo_datagram_size
from bench.procs import (
    Service,
    ServiceError,
    Services,
    free_udp_port,
    in_private_namespace,
    python,
    wait_exit,
    wait_for_output,
)
from bench.profiles import Profile

#: Messages/s of the paced runs (the target: 0 % loss for papo at this rate).
PACED_RATE = 1000
_groups = itertools.count(1)


def _group() -> str:
    number = next(_groups)
    return f"239.255.{number // 250}.{number % 250 + 1}"


def _json_result(service: Service) -> dict[str, Any]:
    text = service.log.read_text(errors="replace") if service.log else ""
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ServiceError(f"{service.name}: no result: {service.log_tail()}")


def _python_case(
    services: Services,
    impl: str,
    receivers: int,
    count: int,
    rate: float | None,
    profile: Profile,
) -> dict[str, Any]:
    deadline = profile.multicast_deadline_s
    group, port = _group(), free_udp_port()
    common = ["--impl", impl, "--group", group, "--port", str(port), "--deadline", str(deadline)]
    worker = [python(), "-m", "bench.mcast_worker"]
    started = [
        services.start(
            f"{impl}-recv", [*worker, "recv", *common, "--idle", str(min(profile.idle_s, 1.0))]
        )
        for _ in range(receivers)
    ]
    try:
        for receiver in started:
            wait_for_output(receiver, "READY", 10)
        args = [*worker, "send", *common, "--count", str(count)]
        sender = services.start(f"{impl}-send", args + (["--rate", str(rate)] if rate else []))
        started.append(sender)
        for service in started:
            if wait_exit(service, deadline + 5) is None:
                raise ServiceError(f"{service.name} did not finish in time")
        sent = _json_result(sender)
        got = [_json_result(receiver) for receiver in started[:-1]]
    finally:
        for service in started:
            services.stop(service)
    summary = _summarise(
        sent["sent"], sent["elapsed_s"], [(g["received"], g["span_s"]) for g in got]
    )
    per_message = [  # a datagram cut by the flood limit costs CPU too: count it
        1e6 * g["cpu_s"] / (g["received"] + g.get("rejected", 0))
        for g in got
        if g.get("received") and "cpu_s" in g
    ]
    if per_message:  # the receiver's CPU per datagram read: median over the receivers
        summary["cpu_us_per_msg"] = round(statistics.median(per_message), 2)
    return summary


def _summarise(sent: int, elapsed: float, got: list[tuple[int, float]]) -> dict[str, Any]:
    # per second of sending: a receiver that drained a full buffer in a burst at the end
    # must not look faster than the sender
    rates = [received / max(span, elapsed) for received, span in got if max(span, elapsed) > 0]
    return {
        "sent": sent,
        "send_per_s": round(sent / elapsed, 1) if elapsed > 0 else None,
        "received": [received for received, _span in got],
        "received_per_s": round(statistics.median(rates), 1) if rates else 0.0,
        "loss_pct": round(100.0 * (1 - statistics.mean(r for r, _ in got) / sent), 3)
        if sent
        else None,
    }


def _iperf_case(
    services: Services, receivers: int, size: int, seconds: float, rate: float | None
) -> dict[str, Any]:
    iperf, stdbuf = shutil.which("iperf"), shutil.which("stdbuf")
    if iperf is None:
        return {"absent": "iperf (iperf2) is not installed (apt-get install iperf)"}
    group, port = _group(), free_udp_port()
    line_buffered = [stdbuf, "-oL"] if stdbuf else []
    # interval reports too: under load a server may miss the end of the test and never
    # print its summary, and then the intervals still say what it received
    interval = str(max(0.1, seconds / 4))
    server_args = [
        *line_buffered,
        iperf,
        "-s",
        "-u",
        "-B",
        group,
        "-p",
        str(port),
        "-y",
        "C",
        "-i",
        interval,
    ]
    started = [services.start("iperf-server", server_args) for _ in range(receivers)]
    try:
        _wait_udp_bound(port, receivers, 10)
        bits = int((rate or 0) * size * 8) or 10_000_000_000
        client = services.start(
            "iperf-client",
            [
                iperf,
                "-u",
                "-c",
                group,
                "-p",
                str(port),
                "-T",
                "1",
                "-l",
                str(size),
                "-b",
                str(bits),
                "-t",
                str(seconds),
                "-y",
                "C",
            ],
        )
        started.append(client)
        if wait_exit(client, seconds + 10) is None:
            raise ServiceError("iperf client did not finish in time")
        sent_line = wait_for_output(client, ",", 5).split(",")
        sent = int(sent_line[7]) // size
        got = [_iperf_received(server, seconds) for server in started[:-1]]
    finally:
        for service in started:
            services.stop(service)
    return _summarise(sent, seconds, got)


#: Seconds to wait for an iperf server's summary after its client ended.
IPERF_SUMMARY_WAIT_S = 5.0


def _iperf_received(server: Service, seconds: float) -> tuple[int, float]:
    """Datagrams ``server`` received and over how long: its summary, else its intervals."""
    import time

    deadline = time.monotonic() + IPERF_SUMMARY_WAIT_S
    while True:
        rows = []
        text = server.log.read_text(errors="replace") if server.log else ""
        for line in text.splitlines():
            fields = line.split(",")
            if len(fields) >= 12 and "-" in fields[6]:
                start, end = (float(x) for x in fields[6].split("-"))
                rows.append((start, end, int(fields[11]) - int(fields[10])))
        summary = [row for row in rows if row[0] == 0 and row[1] >= seconds * 0.9]
        if summary:
            start, end, received = summary[-1]
            return received, end - start
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)  # polling a log file with a deadline
    if not rows:
        raise ServiceError(f"iperf server reported nothing: {server.log_tail()}")
    span = max(row[1] for row in rows) - min(row[0] for row in rows)
    return sum(row[2] for row in rows), span


def _wait_udp_bound(port: int, sockets: int, timeout: float) -> None:
    import time

    deadline = time.monotonic() + timeout
    needle = f":{port:04X} "
    while time.monotonic() < deadline:
        table = Path("/proc/net/udp").read_text()
        if sum(1 for line in table.splitlines() if needle in line) >= sockets:
            return
        time.sleep(0.01)  # polling with a deadline
    raise ServiceError(f"iperf servers did not bind UDP port {port}")


def run(services: Services, profile: Profile, log) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Every case ``profile.runs`` times; absent with a reason outside a namespace."""
    if not in_private_namespace():
        reason = "not inside a private network namespace (unshare -n unavailable): refused"
        return {"absent": reason}
    size = papo_datagram_size()
    cases: list[dict[str, Any]] = []
    paced_count = int(PACED_RATE * profile.multicast_paced_seconds)
    for run_index in range(profile.runs):
        for receivers in profile.multicast_receivers:
            for impl in ("papo", "papo-default", "bare", "iperf"):
                case: dict[str, Any] = {"run": run_index, "system": impl, "receivers": receivers}
                try:
                    if impl == "iperf":
                        seconds = profile.multicast_paced_seconds
                        case["blast"] = _iperf_case(services, receivers, size, seconds, None)
                        case["paced"] = _iperf_case(
                            services, receivers, size, profile.multicast_paced_seconds, PACED_RATE
                        )
                    else:
                        case["blast"] = _python_case(
                            services, impl, receivers, profile.multicast_messages, None, profile
                        )
                        case["paced"] = _python_case(
                            services, impl, receivers, paced_count, PACED_RATE, profile
                        )
                except ServiceError as exc:
                    case["error"] = str(exc)
                cases.append(case)
                log(_one_line(case))
    return {"datagram_bytes": size, "paced_rate": PACED_RATE, "cases": cases}


def _one_line(case: dict[str, Any]) -> str:
    head = f"multicast {case['system']} receivers={case['receivers']}: "
    if "error" in case:
        return head + "error: " + case["error"]
    blast, paced = case["blast"], case["paced"]
    if "absent" in blast:
        return head + "absent: " + blast["absent"]
    return head + (
        f"{blast['received_per_s']:,.0f} msg/s received (sent {blast['send_per_s'] or 0:,.0f}/s) "
        f"loss {blast['loss_pct']}%; paced {PACED_RATE}/s loss {paced['loss_pct']}%"
        + (f"; receiver CPU {blast['cpu_us_per_msg']} us/msg" if "cpu_us_per_msg" in blast else "")
    )
