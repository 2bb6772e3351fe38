"""Scenario 2, TCP room fan-out: publishers -> N subscribers through each room server.

For every system, subscriber count N and publisher count P, a fresh server is started and
the load generator (:mod:`bench.loadgen`) measures:

- *paced* (first): 1 000 messages/s in total (fewer at N = 1 000, see :func:`paced_rate`)
  for a fixed time; p50/p99 end-to-end
  latency (send to receipt, sampled subscribers), loss;
- *blast*: each publisher sends its share as fast as TCP takes it; delivered messages/s
  (all subscribers together), loss, and clients the server cut.

The load generator's own ceilings are measured in the same run against servers that cost
next to nothing: a firehose (receive ceiling at N subscribers) and a sink (publish).
"""

from __future__ import annotations

from typing import Any

from bench.loadgen import LoadError, LoadGenerator
from bench.procs import Services, cpu_seconds, rss_kib
from bench.profiles import Profile
from bench.systems import FIREHOSE, ROOM_SYSTEMS, SINK, Absent, System

#: Seconds allowed to connect and handshake all clients of one case.
SETUP_DEADLINE_S = 60.0
#: Deliveries per second the latency run stays under: well below the load generator's
#: receive ceiling (measured and printed), so the latency measured is the server's.
PACED_MAX_DELIVERIES_PER_S = 200_000
#: Seconds allowed for every subscriber to see a warm-up probe.
WARM_UP_DEADLINE_S = 10.0


def _measure(result: Any) -> dict[str, Any]:
    return {
        "sent": result.sent,
        "expected": result.expected,
        "delivered": result.delivered,
        "elapsed_s": round(result.elapsed_s, 4),
        "delivered_per_s": round(result.delivered_per_s, 1),
        "loss_pct": round(result.loss_pct, 3),
        "cut_clients": result.cut_clients,
        "p50_ms": result.percentile_ms(0.50),
        "p99_ms": result.percentile_ms(0.99),
        "latency_samples": len(result.latencies_ns),
    }


def paced_rate(profile: Profile, subscribers: int) -> int:
    """Messages/s of the latency run: 1 000, less where the deliveries would pass
    :data:`PACED_MAX_DELIVERIES_PER_S` (then the latency would be the load generator's)."""
    return max(1, min(profile.paced_rate, PACED_MAX_DELIVERIES_PER_S // subscribers))


def run_case(
    services: Services, system: System, subscribers: int, publishers: int, profile: Profile
) -> dict[str, Any]:
    """One system at one (N, P): a fresh server, blast then paced; never raises LoadError."""
    case: dict[str, Any] = {
        "system": system.name,
        "subscribers": subscribers,
        "publishers": publishers,
    }
    try:
        service = system.start(services)
    except Absent as exc:
        return {**case, "absent": str(exc)}
    generator = LoadGenerator(system.wire(), "127.0.0.1", service.port or 0)
    try:
        case["setup_s"] = round(generator.connect(subscribers, publishers, SETUP_DEADLINE_S), 3)
        generator.warm_up(WARM_UP_DEADLINE_S)
        # paced first: a blast may get clients cut, which would spoil the latency run
        rate = paced_rate(profile, subscribers)
        paced_total = int(rate * profile.paced_seconds)
        paced = generator.run(
            max(1, paced_total // publishers),
            rate,
            profile.paced_seconds + profile.blast_deadline_s,
            profile.idle_s,
        )
        case["paced"] = {"rate_per_s": rate, **_measure(paced)}
        cpu_before = cpu_seconds(service.pid) or 0.0
        total = max(
            profile.min_messages, min(profile.max_messages, profile.deliveries // subscribers)
        )
        blast = generator.run(
            max(1, total // publishers), None, profile.blast_deadline_s, profile.idle_s
        )
        case["server_cpu_s_blast"] = round((cpu_seconds(service.pid) or 0.0) - cpu_before, 3)
        case["blast"] = _measure(blast)
        case["server_rss_kib"] = rss_kib(service.pid)
    except LoadError as exc:
        case["error"] = f"{exc}; server log: {service.log_tail()}"
    finally:
        generator.close()
        services.stop(service)
    return case


def run_ceiling(services: Services, subscribers: int, profile: Profile) -> dict[str, Any]:
    """The load generator's receive ceiling at N subscribers, and its publish ceiling."""
    out: dict[str, Any] = {"subscribers": subscribers}
    service = FIREHOSE.start(services)
    generator = LoadGenerator(FIREHOSE.wire(), "127.0.0.1", service.port or 0)
    try:
        generator.connect(subscribers, 0, SETUP_DEADLINE_S)
        # long enough to be steady: at least 2 000 messages for each subscriber
        per_sub = max(2 * profile.min_messages, profile.deliveries * 4 // subscribers)
        out["receive"] = _measure(generator.receive_only(per_sub, profile.blast_deadline_s))
    except LoadError as exc:
        out["error"] = str(exc)
    finally:
        generator.close()
        services.stop(service)
    service = SINK.start(services)
    generator = LoadGenerator(SINK.wire(), "127.0.0.1", service.port or 0)
    try:
        generator.connect(0, 1, SETUP_DEADLINE_S)
        out["publish"] = _measure(
            generator.publish_only(profile.deliveries, profile.blast_deadline_s)
        )
    except LoadError as exc:
        out["error"] = str(exc)
    finally:
        generator.close()
        services.stop(service)
    return out


def run(services: Services, profile: Profile, log) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Every case, ``profile.runs`` times, systems interleaved so load noise hits all alike."""
    cases: list[dict[str, Any]] = []
    ceilings: list[dict[str, Any]] = []
    for run_index in range(profile.runs):
        for subscribers in profile.fanout_subscribers:
            ceiling = run_ceiling(services, subscribers, profile)
            ceilings.append({"run": run_index, **ceiling})
            log(
                f"fanout run {run_index + 1}: load generator ceiling at N={subscribers}: "
                f"{ceiling.get('receive', {}).get('delivered_per_s', '-')} msg/s received"
            )
            for publishers in profile.fanout_publishers:
                for system in ROOM_SYSTEMS:
                    case = run_case(services, system, subscribers, publishers, profile)
                    cases.append({"run": run_index, **case})
                    log(_one_line(case))
    return {"cases": cases, "ceilings": ceilings}


def _one_line(case: dict[str, Any]) -> str:
    head = f"fanout {case['system']} N={case['subscribers']} P={case['publishers']}: "
    if "absent" in case:
        return head + "absent: " + case["absent"]
    if "error" in case:
        return head + "error: " + case["error"]
    blast, paced = case["blast"], case["paced"]
    return head + (
        f"{blast['delivered_per_s']:,.0f} msg/s loss {blast['loss_pct']:.1f}% "
        f"cut {blast['cut_clients']}; paced p99 {paced['p99_ms'] or 0:.2f} ms "
        f"loss {paced['loss_pct']:.1f}%"
    )
