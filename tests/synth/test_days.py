"""The generator's vectorised business-day table agrees with the law calendar (kokuho_nb.law.calendar)."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np

from kokuho_nb.law.calendar import next_business_day
from kokuho_nb.synth import days as D


def test_table_matches_the_law_calendar_on_due_dates_and_random_days() -> None:
    rng = random.Random(3)
    sample = [D.month_end_day(y, m) for y in range(2019, 2028) for m in range(1, 13)]
    sample += [D.day(dt.date(2016, 1, 1)) + rng.randrange(0, 5000) for _ in range(150)]
    sample += [D.day(dt.date(2025, 12, 29)), D.day(dt.date(2026, 5, 3)), D.day(dt.date(2024, 9, 21))]
    got = D.next_business(np.array(sample))
    for n, g in zip(sample, got, strict=True):
        assert D.date_of(int(g)) == next_business_day(D.date_of(n)), D.date_of(n)


def test_year_end_and_never() -> None:
    assert D.date_of(D.year_end_day(2024)) == dt.date(2025, 5, 31)
    assert D.next_business(np.array([D.NEVER]))[0] == D.NEVER
    assert np.isnat(D.to_datetime64(np.array([D.NEVER]))[0])
    # Dec 29 – Jan 3 are closed: a due date of Dec 30 moves to Jan 5, 2026 (Jan 4 is a Sunday)
    assert D.date_of(int(D.next_business(D.day(dt.date(2025, 12, 30))))) == dt.date(2026, 1, 5)
