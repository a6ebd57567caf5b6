"""The synthetic ward's figures beside the seed's: ``kokuho-nb calibration``.

Every generated figure is computed with :mod:`kokuho_nb.stats` on canonical ``Ledger`` tables cut from the
timeline (:func:`kokuho_nb.synth.cut.cut`), exactly as an imported ledger would be analysed. Earlier years'
figures need the whole history, so the calibration cuts with ``retain="all"`` (an exported ledger keeps only
the recent years plus the still-open older charges).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kokuho_nb import stats
from kokuho_nb.era import fiscal_year_label as fiscal_label
from kokuho_nb.months import year_end
from kokuho_nb.params import value
from kokuho_nb.synth.config import SynthConfig, load_config
from kokuho_nb.synth.cut import cut
from kokuho_nb.synth.timeline import build_timeline


def _check(target: float, generated: float, *, pct: float | None = None, pt: float | None = None) -> tuple[str, bool]:
    if pct is not None:
        ok = bool(abs(generated - target) <= abs(target) * pct / 100)
        return f"±{pct:g}%", ok
    assert pt is not None
    return f"±{pt:g}pt", bool(abs(generated - target) <= pt)


def profile(ledger: Any, as_of: dt.date) -> dict[str, float]:
    """The arrears profile the plan describes (seed 1(3)ア) on ``as_of``: households with unpaid charges of
    the fiscal years up to the one ending that May, their total, and the shares of cases under the amount
    band threshold (parameters/case_view.yaml) and of low income among those."""
    threshold = int(value("case_view.amount_band_threshold", as_of))
    low_classes = set(value("case_view.low_income_classes", as_of))
    max_fy = as_of.year - 1 if as_of.month <= 5 else as_of.year
    per_hh = stats.arrears_by_household(ledger, as_of, max_fy)
    small = per_hh[per_hh < threshold]
    income = ledger.households.set_index("household_id")["income_class"]
    low = income.reindex(small.index).isin(low_classes)
    return {
        "count": int(len(per_hh)),  # plain Python numbers throughout (JSON, `is True` checks)
        "amount": int(per_hh.sum()),
        "small_case_share": 100.0 * len(small) / len(per_hh) if len(per_hh) else 0.0,
        "small_amount_share": float(100.0 * int(small.sum()) / int(per_hh.sum())) if len(per_hh) else 0.0,
        "small_low_income_share": 100.0 * float(low.mean()) if len(small) else 0.0,
    }


PROFILE_LABELS = {
    "count": "滞納世帯数（令和6年度以前の未納あり）",
    "amount": "滞納額合計",
    "small_case_share": "50万円未満の割合（件数）",
    "small_amount_share": "50万円未満の割合（金額）",
    "small_low_income_share": "50万円未満のうち低所得者層の割合",
}


def calibration(seed: int = 1, households: int | None = None, *, config: SynthConfig | None = None,
                progress: Callable[[str], None] | None = None) -> list[dict]:
    """Each target figure beside the generated one: ``[{"label", "target", "generated", "unit",
    "tolerance", "ok", "source", "note"}]``. Figures the generator cannot reproduce are listed with
    ``ok = None`` and the reason in ``note``. Counts and yen targets are scaled to ``households``."""
    cfg = config or load_config()
    n = int(households or cfg.default_households)
    scale = cfg.scale(n)
    prof_cfg = cfg.profile_targets
    as_of = dt.date.fromisoformat(str(prof_cfg["as_of"]))
    tl = build_timeline(seed=seed, households=n, last_year=as_of.year - 1, config=cfg, progress=progress,
                        casework=False)
    ledger = cut(tl, as_of, retain="all", categorical_ids=True)
    out: list[dict] = []
    prof = profile(ledger, as_of)
    for key, label in PROFILE_LABELS.items():
        node = prof_cfg[key]
        target = float(node["value"])
        unit = "%" if "share" in key else ("円" if key == "amount" else "件")
        if unit != "%":
            target *= scale
        tol, ok = _check(target, prof[key], pct=node.get("tolerance_pct"), pt=node.get("tolerance_pt"))
        out.append({"label": label, "target": target, "generated": prof[key], "unit": unit, "tolerance": tol,
                    "ok": ok, "source": "seed 1(3)ア", "note": f"{as_of.isoformat()} 時点"})
    by_year: dict[int, dict] = {}
    for pub in cfg.published:
        fy = int(pub["year_end"])
        kind = pub["kind"]
        target = float(pub["value"]) * (scale if kind == "stock" else 1.0)
        unit = "円" if kind == "stock" else "%"
        if pub.get("reproduced") is False:
            out.append({"label": pub["label"], "target": target, "generated": None, "unit": unit,
                        "tolerance": "", "ok": None, "source": pub["source"], "note": pub.get("why_not", "")})
            continue
        if fy not in by_year:
            by_year[fy] = stats.collection_stats(ledger, fy)
        st = by_year[fy]
        generated = st["total"]["outstanding"] if kind == "stock" else st["total"]["rate"]
        tol, ok = _check(target, generated, pct=pub.get("tolerance_pct"), pt=pub.get("tolerance_pt"))
        out.append({"label": pub["label"], "target": target, "generated": generated, "unit": unit,
                    "tolerance": tol, "ok": ok, "source": pub["source"],
                    "note": f"年度末 {year_end(fy).isoformat()}"})
    # the split of the FY2024 rate that the seed does not publish: the assumed 現年分 rate, and the 滞繰分 rate
    # that follows from it (shown, not checked)
    fy = as_of.year - 1
    st = by_year.get(fy) or stats.collection_stats(ledger, fy)
    assumed = cfg.target(fy).current_rate
    gen_cur = st["current"]["rate"]
    tol, ok = _check(float(assumed or 0.0), float(gen_cur or 0.0), pt=0.5)
    out.append({"label": f"現年分収納率 {fiscal_label(fy)}", "target": assumed, "generated": gen_cur, "unit": "%",
                "tolerance": tol, "ok": ok, "source": "assumption (parameters/synthetic_ward.yaml)",
                "note": "計画に数値なし（仮定値）"})
    out.append({"label": f"滞納繰越分収納率 {fiscal_label(fy)}", "target": None, "generated": st["carried"]["rate"],
                "unit": "%", "tolerance": "", "ok": None, "source": "—",
                "note": "計画に数値なし（総合・現年の値から決まる）"})
    return out
