"""``python -m bench --quick`` as a smoke test of the harness (no speed thresholds).

It must finish, stop what it started, and write a JSON result in which every scenario and
every case is either measured or explicitly marked absent (or failed) with a reason, and
every scenario measured something.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, papo_env

pytestmark = [pytest.mark.netns, pytest.mark.timeout(180)]

#: Seconds the quick run may take here (it aims at well under a minute alone).
QUICK_DEADLINE_S = 110


def _run_quick(tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], dict]:
    out = tmp_path / "quick.json"
    env = papo_env()
    env["PYTHONPATH"] = f"{ROOT}:{env['PYTHONPATH']}"
    harness = subprocess.Popen(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = harness.communicate(timeout=QUICK_DEADLINE_S)
    except subprocess.TimeoutExpired:
        harness.terminate()  # SIGTERM: the harness stops every server it started
        stdout, stderr = harness.communicate(timeout=30)
        pytest.fail(f"quick run took over {QUICK_DEADLINE_S}s: {stdout[-3000:]}{stderr[-3000:]}")
    done = subprocess.CompletedProcess(harness.args, harness.returncode, stdout, stderr)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done, json.loads(out.read_text())


def _status(case: dict, measured_key: str) -> str:
    """``measured``, ``absent`` or ``error`` (each with its reason), or ``broken``."""
    if case.get("absent"):
        return "absent" if str(case["absent"]).strip() else "broken"
    if "error" in case:
        # a timeout of an external tool on a loaded machine: reported, with its reason
        return "error" if str(case["error"]).strip() else "broken"
    value = case
    for key in measured_key.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, dict) and value.get("absent"):
        return "absent"
    return "broken" if value is None else "measured"


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    return _run_quick(tmp_path_factory.mktemp("bench"))


def test_quick_run_covers_every_scenario_measured_or_absent_with_a_reason(quick) -> None:
    _done, result = quick
    scenarios = result["scenarios"]
    assert set(scenarios) == {"multicast", "fanout", "idle", "mesh"}
    problems = []
    measured = {
        "multicast": "blast.received_per_s",
        "fanout": "blast.delivered_per_s",
        "idle": "rss_kib",
        "mesh": "discovery_s",
    }
    for name, raw in scenarios.items():
        if raw.get("absent"):
            assert raw["absent"].strip(), name
            continue
        assert "cases" in raw, f"{name}: {raw.get('error')}"
        statuses = [_status(case, measured[name]) for case in raw["cases"]]
        broken = [
            case for case, status in zip(raw["cases"], statuses, strict=True) if status == "broken"
        ]
        if broken:
            problems.append(f"{name}: neither measured nor absent/failed with a reason: {broken}")
        if "measured" not in statuses and "absent" not in statuses:
            problems.append(f"{name}: nothing measured: {raw['cases']}")
    assert not problems, problems


def test_quick_run_compares_papo_with_its_baselines_and_the_load_generator_ceiling(
    quick,
) -> None:
    _done, result = quick
    systems = {case["system"] for case in result["scenarios"]["fanout"]["cases"]}
    assert {"papo", "naive", "nats", "mosquitto"} <= systems
    ceilings = result["scenarios"]["fanout"]["ceilings"]
    assert ceilings and all("receive" in c and "publish" in c for c in ceilings)
    assert result["summaries"]["targets"], "the targets of issue 7 are reported"
    assert result["machine"]["nproc"] >= 1
    assert result["load_average_before"]


def test_quick_run_prints_ratio_tables_and_leaves_no_server_running(quick) -> None:
    done, result = quick
    assert "vs naive" in done.stdout and "vs nats" in done.stdout
    assert "JSON result:" in done.stdout
    assert result["started_pids"]
    alive = [pid for pid in result["started_pids"] if Path(f"/proc/{pid}").exists()]
    assert not alive, f"still running after the harness ended: {alive}"
