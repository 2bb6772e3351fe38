"""``python -m bench.readme [RESULT.json]``: write the latest results into bench/README.md.

Replaces the blocks between ``<!-- machine:begin -->``/``end``, ``tables`` and ``profile``
with the machine, the tables (re-rendered from the JSON) and ``results/profile.txt``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from bench.__main__ import _summarise

HERE = Path(__file__).resolve().parent


def machine_block(result: dict) -> str:
    """The machine and the conditions of the run, as a Markdown list."""
    m = result["machine"]
    scenarios = result["scenarios"]
    loads = ", ".join(
        f"{name} {raw['load_average']['before']} -> {raw['load_average']['after']}"
        for name, raw in scenarios.items()
        if "load_average" in raw
    )
    return "\n".join(
        [
            f"- run started {result['started_utc']}, took {result['seconds']} s, "
            f"profile `{result['profile']['name']}`, {result['profile']['runs']} runs",
            f"- {m['nproc']} CPUs, {m['memory_mib']} MiB memory, Linux {m['kernel']}",
            f"- Python {m['python']}, uvloop {m['uvloop'] or 'absent'}",
            f"- {m['nats_server'] or 'nats-server absent'}; {m['mosquitto'] or 'mosquitto absent'};"
            f" {m['iperf'] or 'iperf absent'}",
            f"- load average (1, 5, 15 min) before -> after each scenario: {loads}",
        ]
    )


def replace_block(text: str, key: str, body: str) -> str:
    """Put ``body`` between the ``key`` markers of ``text``."""
    pattern = re.compile(rf"(<!-- {key}:begin -->\n).*?(\n<!-- {key}:end -->)", re.DOTALL)
    return pattern.sub(lambda m: m.group(1) + body + m.group(2), text)


def main() -> int:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results" / "latest.json"
    result = json.loads(source.read_text())
    tables = "\n\n".join(_summarise(result))
    readme = HERE / "README.md"
    text = readme.read_text()
    text = replace_block(text, "machine", machine_block(result))
    text = replace_block(text, "tables", "```\n" + tables + "\n```")
    profile = HERE / "results" / "profile.txt"
    if profile.exists():
        text = replace_block(text, "profile", "```\n" + profile.read_text().rstrip() + "\n```")
    readme.write_text(text)
    print(f"{readme} updated from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
