"""One deterministic timeline of the synthetic ward for a seed; snapshots are cuts of it at an as-of date.

The ward is simulated fiscal year by fiscal year (``parameters/synthetic_ward.yaml`` explains the
calibration). Every charge row (household × fiscal year × instalment) gets the day it is paid
(:data:`~kokuho_nb.synth.days.NEVER` if never), the day it is written off, and the day its 督促状 is sent;
events (contacts, property inquiries, seizures, suspensions, pledges, write-offs) carry their dates. Year
``y`` is simulated from its own random stream, and nothing in it depends on the as-of date, so a later
snapshot continues an earlier one exactly: a cut only hides what happens after the as-of date.

Simplification (documented): a payment settles whole instalments (a pledge pays the oldest instalments
month by month); a few late payments are split in two when written out (see :mod:`kokuho_nb.synth.cut`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kokuho_nb.synth import days as D
from kokuho_nb.synth.config import INCOME_CLASSES, LOW_INCOME, SynthConfig, load_config
from kokuho_nb.synth.names import household_names, staff_names

log = logging.getLogger(__name__)

DAYS_PER_YEAR = 365.25
LARGE_CASE = 500_000

# Codes used in event arrays (index into these tuples)
DISP_KINDS = ("差押", "執行停止", "分納誓約", "換価の猶予", "不納欠損")
METHODS = ("文書", "電話", "SMS", "訪問", "臨場催告", "窓口")
RESULTS = ("接触", "不在", "不通", "納付約束", "分納誓約", "拒否", "居所不明", "その他")
TARGETS = ("預貯金", "給与", "年金", "生命保険", "不動産", "その他")
MEMOS = (
    "",
    "催告書送付",
    "納付案内センター（電話勧奨）",
    "SMS配信（納付案内センター）",
    "納付案内センター（訪問・差置き）",
    "臨場催告",
    "債務承認（時効更新）",
    "納付約束",
    "分納誓約書受理",
    "差押予告",
)


class _Events:
    """Column arrays collected year by year, concatenated at the end."""

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = columns
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, **cols: Any) -> None:
        n = None
        arrays = {}
        for name in self.columns:
            arr = np.asarray(cols[name])
            arrays[name] = arr
            n = len(arr) if n is None else n
            if len(arr) != n:
                raise ValueError(f"column {name}: length {len(arr)} != {n}")
        if n:
            self.parts.append(arrays)

    def frame(self) -> dict[str, np.ndarray]:
        if not self.parts:
            return {c: np.zeros(0, dtype=np.int64) for c in self.columns}
        return {c: np.concatenate([p[c] for p in self.parts]) for c in self.columns}


@dataclass
class Timeline:
    seed: int
    households: int
    scale: float
    last_year: int
    config: SynthConfig
    hh: dict[str, np.ndarray] = field(default_factory=dict)
    rows: dict[str, np.ndarray] = field(default_factory=dict)
    dispositions: dict[str, np.ndarray] = field(default_factory=dict)
    contacts: dict[str, np.ndarray] = field(default_factory=dict)
    inquiries: dict[str, np.ndarray] = field(default_factory=dict)
    persons: dict[str, np.ndarray] = field(default_factory=dict)
    trainings: dict[str, np.ndarray] = field(default_factory=dict)
    year_log: list[dict[str, Any]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- helpers
def _weighted_order(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """A random permutation where heavier items tend to come first (Efraimidis–Spirakis keys)."""
    w = np.maximum(np.asarray(weights, dtype=float), 1e-12)
    u = rng.random(len(w))
    keys = np.log(np.maximum(u, 1e-300)) / w
    return np.argsort(-keys, kind="stable")


def _weighted_pick(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    k = int(max(0, min(k, len(weights))))
    return _weighted_order(rng, weights)[:k]


def _take_until(amounts: np.ndarray, target: float) -> int:
    """How many leading items to take so that their sum is closest to ``target``."""
    if target <= 0 or len(amounts) == 0:
        return 0
    cum = np.cumsum(amounts)
    n = int(np.searchsorted(cum, target, side="left"))
    if n >= len(cum):
        return len(cum)
    below = cum[n - 1] if n > 0 else 0
    return n + 1 if (cum[n] - target) < (target - below) else n


def _group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """For a sorted key array, the index of the first element of each element's group."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.ones(len(sorted_keys), dtype=bool)
    new[1:] = sorted_keys[1:] != sorted_keys[:-1]
    starts = np.flatnonzero(new)
    return starts[np.cumsum(new) - 1]


def _group_cumsum(sorted_keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    cum = np.cumsum(values)
    starts = _group_starts(sorted_keys)
    before = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0)
    return cum - before


def _uniform_days(rng: np.random.Generator, lo: int, hi: int, n: int) -> np.ndarray:
    """Business days drawn uniformly in [lo, hi] (shifted forward to an open day, capped at ``hi``)."""
    raw = rng.integers(lo, hi + 1, n)
    return np.minimum(D.next_business(raw), hi).astype(np.int32)


def _batch_days(first_year: int, last_year: int) -> np.ndarray:
    """Write-off batch days (不納欠損処理): Jun 30, Sep 30, Dec 25, Mar 31, May 31 of each fiscal year, moved
    back to an open day so that the May batch stays inside the closing period (assumption)."""
    out = []
    for fy in range(first_year - 1, last_year + 3):
        for y, m, d in ((fy, 6, 30), (fy, 9, 30), (fy, 12, 25), (fy + 1, 3, 31), (fy + 1, 5, 31)):
            n = D.day(dt.date(y, m, d))
            while D.next_business(n) != n:
                n -= 1
            out.append(n)
    return np.array(sorted(set(out)), dtype=np.int32)


