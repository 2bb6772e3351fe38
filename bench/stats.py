"""Medians with min/max over runs, ratios, and the text tables the harness prints."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence


def summary(values: Iterable[float | None]) -> dict[str, float] | None:
    """``{"median", "min", "max", "runs"}`` of the values that are not None (None if none)."""
    present = [float(v) for v in values if v is not None]
    if not present:
        return None
    return {
        "median": statistics.median(present),
        "min": min(present),
        "max": max(present),
        "runs": len(present),
    }


def ratio(value: dict[str, float] | None, base: dict[str, float] | None) -> float | None:
    """Median over median, or None when either side is missing or the base is zero."""
    if value is None or base is None or not base["median"]:
        return None
    return value["median"] / base["median"]


def fmt_number(value: float | None, digits: int = 0) -> str:
    """A number with thousands separators, or ``-``."""
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def fmt_summary(value: dict[str, float] | None, digits: int = 0) -> str:
    """``median [min–max]``, or ``-``."""
    if value is None:
        return "-"
    if value["runs"] == 1:
        return fmt_number(value["median"], digits)
    low, high = fmt_number(value["min"], digits), fmt_number(value["max"], digits)
    return f"{fmt_number(value['median'], digits)} [{low}–{high}]"


def fmt_ratio(value: float | None) -> str:
    """``1.23x`` or ``-``."""
    return "-" if value is None else f"{value:.2f}x"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table (readable as plain text too)."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(row) for row in rows]
    return "\n".join(out)
