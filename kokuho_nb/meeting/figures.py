"""Month-end collection figures straight from the ledger's charges and payments (vectorised).

For a month end ``d`` (see ``parameters/plan_targets.yaml`` ``interpolation``):

- ``unpaid`` (月次の収入未済額) = Σ over instalments whose (holiday-shifted) due date is before ``d`` of
  max(調定額 − 不納欠損額 − payments up to ``d``, 0). At a year end (May 31) every instalment of the year is
  due, so this is the year's 収入未済額; on any date it equals the case view's Σ ``total_arrears``.
- For the fiscal year ``y = current_fiscal_year(d)``: 現年分 調定 = Σ amount of year-``y`` charges, 収納 =
  their payments up to ``d`` (never above the charge); 滞納繰越分 調定 = what earlier years still owed at the
  carry-over (May 31 of ``y``), 収納 = what was paid on it after that, up to ``d``. 総合 = both together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from kokuho_nb.law.calendar import shift_due_dates_vec
from kokuho_nb.months import current_fiscal_year, year_end

KEY = ["household_id", "fiscal_year", "instalment"]


def _shifted_due(due: pd.Series) -> pd.Series:
    return shift_due_dates_vec(due)


def _key(hh_codes: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
    """household code × fiscal year × instalment as one int64 (instalment 0–99, years 1900–2899)."""
    fy = frame["fiscal_year"].to_numpy(dtype=np.int64) - 1900
    inst = frame["instalment"].to_numpy(dtype=np.int64)
    return (np.asarray(hh_codes, dtype=np.int64) * 1000 + fy) * 100 + inst


class ChargeBook:
    """Charges with their payments indexed for fast "paid up to date d" sums (one bincount per date)."""

    def __init__(
        self,
        charges: pd.DataFrame,
        payments: pd.DataFrame,
        households: pd.DataFrame | None = None,
        *,
        exclude_whereabouts_unknown: bool = False,
    ) -> None:
        ch = charges.reset_index(drop=True)
        if exclude_whereabouts_unknown and households is not None and "whereabouts_unknown" in households:
            unknown = households.loc[households["whereabouts_unknown"].fillna(False).astype(bool), "household_id"]
            ch = ch[~ch["household_id"].isin(set(unknown))].reset_index(drop=True)
        self.n = len(ch)
        self.fiscal_year = ch["fiscal_year"].to_numpy(dtype=np.int64)
        self.amount = ch["amount"].to_numpy(dtype=np.int64)
        wo = ch["written_off"] if "written_off" in ch else pd.Series(0, index=ch.index)
        self.written_off = wo.fillna(0).to_numpy(dtype=np.int64)
        self.shifted_due = _shifted_due(pd.to_datetime(ch["due_date"])).to_numpy(dtype="datetime64[ns]")
        self.household_id = ch["household_id"].to_numpy()
        if payments is not None and len(payments):
            # charge row of each payment through one int64 key (hash lookup, not a MultiIndex)
            # households of charges and payments coded in one factorize (one hash pass over the strings; a
            # payment household without charges gets a code no charge has), then the int64 keys matched by
            # binary search over the sorted charge keys (unique, as the ledger's charge key is)
            n_ch = len(ch)
            codes, _uniques = pd.factorize(pd.concat([ch["household_id"].astype(str),
                                                      payments["household_id"].astype(str)], ignore_index=True))
            ch_key = _key(codes[:n_ch], ch)
            pay_key = _key(codes[n_ch:], payments)
            order_k = np.argsort(ch_key, kind="stable")
            sorted_k = ch_key[order_k]
            pos = np.clip(np.searchsorted(sorted_k, pay_key), 0, max(n_ch - 1, 0))
            found = (sorted_k[pos] == pay_key) if n_ch else np.zeros(len(pay_key), dtype=bool)
            pay_idx = np.where(found, order_k[pos] if n_ch else -1, -1)
            ok = pay_idx >= 0
            pay_charge = pay_idx[ok].astype(np.int64)
            pay_date = pd.to_datetime(payments["paid_date"]).to_numpy(dtype="datetime64[ns]")[ok]
            pay_amount = payments["amount"].to_numpy(dtype=np.int64)[ok]
        else:  # no 収納.csv: the charge's 収納額 counts from its 最終収納日
            paid = ch["paid"].fillna(0).to_numpy(dtype=np.int64)
            has = paid > 0
            pay_charge = np.arange(self.n)[has]
            pay_date = pd.to_datetime(ch["last_paid_date"]).to_numpy(dtype="datetime64[ns]")[has]
            pay_amount = paid[has]
        order = np.argsort(pay_date, kind="stable")  # sorted by date: "paid up to d" is a prefix
        self.pay_charge, self.pay_date, self.pay_amount = pay_charge[order], pay_date[order], pay_amount[order]
        self._paid_cache: dict[dt.date, np.ndarray] = {}
        self._year_cache: dict[int, tuple[np.ndarray, int, np.ndarray, np.ndarray, int]] = {}

    def paid_by(self, day: dt.date) -> np.ndarray:
        """Per charge, payments with date <= ``day`` (cached per date)."""
        if day not in self._paid_cache:
            k = int(np.searchsorted(self.pay_date, np.datetime64(pd.Timestamp(day)), side="right"))
            self._paid_cache[day] = np.bincount(self.pay_charge[:k], weights=self.pay_amount[:k],
                                                minlength=self.n).astype(np.int64)
        return self._paid_cache[day]

    def _year(self, y: int) -> tuple[np.ndarray, int, np.ndarray, np.ndarray, int]:
        """Per fiscal year (cached; a pack asks for ~16 dates in 3–4 years): the current-year charge rows and
        their 調定額 total, the earlier years' rows, what they still owed at the carry-over and its total."""
        if y not in self._year_cache:
            cur = np.flatnonzero(self.fiscal_year == y)
            old = np.flatnonzero(self.fiscal_year < y)
            paid_carry = self.paid_by(year_end(y - 1))[old]
            carried_base = np.clip(self.amount[old] - self.written_off[old] - paid_carry, 0, None)
            self._year_cache[y] = (cur, int(self.amount[cur].sum()), old, carried_base, int(carried_base.sum()))
        return self._year_cache[y]

    def figures(self, day: dt.date) -> dict[str, float]:
        paid = self.paid_by(day)
        overdue = np.flatnonzero(self.shifted_due < np.datetime64(pd.Timestamp(day)))
        owed = np.clip(self.amount[overdue] - self.written_off[overdue] - paid[overdue], 0, None)
        y = current_fiscal_year(day)
        cur, cur_charged, old, carried_base, car_charged = self._year(y)
        cur_collected = int(np.minimum(paid[cur], self.amount[cur]).sum())
        paid_carry = self.paid_by(year_end(y - 1))[old]
        car_collected = int(np.minimum(np.clip(paid[old] - paid_carry, 0, None), carried_base).sum())
        total_charged = cur_charged + car_charged
        total_collected = cur_collected + car_collected
        return {
            "as_of": day,
            "fiscal_year": y,
            "unpaid": int(owed.sum()),
            "current_charged": cur_charged,
            "current_collected": cur_collected,
            "carried_charged": car_charged,
            "carried_collected": car_collected,
            "current_rate": _rate(cur_collected, cur_charged),
            "carried_rate": _rate(car_collected, car_charged),
            "total_rate": _rate(total_collected, total_charged),
        }


def _rate(collected: int, charged: int) -> float:
    return round(100.0 * collected / charged, 2) if charged else float("nan")


def monthly_figures(book: ChargeBook, days: Iterable[dt.date]) -> pd.DataFrame:
    """One row per date: ``as_of, month, fiscal_year, unpaid, *_charged, *_collected, *_rate``."""
    rows = [book.figures(d) for d in sorted(set(days))]
    frame = pd.DataFrame(rows)
    if len(frame):
        frame.insert(1, "month", [f"{d.year:04d}-{d.month:02d}" for d in frame["as_of"]])
    return frame