# ---------------------------------------------------------------------------------------------- generator
class _Generator:
    def __init__(self, seed: int, households: int, last_year: int, config: SynthConfig,
                 progress: Callable[[str], None] | None = None) -> None:
        self.seed = int(seed)
        self.n = int(households)
        self.cfg = config
        self.scale = config.scale(self.n)
        self.first_year = config.first_year
        self.last_year = int(last_year)
        self.progress = progress or (lambda _msg: None)
        self.casework = True
        t = config.timeline
        self.n_inst = int(t["instalments"])
        self.first_month = int(t["first_month"])
        self.demand_days = int(t["demand_days_after_due"])
        self.lim_days = int(round(float(t["limitation_years"]) * DAYS_PER_YEAR))
        self.ext_days = int(round(float(t["suspension_extinction_years"]) * DAYS_PER_YEAR))
        self.opening_years = [int(y) for y in t["opening_years"]]
        self.batches = _batch_days(min(self.opening_years), self.last_year)
        self.disp = _Events(("hh", "kind", "start", "amount", "ground", "monthly", "count", "end", "end_state"))
        self.cont = _Events(("hh", "day", "method", "result", "promised", "promised_day", "memo"))
        self.inq = _Events(("hh", "day", "target", "mode", "answer", "result", "found"))
        self.year_log: list[dict[str, Any]] = []

    # -- random streams: one per purpose and year, so years never disturb each other
    def rng(self, *key: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, *key])

    def count(self, node: dict[str, float], fiscal_year: int) -> int:
        plan_fy = dt.date.fromisoformat(str(self.cfg.activity["plan_start"])).year
        base = node["plan"] if fiscal_year >= plan_fy else node["before"]
        return int(round(float(base) * self.scale))

    # ------------------------------------------------------------------------------------------ population
    def population(self) -> None:
        rng = self.rng(0)
        pop = self.cfg.population
        n = self.n
        classes = np.array(INCOME_CLASSES)
        shares = np.array([pop["income_class"][c] for c in INCOME_CLASSES], dtype=float)
        counts = np.floor(shares / shares.sum() * n).astype(int)
        counts[3] += n - counts.sum()
        income = rng.permutation(np.repeat(np.arange(len(classes)), counts))
        foreign = np.zeros(n, dtype=bool)
        foreign[rng.permutation(n)[: int(round(pop["foreign_share"] * n))]] = True
        langs = list(pop["languages"])
        lang_p = np.array([pop["languages"][k] for k in langs], dtype=float)
        lang_idx = rng.choice(len(langs), size=n, p=lang_p / lang_p.sum())
        language = np.where(foreign, np.array(langs, dtype=object)[lang_idx], "日本語")
        phone_p = np.where(foreign, pop["phone_share"]["外国"], pop["phone_share"]["日本"])
        phone = rng.random(n) < phone_p
        beh = self.cfg.behaviour
        risk = np.exp(rng.normal(0.0, float(beh["risk_sigma"]), n))
        # direct debit: more likely among low-risk households
        dd_score = rng.random(n) * (1 + risk)
        direct_debit = np.zeros(n, dtype=bool)
        direct_debit[np.argsort(dd_score, kind="stable")[: int(round(pop["direct_debit_share"] * n))]] = True
        pension = np.zeros(n, dtype=bool)
        pension[rng.permutation(n)[: int(round(pop["employee_pension_share"] * n))]] = True
        area = rng.integers(0, int(pop["areas"]), n).astype(np.int16)
        # premiums (FY2024 level)
        med = np.array([pop["premium_fy2024"][c]["median"] for c in INCOME_CLASSES], dtype=float)
        sig = np.array([pop["premium_fy2024"][c]["sigma"] for c in INCOME_CLASSES], dtype=float)
        premium = med[income] * np.exp(rng.normal(0.0, 1.0, n) * sig[income])
        premium = np.minimum(premium, float(pop["premium_cap"]))
        # membership: join / leave fiscal years
        fy0 = min(self.opening_years)
        join = np.full(n, fy0, dtype=np.int16)
        late = rng.random(n) < float(self.cfg.raw["households"]["join_late_share"])
        join[late] = rng.integers(self.first_year + 1, max(self.first_year + 2, 2027), late.sum())
        leave = np.full(n, 9999, dtype=np.int16)
        leaving = rng.random(n) < float(self.cfg.raw["households"]["leave_share"])
        lo = np.maximum(join[leaving], self.first_year).astype(int)
        leave[leaving] = lo + (rng.random(leaving.sum()) * (2027 - lo)).astype(int)
        weight = np.array([beh["delinquency_weight"][c] for c in INCOME_CLASSES], dtype=float)[income]
        weight = weight * np.where(foreign, float(beh["foreign_weight"]), 1.0)
        weight = weight * np.where(direct_debit, float(beh["direct_debit_weight"]), 1.0)
        weight = weight * np.where(pension, float(beh["employee_pension_weight"]), 1.0)
        weight = weight * risk
        self.hh = {
            "income": income.astype(np.int8),
            "low": np.isin(income, [INCOME_CLASSES.index(c) for c in LOW_INCOME]),
            "foreign": foreign,
            "language": language,
            "phone": phone,
            "direct_debit": direct_debit,
            "pension": pension,
            "area": area,
            "premium": premium,
            "join": join,
            "leave": leave,
            "weight": weight,
            "name": household_names(rng, foreign),
            "wu_day": np.full(n, D.NEVER, dtype=np.int32),
            "renew": np.zeros(n, dtype=np.int32),
            "susp_start": np.full(n, D.NEVER, dtype=np.int32),
            "susp_end": np.full(n, D.NEVER, dtype=np.int32),
            "susp_end_state": np.zeros(n, dtype=np.int8),
        }

    # ------------------------------------------------------------------------------------------ charges
    def charges(self) -> None:
        """All charge rows: the opening stock's instalments, then every insured household × year × instalment."""
        hh = self.hh
        growth = float(self.cfg.population["premium_growth"])
        cap = float(self.cfg.population["premium_cap"])
        parts: list[dict[str, np.ndarray]] = []
        self.year_slice: dict[int, tuple[int, int]] = {}
        start = 0
        # opening stock (only unpaid instalments are kept; the paid ones of those years are not modelled)
        opening = self._opening_rows(growth, cap)
        parts.append(opening)
        start += len(opening["hh"])
        self.n_opening = start
        month_ends = {}
        for y in range(self.first_year, self.last_year + 1):
            insured = np.flatnonzero((hh["join"] <= y) & (hh["leave"] >= y))
            annual = np.minimum(hh["premium"][insured] * (1 + growth) ** (y - 2024), cap)
            annual = (np.round(annual / 100) * 100).astype(np.int64)
            inst = (annual // self.n_inst // 100) * 100
            amounts = np.repeat(inst[:, None], self.n_inst, axis=1)
            amounts[:, 0] = annual - inst * (self.n_inst - 1)
            dues = []
            for i in range(self.n_inst):
                m = self.first_month + i
                yy, mm = (y, m) if m <= 12 else (y + 1, m - 12)
                dues.append(D.next_business(D.month_end_day(yy, mm)))
            month_ends[y] = np.array(dues, dtype=np.int32)
            k = len(insured)
            assess_md = str(self.cfg.timeline["assessment_day"])
            assess = D.next_business(D.day(dt.date(y, int(assess_md[:2]), int(assess_md[3:]))))
            parts.append({
                "hh": np.repeat(insured.astype(np.int32), self.n_inst),
                "fy": np.full(k * self.n_inst, y, dtype=np.int16),
                "inst": np.tile(np.arange(1, self.n_inst + 1, dtype=np.int8), k),
                "due": np.tile(month_ends[y], k),
                "amount": amounts.reshape(-1),
                "assess": np.full(k * self.n_inst, assess, dtype=np.int32),
            })
            self.year_slice[y] = (start, start + k * self.n_inst)
            start += k * self.n_inst
        rows = {c: np.concatenate([p[c] for p in parts]) for c in ("hh", "fy", "inst", "due", "amount", "assess")}
        total = len(rows["hh"])
        rows["paid"] = np.full(total, D.NEVER, dtype=np.int32)
        rows["wo"] = np.full(total, D.NEVER, dtype=np.int32)
        rows["demand"] = np.full(total, D.NEVER, dtype=np.int32)
        rows["demand"][: self.n_opening] = D.next_business(opening["due"] + self.demand_days - 3)
        self.rows = rows

    def _opening_rows(self, growth: float, cap: float) -> dict[str, np.ndarray]:
        rng = self.rng(0, 1)
        hh = self.hh
        fy_last = max(self.opening_years)
        tgt = self.cfg.target(fy_last)
        eligible = np.flatnonzero(hh["join"] <= fy_last)
        pick = eligible[_weighted_pick(rng, hh["weight"][eligible], int(round(tgt.count * self.scale)))]
        years_back = rng.choice([1, 2, 3], size=len(pick), p=[0.40, 0.35, 0.25])
        beh = self.cfg.behaviour
        p_new = np.array(beh["new_unpaid_instalments"], dtype=float)
        p_chr = np.array(beh["chronic_unpaid_instalments"], dtype=float)
        recs_h, recs_fy, recs_m = [], [], []
        for back in range(3):
            sel = pick[years_back > back]
            dist = p_new if back == 0 else p_chr
            m = rng.choice(np.arange(1, 11), size=len(sel), p=dist / dist.sum())
            recs_h.append(sel)
            recs_fy.append(np.full(len(sel), fy_last - back))
            recs_m.append(m)
        h = np.concatenate(recs_h)
        fy = np.concatenate(recs_fy)
        m_base = np.concatenate(recs_m).astype(float)
        annual = np.minimum(hh["premium"][h] * (1 + growth) ** (fy - 2024), cap)
        annual = (np.round(annual / 100) * 100).astype(np.int64)
        inst = (annual // self.n_inst // 100) * 100
        target = tgt.stock_bn * 1e9 * self.scale

        def total(lam: float) -> float:
            m = np.clip(np.round(m_base * lam), 1, 10)
            return float((m * inst).sum())

        lam = _solve_scale(total, target)
        m = np.clip(np.round(m_base * lam), 1, 10).astype(int)
        # rows: the last m instalments of each household-year
        rep = np.repeat(np.arange(len(h)), m)
        offset = np.arange(len(rep)) - np.repeat(np.cumsum(m) - m, m)
        inst_no = (self.n_inst - offset).astype(np.int8)
        fy_r = fy[rep].astype(np.int16)
        months = self.first_month + inst_no.astype(int) - 1
        yy = np.where(months <= 12, fy_r, fy_r + 1)
        mm = np.where(months <= 12, months, months - 12)
        due = D.next_business(_month_end_vec(yy, mm))
        amount = inst[rep].astype(np.int64)
        # the first instalment carries the rounding remainder
        first = inst_no == 1
        amount[first] = (annual[rep] - inst[rep] * (self.n_inst - 1))[first]
        # half of the opening households acknowledged their debt during FY2018 (limitation renewed)
        ack = rng.random(len(pick)) < 0.5
        lo, hi = D.year_end_day(fy_last - 1) + 1, D.year_end_day(fy_last)
        self.hh["renew"][pick[ack]] = _uniform_days(rng, lo, hi, int(ack.sum()))
        order = np.lexsort((inst_no, h[rep], fy_r))  # rows ordered by (fiscal year, household, instalment)
        return {
            "hh": h[rep][order].astype(np.int32),
            "fy": fy_r[order],
            "inst": inst_no[order],
            "due": due[order],
            "amount": amount[order],
            "assess": np.full(len(rep), 0, dtype=np.int32),
        }

    # ------------------------------------------------------------------------------------------ years
    def simulate(self) -> None:
        rows = self.rows
        self.open = np.arange(self.n_opening, dtype=np.int64)
        for y in range(self.first_year, self.last_year + 1):
            self.progress(f"FY{y}")
            self._year(y)
        del rows

    def _lim(self, idx: np.ndarray) -> np.ndarray:
        r = self.rows
        base = np.where(r["demand"][idx] < D.NEVER, r["demand"][idx] + 10, r["due"][idx] + 1)
        start = np.maximum(base, self.hh["renew"][r["hh"][idx]])
        return (start + self.lim_days).astype(np.int64)

    def _batch(self, d: np.ndarray) -> np.ndarray:
        i = np.searchsorted(self.batches, d, side="left")
        i = np.minimum(i, len(self.batches) - 1)
        return self.batches[i]

    def _year(self, y: int) -> None:
        r, hh = self.rows, self.hh
        rng = self.rng(y)
        Ep, E = D.year_end_day(y - 1), D.year_end_day(y)
        o = self.open
        a0, a1 = self.year_slice[y]
        cur = np.arange(a0, a1)
        A_prev = float(r["amount"][o].sum())
        S = float(r["amount"][cur].sum())
        tgt = self.cfg.target(y)
        A = tgt.stock_bn * 1e9 * self.scale
        R = (tgt.rate or 0.0) / 100
        rc = (tgt.current_rate or 0.0) / 100
        U = (1 - rc) * S
        W = (1 - R) * (S + A_prev) - A
        X = A_prev - W - A + U
        ho = r["hh"][o]

        # -- 1. write-offs: suspension extinction (mandatory), limitation (mandatory while suspended)
        sched = r["paid"][o] < D.NEVER
        s_start, s_end = hh["susp_start"][ho], hh["susp_end"][ho]
        covered = (r["due"][o] < s_start) & (s_start < D.NEVER)
        ext_batch = self._batch(s_end)
        extinct = covered & (s_end < D.NEVER) & (ext_batch > Ep) & (ext_batch <= E) & ~sched
        extinct &= hh["susp_end_state"][ho] == 1
        lim = self._lim(o)
        lim_batch = self._batch(np.maximum(lim, Ep + 1))
        cand = ~sched & ~extinct & (lim_batch <= E)
        suspended_now = (s_start <= E) & (s_end > Ep) & (s_start < D.NEVER)
        mand = extinct | (cand & suspended_now)
        wo_day = np.where(extinct, ext_batch, lim_batch)
        W_mand = float(r["amount"][o][mand].sum())
        # limitation candidates by household, random order (large cases less often: renewed by seizure etc.)
        c_idx = np.flatnonzero(cand & ~mand)
        c_h, inv = np.unique(ho[c_idx], return_inverse=True)
        c_sum = np.bincount(inv, weights=r["amount"][o][c_idx])
        open_total = np.bincount(ho, weights=r["amount"][o], minlength=self.n)
        w = np.where(open_total[c_h] >= LARGE_CASE, float(self.cfg.behaviour["large_case_writeoff_weight"]), 1.0)
        order = _weighted_order(rng, w)
        k = _take_until(c_sum[order], W - W_mand)
        chosen_h = np.zeros(self.n, dtype=bool)
        chosen_h[c_h[order[:k]]] = True
        take = mand.copy()
        take[c_idx] = chosen_h[ho[c_idx]]
        r["wo"][o[take]] = _older_not_later(r, o[take], wo_day[take])
        W_done = float(r["amount"][o][take].sum())
        # unchosen candidates acknowledge the debt during the year (承認: limitation renewed)
        renew_h = c_h[order[k:]]
        if len(renew_h):
            first_lim = np.full(self.n, np.iinfo(np.int64).max)
            np.minimum.at(first_lim, ho[c_idx], lim[c_idx])
            hi = np.clip(first_lim[renew_h] - 1, Ep + 1, E)
            ren = (Ep + 1 + (rng.random(len(renew_h)) * (hi - Ep)).astype(np.int64)).astype(np.int32)
            ren = np.minimum(D.next_business(ren), hi)
            hh["renew"][renew_h] = ren
            self._contacts_fixed(renew_h, ren, method=1, result=0, memo=6)
        self._writeoff_records(o[take])

        # -- 2. what is still collectable
        alive = r["wo"][o] == D.NEVER
        X_sched = float(r["amount"][o][alive & (r["paid"][o] > Ep) & (r["paid"][o] <= E)].sum())
        free = alive & ~sched
        free_h = np.unique(ho[free])
        free_total = np.bincount(ho[free], weights=r["amount"][o][free], minlength=self.n)
        busy = np.zeros(self.n, dtype=bool)
        busy[(hh["susp_start"] < D.NEVER) & (hh["susp_end"] > Ep)] = True
        busy[hh["wu_day"] <= E] = True

        # -- 3. new suspensions (執行停止)
        act = self.cfg.activity
        cand_h = free_h[~busy[free_h]]
        wts = np.where(hh["low"][cand_h], 3.0, 0.6) * np.where(open_total[cand_h] >= LARGE_CASE, 0.4, 1.0)
        sus = cand_h[_weighted_pick(rng, wts, self.count(act["suspensions"], y))]
        self._suspend(rng, y, sus, Ep, E, open_total)
        busy[sus] = True

        # -- 4. seizures, pledges, then voluntary payments fill the collection target
        cand_h = free_h[~busy[free_h]]
        wts = np.where(hh["low"][cand_h], 0.25, 1.0) * np.sqrt(open_total[cand_h] / 100_000 + 0.05)
        seize = cand_h[_weighted_pick(rng, wts, self.count(act["seizures"], y))]
        got_seize = self._seize(rng, seize, o, free, Ep, E)
        busy[seize] = True
        cand_h = free_h[~busy[free_h]]
        wts = np.where(open_total[cand_h] >= LARGE_CASE, 0.7, 1.0)
        pledge = cand_h[_weighted_pick(rng, wts, self.count(act["pledges"], y))]
        got_pledge = self._pledge(rng, pledge, o, free, Ep, E)
        busy[pledge] = True
        cand_h = free_h[~busy[free_h]]
        need = X - X_sched - got_seize - got_pledge
        got_vol = self._voluntary(rng, cand_h, o, free, Ep, E, need, free_total)

        # -- 5. the current year's instalments
        still = (r["paid"][o] > E) & (r["wo"][o] > E)
        carry_h = np.unique(ho[still])
        carry_total = np.bincount(ho[still], weights=r["amount"][o][still], minlength=self.n)
        U_done, new_count = self._current(rng, y, cur, carry_h, carry_total, tgt.count * self.scale, U, Ep, E)
        cur_open = cur[r["paid"][cur] > E]
        self.open = np.concatenate([o[still], cur_open])

        # -- 6. background case work: letters, centre calls/SMS/visits, field visits, inquiries (drawn last,
        # so skipping it — the calibration does — changes no money flow)
        if self.casework:
            self._casework(rng, y, Ep, E)
        self.year_log.append({
            "fiscal_year": y, "charged_current": S, "carried_in": A_prev,
            "target_writeoff": W, "writeoff": W_done, "target_collect_carried": X,
            "collected_carried": X_sched + got_seize + got_pledge + got_vol,
            "target_current_unpaid": U, "current_unpaid": U_done,
            "stock": float(r["amount"][self.open].sum()), "target_stock": A,
            "count": len(np.unique(r["hh"][self.open])), "target_count": tgt.count * self.scale,
            "new_delinquent": new_count,
        })

    # ------------------------------------------------------------------------------------------ steps
    def _writeoff_records(self, idx: np.ndarray) -> None:
        if len(idx) == 0:
            return
        r = self.rows
        key = r["hh"][idx].astype(np.int64) * 10_000_000 + r["wo"][idx]
        u, inv = np.unique(key, return_inverse=True)
        amt = np.bincount(inv, weights=r["amount"][idx]).astype(np.int64)
        h = (u // 10_000_000).astype(np.int32)
        d = (u % 10_000_000).astype(np.int32)
        n = len(u)
        self.disp.add(hh=h, kind=np.full(n, 4), start=d, amount=amt, ground=np.zeros(n, dtype=np.int8),
                      monthly=np.zeros(n, dtype=np.int64), count=np.zeros(n, dtype=np.int16), end=d,
                      end_state=np.full(n, 1, dtype=np.int8))

    def _suspend(self, rng: np.random.Generator, y: int, sus: np.ndarray, Ep: int, E: int,
                 open_total: np.ndarray) -> None:
        if len(sus) == 0:
            return
        hh, act = self.hh, self.cfg.activity
        start = _uniform_days(rng, Ep + 1, E - 5, len(sus))
        gp = np.array(act["suspension_ground_shares"], dtype=float)
        ground = rng.choice([1, 2, 3], size=len(sus), p=gp / gp.sum()).astype(np.int8)
        cancel = rng.random(len(sus)) < float(act["suspension_cancel_share"])
        ext = D.next_business(start + self.ext_days)
        end = np.where(cancel, D.next_business(start + rng.integers(90, 700, len(sus))), ext).astype(np.int32)
        hh["susp_start"][sus] = start
        hh["susp_end"][sus] = np.where(cancel, end, ext)
        hh["susp_end_state"][sus] = np.where(cancel, 2, 1)  # 1 = extinguished (完了), 2 = 取消
        g3 = sus[ground == 3]
        hh["wu_day"][g3] = np.minimum(hh["wu_day"][g3], start[ground == 3] - 30)
        self.disp.add(hh=sus.astype(np.int32), kind=np.full(len(sus), 1), start=start,
                      amount=open_total[sus].astype(np.int64), ground=ground,
                      monthly=np.zeros(len(sus), dtype=np.int64), count=np.zeros(len(sus), dtype=np.int16),
                      end=end, end_state=np.where(cancel, 2, 1).astype(np.int8))
        # a property inquiry finding nothing precedes a suspension
        self.inq.add(hh=sus.astype(np.int32), day=np.maximum(start - rng.integers(20, 120, len(sus)), Ep + 1),
                     target=np.zeros(len(sus), dtype=np.int8), mode=np.ones(len(sus), dtype=np.int8),
                     answer=start - 5, result=np.ones(len(sus), dtype=np.int8),
                     found=np.zeros(len(sus), dtype=np.int64))

    def _household_rows(self, picked: np.ndarray, o: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Free open rows of the picked households, sorted by household then due date (oldest first)."""
        r = self.rows
        mark = np.zeros(self.n, dtype=bool)
        mark[picked] = True
        idx = o[free & mark[r["hh"][o]]]
        order = np.lexsort((r["inst"][idx], r["fy"][idx], r["hh"][idx]))
        idx = idx[order]
        return idx, r["hh"][idx]

    def _seize(self, rng: np.random.Generator, seize: np.ndarray, o: np.ndarray, free: np.ndarray,
               Ep: int, E: int) -> float:
        if len(seize) == 0:
            return 0.0
        r, hh = self.rows, self.hh
        day = np.zeros(self.n, dtype=np.int32)
        day[seize] = _uniform_days(rng, Ep + 1, E - 20, len(seize))
        frac = np.zeros(self.n)
        frac[seize] = rng.uniform(0.3, 1.0, len(seize))
        idx, h = self._household_rows(seize, o, free)
        amt = r["amount"][idx]
        cum = _group_cumsum(h, amt)
        tot = np.bincount(h, weights=amt, minlength=self.n)
        first = _group_starts(h) == np.arange(len(h))
        take = first | (cum <= frac[h] * tot[h])
        pay = D.next_business(day[h] + rng.integers(10, 45, len(h)))
        r["paid"][idx[take]] = pay[take]
        hh["renew"][seize] = np.maximum(hh["renew"][seize], day[seize])
        got_amt = np.bincount(h[take], weights=amt[take], minlength=self.n)
        last = np.zeros(self.n, dtype=np.int64)
        np.maximum.at(last, h[take], pay[take])
        n = len(seize)
        self.disp.add(hh=seize.astype(np.int32), kind=np.zeros(n), start=day[seize],
                      amount=got_amt[seize].astype(np.int64), ground=np.zeros(n, dtype=np.int8),
                      monthly=np.zeros(n, dtype=np.int64), count=np.zeros(n, dtype=np.int16),
                      end=last[seize].astype(np.int32), end_state=np.full(n, 1, dtype=np.int8))
        # inquiries that found the seized asset, and a warning letter before
        tgt = rng.choice([0, 1, 2, 3, 4], size=n, p=[0.6, 0.2, 0.1, 0.07, 0.03]).astype(np.int8)
        q_day = day[seize] - rng.integers(25, 100, n)
        elec = rng.random(n) < 0.5
        answer = q_day + np.where(elec, rng.integers(1, 5, n), rng.integers(14, 60, n))
        self.inq.add(hh=seize.astype(np.int32), day=q_day, target=tgt, mode=np.where(elec, 0, 1).astype(np.int8),
                     answer=np.minimum(answer, day[seize] - 1), result=np.zeros(n, dtype=np.int8),
                     found=(got_amt[seize] * rng.uniform(1.0, 1.6, n)).astype(np.int64))
        self._contacts_fixed(seize, day[seize] - rng.integers(10, 20, n), method=0, result=7, memo=9)
        return float(amt[take & (pay <= E)].sum())

    def _pledge(self, rng: np.random.Generator, pledge: np.ndarray, o: np.ndarray, free: np.ndarray,
                Ep: int, E: int) -> float:
        if len(pledge) == 0:
            return 0.0
        r, hh, act = self.rows, self.hh, self.cfg.activity
        n = len(pledge)
        start = np.zeros(self.n, dtype=np.int32)
        start[pledge] = _uniform_days(rng, Ep + 1, E - 10, n)
        months = np.zeros(self.n, dtype=np.int64)
        months[pledge] = rng.choice(np.array(act["pledge_months"]), size=n)
        idx, h = self._household_rows(pledge, o, free)
        amt = r["amount"][idx]
        tot = np.bincount(h, weights=amt, minlength=self.n)
        monthly = np.zeros(self.n, dtype=np.int64)
        monthly[pledge] = np.maximum(np.ceil(tot[pledge] / months[pledge] / 1000) * 1000, 1000).astype(np.int64)
        months[pledge] = np.ceil(tot[pledge] / monthly[pledge]).astype(np.int64)
        cum = _group_cumsum(h, amt)
        k = np.ceil(cum / monthly[h]).astype(np.int64)
        broken = np.zeros(self.n, dtype=bool)
        broken[pledge] = (rng.random(n) < float(act["pledge_break_share"])) & (months[pledge] >= 2)
        brk = np.zeros(self.n, dtype=np.int64)
        bp = pledge[broken[pledge]]
        brk[bp] = 1 + (rng.random(len(bp)) * (months[bp] - 1)).astype(np.int64)
        pay_ok = ~broken[h] | (k <= brk[h])
        pay = D.next_business(start[h] + np.round(k * 30.44).astype(np.int64))
        r["paid"][idx[pay_ok]] = pay[pay_ok]
        hh["renew"][pledge] = np.maximum(hh["renew"][pledge], start[pledge])
        last = np.zeros(self.n, dtype=np.int64)
        np.maximum.at(last, h[pay_ok], pay[pay_ok])
        end = np.where(broken[pledge], D.next_business(start[pledge] + np.round((brk[pledge] + 1) * 30.44 + 14)
                                                       .astype(np.int64)), last[pledge])
        kind = np.where(rng.random(n) < 0.08, 3, 2)
        self.disp.add(hh=pledge.astype(np.int32), kind=kind, start=start[pledge],
                      amount=tot[pledge].astype(np.int64), ground=np.zeros(n, dtype=np.int8),
                      monthly=monthly[pledge], count=months[pledge].astype(np.int16),
                      end=end.astype(np.int32), end_state=np.where(broken[pledge], 3, 1).astype(np.int8))
        first_pay = D.next_business(start[pledge] + 30)
        self.cont.add(hh=pledge.astype(np.int32), day=start[pledge], method=np.full(n, 5, dtype=np.int8),
                      result=np.full(n, 4, dtype=np.int8), promised=monthly[pledge], promised_day=first_pay,
                      memo=np.full(n, 8, dtype=np.int8))
        in_year = pay_ok & (pay <= E)
        return float(amt[in_year].sum())

    def _voluntary(self, rng: np.random.Generator, cand_h: np.ndarray, o: np.ndarray, free: np.ndarray,
                   Ep: int, E: int, need: float, open_total: np.ndarray) -> float:
        if need <= 0 or len(cand_h) == 0:
            if need < 0:
                log.debug("collections from seizures and pledges exceed the target by %.0f", -need)
            return 0.0
        r, hh = self.rows, self.hh
        wts = np.where(hh["low"][cand_h], 0.8, 1.3)
        order = cand_h[_weighted_order(rng, wts)]
        k = _take_until(open_total[order], need)
        payers = order[:k]
        if len(payers) == 0:
            return 0.0
        day = np.zeros(self.n, dtype=np.int32)
        day[payers] = _uniform_days(rng, Ep + 1, E, len(payers))
        idx, h = self._household_rows(payers, o, free)
        r["paid"][idx] = day[h]
        n = len(payers)
        promise_day = day[payers]
        contact_day = np.maximum(promise_day - rng.integers(3, 30, n), Ep + 1)
        method = rng.choice([0, 1, 5], size=n, p=[0.3, 0.5, 0.2]).astype(np.int8)
        self.cont.add(hh=payers.astype(np.int32), day=contact_day, method=method, result=np.full(n, 3, dtype=np.int8),
                      promised=open_total[payers].astype(np.int64), promised_day=promise_day,
                      memo=np.full(n, 7, dtype=np.int8))
        return float(r["amount"][idx].sum())

    def _current(self, rng: np.random.Generator, y: int, cur: np.ndarray, carry_h: np.ndarray,
                 carry_total: np.ndarray, count_target: float, U: float, Ep: int, E: int) -> tuple[float, int]:
        r, hh, beh = self.rows, self.hh, self.cfg.behaviour
        h_cur = r["hh"][cur]
        insured = h_cur[:: self.n_inst]
        is_carry = np.zeros(self.n, dtype=bool)
        is_carry[carry_h] = True
        # chronic: households already in arrears that leave current instalments unpaid too
        p_chronic = float(beh["carried_keep_paying_current"]) * np.where(
            carry_total[insured] >= float(beh["chronic_large_from"]), float(beh["chronic_large_factor"]), 1.0)
        chronic = insured[is_carry[insured] & (rng.random(len(insured)) < p_chronic)]
        wu = insured[is_carry[insured] & (hh["wu_day"][insured] <= E)]
        chronic = np.union1d(chronic, wu)
        pool = insured[~is_carry[insured]]
        n_new = int(round(count_target)) - len(carry_h)
        new = pool[_weighted_pick(rng, hh["weight"][pool], max(n_new, 0))]
        p_new = np.array(beh["new_unpaid_instalments"], dtype=float)
        p_chr = np.array(beh["chronic_unpaid_instalments"], dtype=float)
        m_chr = np.zeros(self.n, dtype=np.int64)
        m_chr[chronic] = rng.choice(np.arange(1, 11), size=len(chronic), p=p_chr / p_chr.sum())
        m_chr[wu] = 10
        m_new = np.zeros(self.n)
        m_new[new] = rng.choice(np.arange(1, 11), size=len(new), p=p_new / p_new.sum())
        inst_amt = np.zeros(self.n)  # typical instalment of the household this year
        inst_amt[insured] = r["amount"][cur][self.n_inst - 1 :: self.n_inst]
        # scale the new delinquents' unpaid instalments so the year's unpaid total meets its target
        u_chr = float((m_chr[chronic] * inst_amt[chronic]).sum())

        def total(lam: float) -> float:
            m_ = np.clip(np.round(m_new[new] * lam), 1, 10)
            return u_chr + float((m_ * inst_amt[new]).sum())

        lam = _solve_scale(total, U) if len(new) else 1.0
        m = np.zeros(self.n, dtype=np.int64)
        m[new] = np.clip(np.round(m_new[new] * lam), 1, 10).astype(np.int64)
        m[chronic] = m_chr[chronic]
        both = np.concatenate([new, chronic])
        short = U - float((m[both] * inst_amt[both]).sum())
        if short > 0:  # still short: more households in arrears leave the whole year unpaid
            extra = insured[is_carry[insured] & (m[insured] == 0)]
            extra = extra[rng.permutation(len(extra))]
            k = _take_until(10 * inst_amt[extra], short)
            m[extra[:k]] = 10
        inst_no = r["inst"][cur].astype(np.int64)
        unpaid = inst_no > (self.n_inst - m[h_cur])
        due = r["due"][cur].astype(np.int64)
        assess = int(r["assess"][cur][0]) if len(cur) else Ep
        # payment days of the paid instalments
        dd = hh["direct_debit"][h_cur]
        early = due - rng.integers(0, 26, len(cur))
        pay = np.where(dd, due, np.maximum(early, assess))
        delinquent = m[h_cur] > 0
        late_hh = np.zeros(self.n, dtype=bool)
        late_hh[insured[rng.random(len(insured)) < float(beh["late_payer_share"])]] = True
        late = (delinquent & (rng.random(len(cur)) < 0.5)) | (late_hh[h_cur] & (rng.random(len(cur)) < 0.4))
        late &= ~unpaid
        delay = np.where(delinquent, rng.integers(1, 121, len(cur)), rng.integers(1, 61, len(cur)))
        pay = np.where(late, np.minimum(D.next_business(due + delay), E), pay)
        pay = np.where(unpaid, D.NEVER, pay).astype(np.int32)
        r["paid"][cur] = pay
        demand = D.next_business(due + self.demand_days - 3)
        r["demand"][cur] = np.where(pay > demand, demand, D.NEVER).astype(np.int32)
        # a few new delinquents move away without notice (居所不明)
        share = float(self.cfg.activity["whereabouts_unknown_share"])
        gone = new[rng.random(len(new)) < share]
        hh["wu_day"][gone] = np.minimum(hh["wu_day"][gone], _uniform_days(rng, Ep + 30, E, len(gone)))
        U_done = float(r["amount"][cur][unpaid].sum())
        return U_done, len(new)

    def _contacts_fixed(self, h: np.ndarray, day: np.ndarray, *, method: int, result: int, memo: int) -> None:
        n = len(h)
        if n == 0:
            return
        self.cont.add(hh=np.asarray(h, dtype=np.int32), day=np.asarray(day, dtype=np.int32),
                      method=np.full(n, method, dtype=np.int8), result=np.full(n, result, dtype=np.int8),
                      promised=np.zeros(n, dtype=np.int64), promised_day=np.full(n, D.NEVER, dtype=np.int32),
                      memo=np.full(n, memo, dtype=np.int8))

    def _casework(self, rng: np.random.Generator, y: int, Ep: int, E: int) -> None:
        r, hh, act = self.rows, self.hh, self.cfg.activity
        # households in arrears during the year: open at the start or at the end
        delinquent = np.unique(r["hh"][self.open])
        n = len(delinquent)
        if n == 0:
            return
        letters = int(act["letters_per_case"])
        lh = np.repeat(delinquent, letters)
        ld = _uniform_days(rng, Ep + 1, E, len(lh))
        self._contacts_fixed(lh, ld, method=0, result=7, memo=1)
        phone_h = delinquent[hh["phone"][delinquent]]

        def calls(k: int, pool: np.ndarray, method: int, results: list[int], p: list[float], memo: int) -> None:
            if k <= 0 or len(pool) == 0:
                return
            h = pool[rng.integers(0, len(pool), k)]
            d = _uniform_days(rng, Ep + 1, E, k)
            res = rng.choice(results, size=k, p=p).astype(np.int8)
            res = np.where(hh["wu_day"][h] <= d, 6, res).astype(np.int8)
            self.cont.add(hh=h.astype(np.int32), day=d, method=np.full(k, method, dtype=np.int8), result=res,
                          promised=np.zeros(k, dtype=np.int64), promised_day=np.full(k, D.NEVER, dtype=np.int32),
                          memo=np.full(k, memo, dtype=np.int8))

        calls(self.count(act["centre_phone"], y), phone_h, 1, [0, 1, 2, 5], [0.4, 0.35, 0.2, 0.05], 2)
        calls(self.count(act["centre_sms"], y), phone_h, 2, [7, 0], [0.85, 0.15], 3)
        calls(self.count(act["centre_visit"], y), delinquent, 3, [1, 0, 6], [0.5, 0.42, 0.08], 4)
        plan_fy = dt.date.fromisoformat(str(act["plan_start"])).year
        share = act["field_visit_share"]["plan" if y >= plan_fy else "before"]
        calls(int(round(float(share) * n)), delinquent, 4, [0, 1, 6, 5], [0.45, 0.45, 0.05, 0.05], 5)
        # property inquiries (財産調査)
        for mode, node in ((0, act["inquiries_electronic"]), (1, act["inquiries_paper"])):
            k = self.count(node, y)
            if k <= 0:
                continue
            wts = np.where(hh["low"][delinquent], 0.6, 1.5)
            h = delinquent[np.searchsorted(np.cumsum(wts), rng.random(k) * wts.sum())]
            d = _uniform_days(rng, Ep + 1, E, k)
            tgt = rng.choice(6, size=k, p=[0.55, 0.15, 0.12, 0.1, 0.05, 0.03]).astype(np.int8)
            ans = d + (rng.integers(1, 5, k) if mode == 0 else rng.integers(14, 91, k))
            unanswered = rng.random(k) < (0.01 if mode == 0 else 0.12)
            found = rng.random(k) < float(act["inquiry_found_share"])
            result = np.where(unanswered, 2, np.where(found, 0, 1)).astype(np.int8)
            amount = np.where(found & ~unanswered, np.round(np.exp(rng.normal(11.0, 1.0, k)), -3), 0).astype(np.int64)
            self.inq.add(hh=h.astype(np.int32), day=d, target=tgt, mode=np.full(k, mode, dtype=np.int8),
                         answer=np.where(unanswered, D.NEVER, ans).astype(np.int32), result=result, found=amount)

    # ------------------------------------------------------------------------------------------ staff
    def staff(self) -> None:
        rng = self.rng(0, 2)
        st = self.cfg.staff
        teams = list(st["teams"])
        n_off = int(st["officers"])
        n_areas = int(self.cfg.population["areas"])
        per_team = np.array_split(np.arange(n_off), len(teams))
        slot_team = np.zeros(n_off, dtype=int)
        for t, members in enumerate(per_team):
            slot_team[members] = t
        slot_areas = np.array_split(np.arange(n_areas), n_off)
        area_slot = np.zeros(n_areas, dtype=np.int32)
        for s, areas in enumerate(slot_areas):
            area_slot[areas] = s
        self.area_slot = area_slot
        codes, role, team, areas_txt, start, end, cat = [], [], [], [], [], [], []
        slot_of = []
        first_fy = min(self.opening_years) - 3
        last_fy = 2026
        n_people = 0

        def person(slot: int, r_: str, t: str, a: str, s: int, e: int, c: str) -> None:
            nonlocal n_people
            n_people += 1
            codes.append(f"S{n_people:04d}")
            slot_of.append(slot)
            role.append(r_)
            team.append(t)
            areas_txt.append(a)
            start.append(s)
            end.append(e)
            cat.append(c)

        officer_slots: list[list[tuple[int, int]]] = [[] for _ in range(n_off)]
        for s in range(n_off):
            officer_slots[s].append((D.day(dt.date(int(rng.integers(first_fy, first_fy + 4)), 4, 1)), 0))
        for fy in range(first_fy + 4, last_fy + 1):
            for s in rng.choice(n_off, size=int(st["rotation_per_year"]), replace=False):
                officer_slots[s].append((D.day(dt.date(fy, 4, 1)), 1 if rng.random() < st["new_share"] else 2))
        cats = ("継続", "新任", "転入")
        for s in range(n_off):
            seq = officer_slots[s]
            for j, (sd, c) in enumerate(seq):
                ed = seq[j + 1][0] - 1 if j + 1 < len(seq) else int(D.NEVER)
                person(s, "徴収吏員", teams[slot_team[s]],
                       ";".join(f"{a + 1:02d}" for a in slot_areas[s]), sd, ed, cats[c])
        for t, name in enumerate(teams):
            team_areas = np.concatenate([slot_areas[s] for s in per_team[t]])
            a = ";".join(f"{x + 1:02d}" for x in team_areas)
            sd1 = D.day(dt.date(first_fy + 1, 4, 1))
            change = D.day(dt.date(int(rng.integers(2020, 2027)), 4, 1))
            person(-1, "係長", name, a, sd1, change - 1, "継続")
            person(-1, "係長", name, a, change, int(D.NEVER), "転入")
        all_areas = ";".join(f"{x + 1:02d}" for x in range(n_areas))
        for _ in range(int(st["debt_specialists"])):
            person(-1, "債権管理専門員", teams[0], all_areas, D.day(dt.date(2017, 6, 1)), int(D.NEVER), "継続")
        sp_from = D.day(dt.date.fromisoformat(str(st["special_specialists_from"])))
        for _ in range(int(st["special_specialists"])):
            person(-1, "特別整理専門員", str(st["specialist_team"]), all_areas, sp_from, int(D.NEVER), "転入")
        names = staff_names(rng, len(codes))
        self.persons = {
            "code": np.array(codes, dtype=object), "slot": np.array(slot_of, dtype=np.int32),
            "name": names, "role": np.array(role, dtype=object), "team": np.array(team, dtype=object),
            "areas": np.array(areas_txt, dtype=object), "start": np.array(start, dtype=np.int32),
            "end": np.array(end, dtype=np.int32), "arrival": np.array(cat, dtype=object),
        }
        # training: 新任/転入 徴収吏員 take every required course in their first year (a few catch up later)
        courses = list(st["courses"])
        months = list(st["course_months"])
        t_code, t_course, t_day = [], [], []
        for i, c in enumerate(codes):
            if role[i] != "徴収吏員" or cat[i] == "継続":
                continue
            fy = D.date_of(start[i]).year
            for course, month in zip(courses, months, strict=True):
                yy = fy if month >= 4 else fy + 1
                d = D.day(dt.date(yy, month, int(rng.integers(5, 25))))
                if rng.random() < 0.08:  # missed, taken the next year
                    d += 365
                t_code.append(c)
                t_course.append(course)
                t_day.append(int(D.next_business(d)))
        self.trainings = {"code": np.array(t_code, dtype=object), "course": np.array(t_course, dtype=object),
                          "day": np.array(t_day, dtype=np.int32)}


def _older_not_later(r: dict[str, np.ndarray], idx: np.ndarray, wo_day: np.ndarray) -> np.ndarray:
    """Write-off days made non-decreasing with the instalments' age within each household: an older
    instalment is never written off after a newer one (its limitation ran out first). This also keeps the
    statistics' oldest-first matching of 不納欠損 records exact."""
    if len(idx) == 0:
        return wo_day
    order = np.lexsort((r["inst"][idx], r["fy"][idx], r["due"][idx], r["hh"][idx]))
    h = r["hh"][idx][order]
    w = wo_day[order].astype(np.int64)
    # suffix minimum within each household: reverse, then a running minimum per group (each group is offset
    # far below the previous ones so that groups cannot mix), then reverse back
    rh, rw = h[::-1], w[::-1]
    group = np.cumsum(np.r_[True, rh[1:] != rh[:-1]]) - 1
    out_rev = np.minimum.accumulate(rw - group * 10_000_000) + group * 10_000_000
    fixed = np.empty_like(w)
    fixed[order] = out_rev[::-1]
    return fixed.astype(np.int32)


def _month_end_vec(years: np.ndarray, months: np.ndarray) -> np.ndarray:
    first_next = (years.astype(np.int64) * 12 + months.astype(np.int64))  # months since year 0 of next month
    y2 = first_next // 12
    m2 = first_next % 12 + 1
    d64 = (y2 - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (m2 - 1).astype("timedelta64[M]")
    return (d64.astype("datetime64[D]").astype(np.int64) - 1).astype(np.int32)


def _solve_scale(total: Callable[[float], float], target: float) -> float:
    """The factor λ (bisection, monotone ``total``) that brings ``total(λ)`` closest to ``target``."""
    lo, hi = 0.01, 50.0
    if total(lo) >= target:
        return lo
    if total(hi) <= target:
        return hi
    for _ in range(40):
        mid = (lo + hi) / 2
        if total(mid) < target:
            lo = mid
        else:
            hi = mid
    return lo if abs(total(lo) - target) <= abs(total(hi) - target) else hi


def build_timeline(seed: int = 1, households: int | None = None, last_year: int = 2026,
                   config: SynthConfig | None = None,
                   progress: Callable[[str], None] | None = None, casework: bool = True) -> Timeline:
    """Simulate the ward for ``seed`` from the first simulated year through fiscal year ``last_year``.

    ``casework=False`` skips the background letters, calls, visits and inquiries (faster; the money flows,
    and so every collection figure, are the same)."""
    cfg = config or load_config()
    n = int(households or cfg.default_households)
    g = _Generator(seed, n, last_year, cfg, progress)
    g.casework = casework
    g.population()
    g.charges()
    g.simulate()
    g.staff()
    hh = dict(g.hh)
    hh["area_slot"] = g.area_slot[hh["area"]]
    return Timeline(
        seed=seed, households=n, scale=g.scale, last_year=last_year, config=cfg, hh=hh, rows=g.rows,
        dispositions=g.disp.frame(), contacts=g.cont.frame(), inquiries=g.inq.frame(), persons=g.persons,
        trainings=g.trainings, year_log=g.year_log,
    )
