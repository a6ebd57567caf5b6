"""The plan's path (計画経路) for 収入未済額 and 総合収納率, read from ``parameters/plan_targets.yaml``.

Rules (stated in the parameters file, ``interpolation``): 収入未済額 is a stock, interpolated linearly month
end by month end between the year-end points; 総合収納率 is a cumulative yearly figure, so only its year-end
targets are interpolated (linearly by year); the monthly pace line for the rate is the previous year's
same-month rate shifted by the improvement the year's target asks for.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kokuho_nb.months import year_end
from kokuho_nb.params import load_yaml, parameter


def _months_between(a: dt.date, b: dt.date) -> int:
    return (b.year - a.year) * 12 + (b.month - a.month)


def unpaid_path(on: dt.date) -> float | None:
    """收入未済額 on the plan's path at month end ``on`` (linear by month between year-end points).

    ``None`` before the first point or after the last (the plan says nothing there).
    """
    points = parameter("plan_targets.key_targets.unpaid").values
    for (d0, v0), (d1, v1) in zip(points, points[1:], strict=False):
        if d0 <= on <= d1:
            span = _months_between(d0, d1)
            k = _months_between(d0, on)
            return float(v0) + (float(v1) - float(v0)) * k / span
    return None


def rate_target(fiscal_year: int) -> float | None:
    """総合収納率 target at the end of ``fiscal_year`` (May 31 after it), linear between the plan's points."""
    points = parameter("plan_targets.key_targets.total_rate").values
    end = year_end(fiscal_year)
    for (d0, v0), (d1, v1) in zip(points, points[1:], strict=False):
        if d0 <= end <= d1:
            years = d1.year - d0.year
            k = end.year - d0.year
            return round(float(v0) + (float(v1) - float(v0)) * k / years, 4)
    return None


def history() -> dict[str, Any]:
    return dict(load_yaml("plan_targets.yaml")["history"])


def plan_info() -> dict[str, Any]:
    return dict(load_yaml("plan_targets.yaml")["plan"])


def ward_comparison() -> dict[str, Any]:
    return dict(load_yaml("ward_comparison.yaml"))
