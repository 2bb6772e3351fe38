"""``python -m bench [--quick] [--only SCENARIO ...] [--out FILE]``: run the benchmarks.

Starts everything it needs (servers on 127.0.0.1 with free ports, multicast only inside a
private network namespace: it re-executes itself under ``unshare -n`` when it can),
stops everything it started (by PID), prints tables of ratios against the baselines
measured in the same run, and writes a JSON result.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench import fanout, idle, mesh, multicast, report
from bench.procs import ROOT, Services, in_private_namespace, tool_version, which
from bench.profiles import PROFILES

SCENARIOS = {"multicast": multicast, "fanout": fanout, "idle": idle, "mesh": mesh}
#: Set in the re-executed harness so it never re-executes twice.
NETNS_FLAG = "PAPO_BENCH_NETNS"
_NETNS_SETUP = (
    "ip link set lo up && ip link set lo multicast on && "
    "ip route add 224.0.0.0/4 dev lo src 127.0.0.1"
)


def _namespace_command() -> list[str] | None:
    """The ``unshare`` prefix that gives a private network namespace, or None."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return None
    flags = ["--net"] if os.geteuid() == 0 else ["--net", "--map-root-user"]
    try:
        probe = subprocess.run(["unshare", *flags, "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if probe.returncode != 0:
        return None
    return ["unshare", *flags, "sh", "-c", _NETNS_SETUP + ' && exec "$@"', "bench-netns"]


def _reexec_in_namespace(argv: list[str]) -> None:
    """Replace this process by itself inside a private network namespace, if possible."""
    if in_private_namespace() or os.environ.get(NETNS_FLAG):
        return
    prefix = _namespace_command()
    if prefix is None:
        print(
            "bench: no private network namespace (needs unshare and ip, and root or user "
            "namespaces): multicast and mesh scenarios will be marked absent",
            file=sys.stderr,
        )
        return
    os.environ[NETNS_FLAG] = "1"
    os.execvp(prefix[0], [*prefix, sys.executable, "-m", "bench", *argv])


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    memory_kib = None
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    try:
        import uvloop

        uvloop_version: str | None = uvloop.__version__
    except ImportError:
        uvloop_version = None
    mosquitto = which("mosquitto")
    return {
        "nproc": os.cpu_count(),
        "memory_mib": memory_kib // 1024 if memory_kib else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "uvloop": uvloop_version,
        "nats_server": tool_version(["nats-server", "--version"]),
        "mosquitto": tool_version([mosquitto, "-h"]) if mosquitto else None,
        "iperf": tool_version(["iperf", "-v"]),
        "private_network_namespace": in_private_namespace(),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse options, run the chosen scenarios, print the tables, write the JSON."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small and short: under a minute")
    parser.add_argument("--runs", type=int, help="repeat each case this many times")
    parser.add_argument("--only", nargs="+", choices=sorted(SCENARIOS), help="these scenarios")
    parser.add_argument("--out", type=Path, help="JSON result (default bench/results/...)")
    parser.add_argument("--tables", type=Path, help="also write the tables (Markdown) here")
    parser.add_argument("--no-netns", action="store_true", help="do not re-exec in a namespace")
    parser.add_argument(
        "--subscribers", type=int, nargs="+", help="fan-out only at these N (default: all)"
    )
    args = parser.parse_args(args_list)
    if not args.no_netns:
        _reexec_in_namespace(args_list)
    profile = PROFILES["quick" if args.quick else "full"]
    if args.runs or args.subscribers:
        from dataclasses import replace

        profile = replace(profile, runs=args.runs or profile.runs)
        if args.subscribers:
            profile = replace(profile, fanout_subscribers=tuple(args.subscribers))
    out = args.out or ROOT / "bench" / "results" / f"{'quick' if args.quick else 'latest'}.json"

    def log(text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')} load {_load()}] {text}", flush=True)

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    started = time.monotonic()
    result: dict[str, Any] = {
        "started_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "profile": profile.__dict__,
        "machine": machine(),
        "load_average_before": _load(),
        "scenarios": {},
        "summaries": {},
    }
    pids: list[int] = []
    services = Services(pids)
    try:
        for name in args.only or list(SCENARIOS):
            log(f"scenario {name}")
            before = _load()
            scenario_start = time.monotonic()
            try:
                raw = SCENARIOS[name].run(services, profile, log)
            except Exception as exc:  # one broken scenario must not hide the others
                raw = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
                log(f"scenario {name} failed: {raw['error']}")
            finally:
                services.stop_all()
                services = Services(pids)
            raw["load_average"] = {"before": before, "after": _load()}
            raw["seconds"] = round(time.monotonic() - scenario_start, 1)
            result["scenarios"][name] = raw
    except KeyboardInterrupt:
        log("interrupted: stopping everything started")
        result["interrupted"] = True
    finally:
        services.stop_all()
    result["started_pids"] = pids
    result["seconds"] = round(time.monotonic() - started, 1)
    result["load_average_after"] = _load()
    tables = _summarise(result)
    text = "\n\n".join(tables)
    print("\n" + text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, sort_keys=False) + "\n")
    if args.tables:
        args.tables.write_text(text + "\n")
    print(f"\nJSON result: {out} ({result['seconds']} s)")
    return 130 if result.get("interrupted") else 0


def _summarise(result: dict[str, Any]) -> list[str]:
    """Fill ``result["summaries"]`` and return the tables to print."""
    scenarios, summaries = result["scenarios"], result["summaries"]
    tables: list[str] = []
    makers = {
        "multicast": (report.multicast_summary, report.multicast_table),
        "fanout": (report.fanout_summary, report.fanout_table),
        "idle": (report.idle_summary, report.idle_table),
        "mesh": (report.mesh_summary, report.mesh_table),
    }
    for name, (summarise, render) in makers.items():
        raw = scenarios.get(name)
        if raw is None:
            continue
        if "error" in raw and "cases" not in raw:
            summaries[name] = {"absent": f"error: {raw['error']}"}
            tables.append(f"{name}: error: {raw['error']}")
            continue
        summaries[name] = summarise(raw)
        tables.append(render(summaries[name]))
    summaries["targets"] = report.targets(summaries)
    tables.append(report.targets_table(summaries["targets"]))
    return tables


if __name__ == "__main__":
    sys.exit(main())
