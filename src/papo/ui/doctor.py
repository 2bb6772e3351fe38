"""Printing the ``papo doctor`` report: findings first, then numbered next steps."""

from __future__ import annotations

import sys
from typing import TextIO

from papo.discovery.beacon import BEACON_GROUP, BEACON_PORT, BEACON_TTL
from papo.discovery.doctor import DoctorReport, Level
from papo.i18n import CATALOG, translate
from papo.protocol.text import terminal_safe

#: The mark in front of each finding, by level.
MARKS = {Level.OK: "[ok]", Level.WARNING: "[!!]", Level.PROBLEM: "[xx]"}


def _filled(details: dict[str, object], lang: str) -> dict[str, object]:
    """Details ready for a text: nested codes translated, remote strings made safe."""
    out: dict[str, object] = {"port": BEACON_PORT, "group": BEACON_GROUP, "ttl": BEACON_TTL}
    for key, value in details.items():
        if isinstance(value, str) and value in CATALOG:
            out[key] = translate(value, lang)
        elif isinstance(value, str):
            out[key] = terminal_safe(value)
        else:
            out[key] = value
    return out


def report_lines(report: DoctorReport, lang: str) -> list[str]:
    """The report as text lines in ``lang``."""
    lines = []
    advice: dict[str, dict[str, object]] = {}
    for finding in report.findings:
        details = _filled(finding.details, lang)
        lines.append(f"{MARKS[finding.level]} {translate(finding.code, lang, **details)}")
        for code in finding.advice:
            advice.setdefault(code, details)
    if advice:
        lines.append("")
        lines.append(translate("doctor_next_title", lang))
        for number, (code, details) in enumerate(advice.items(), start=1):
            lines.append(f"  {number}. {translate(code, lang, **details)}")
    lines.append("")
    lines.append(translate("doctor_healthy" if report.healthy else "doctor_unhealthy", lang))
    return lines


def print_report(report: DoctorReport, lang: str, out: TextIO = sys.stdout) -> None:
    """Print the report, flushed."""
    for line in report_lines(report, lang):
        out.write(line + "\n")
    out.flush()


def print_title(seconds: float, lang: str, out: TextIO = sys.stdout) -> None:
    """The first line, shown before the checks start (they take a few seconds)."""
    out.write(translate("doctor_title", lang, seconds=seconds) + "\n")
    out.flush()
