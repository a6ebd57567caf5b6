"""Benchmark (issue 7, "Scale"): triage + one month's list selection for a national-size ledger.

    .venv/bin/python scripts/bench_scale.py [--households 2000000] [--sample 20000] [--profile]

Building a 2M-household ward with the full generator is too slow, so the inputs are resampled: a small real
synthetic ward (``kokuho_nb.synth.ledger_at(seed=1, as_of=2026-11-26, households=--sample)``) gives the case
view (``kokuho_nb.cases.case_view``) and the contacts / inquiries / dispositions / payments; the ward is then
replicated ``ceil(N / sample)`` times, each replica a random draw (with replacement) of the sample's
households with new household ids, its own areas and its own officers (area/officer code + replica suffix),
and every history row of a drawn household copied to its new id (vectorised gather). So the distributions are
the default ward's and the history tables grow in proportion (~600 officers at 2M households).

Timed (in-memory work only, no Excel, no store): ``triage_frame`` for month 2026-12 (as of 2026-12-01, the
snapshot of 2026-11-26 being the latest before it, as ``triage_for_month`` does), the ``name_kana`` mapping,
``field_visits_done`` and ``select_lists`` (officers' lists, specialists' queue, centre lists).
Peak memory: ``ru_maxrss`` of this process (includes building the inputs) and the tracemalloc peak of the
timed phase alone. Figures go to docs/performance.md (section "Scale"). Not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import resource
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

SNAPSHOT = dt.date(2026, 11, 26)
MONTH = "2026-12"


def _gather(frame: pd.DataFrame, orig_ids: pd.Index, draw: np.ndarray, new_ids: np.ndarray) -> pd.DataFrame:
    """All rows of ``frame`` for each drawn household (``draw`` = positions in ``orig_ids``), re-keyed."""
    if not len(frame):
        return frame
    codes = orig_ids.get_indexer(frame["household_id"])
    frame = frame[codes >= 0]
    codes = codes[codes >= 0]
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=len(orig_ids))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    lengths = counts[draw]
    total = int(lengths.sum())
    owner = np.repeat(np.arange(len(draw)), lengths)
    within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows = order[starts[draw][owner] + within]
    out = frame.iloc[rows].reset_index(drop=True)
    out["household_id"] = new_ids[owner]
    return out


def build(households: int, sample: int, seed: int = 7) -> dict[str, object]:
    from kokuho_nb.cases import case_view
    from kokuho_nb.synth import ledger_at

    t0 = time.perf_counter()
    led = ledger_at(seed=1, as_of=SNAPSHOT, households=sample)
    cv = case_view(led, SNAPSHOT)
    t_sample = time.perf_counter() - t0
    n0 = len(cv)
    reps = math.ceil(households / n0)
    rng = np.random.default_rng(seed)
    draw = rng.integers(0, n0, households)
    rep = np.arange(households) // n0
    officers0 = int((led.staff["role"] == "徴収吏員").sum())
    # ~30 collection officers per 100,000 households (the default ward): replicas share officers in groups
    per = max(1, round(reps * officers0 / max(1, round(30 * households / 100_000))))
    suffix = np.char.add("_", np.char.zfill(rep.astype(str), 3)).astype(object)
    osuffix = np.char.add("_", np.char.zfill((rep // per).astype(str), 3)).astype(object)
    new_ids = np.char.add("S", np.char.zfill(np.arange(households).astype(str), 8)).astype(object)

    big = cv.iloc[draw].reset_index(drop=True)
    big["household_id"] = new_ids
    big["area"] = big["area"].astype(object) + suffix
    has_officer = big["officer_code"].notna()
    big.loc[has_officer, "officer_code"] = big.loc[has_officer, "officer_code"].astype(object) + osuffix[has_officer]
    orig_ids = pd.Index(cv["household_id"])
    hist = {name: _gather(getattr(led, name), orig_ids, draw, new_ids)
            for name in ("contacts", "inquiries", "dispositions", "payments")}
    # officers' codes in contacts follow the household's officer of its replica
    c = hist["contacts"]
    if len(c):
        crep = c["household_id"].str.slice(1).astype(np.int64).to_numpy() // n0 // per
        csuf = np.char.add("_", np.char.zfill(crep.astype(str), 3)).astype(object)
        known = c["officer_code"].notna().to_numpy()
        c.loc[known, "officer_code"] = c.loc[known, "officer_code"].astype(object) + csuf[known]
    names = led.households.set_index("household_id")["name_kana"].reindex(orig_ids).to_numpy()[draw]
    names = pd.Series(names, index=pd.Index(new_ids, name="household_id"))

    staff0 = led.staff
    parts = []
    for g in range(math.ceil(reps / per)):
        s = staff0.copy()
        s["officer_code"] = s["officer_code"] + f"_{g:03d}"
        sufs = [f"_{k:03d}" for k in range(g * per, min((g + 1) * per, reps))]
        s["areas"] = s["areas"].fillna("").map(
            lambda a, sufs=sufs: ";".join(x + suf for suf in sufs for x in a.split(";") if x))
        parts.append(s)
    staff = pd.concat(parts, ignore_index=True)
    t_build = time.perf_counter() - t0
    return {"cases": big, "staff": staff, "names": names, "t_sample": t_sample, "t_build": t_build,
            "n0": n0, "reps": reps, "per": per, **hist}


def timed(inp: dict[str, object]) -> tuple[pd.DataFrame, list, dict[str, float]]:
    from kokuho_nb.months import Month
    from kokuho_nb.targets.lists import field_visits_done, select_lists
    from kokuho_nb.triage import triage_frame

    as_of = Month.parse(MONTH).start
    steps: dict[str, float] = {}
    t = time.perf_counter()
    table = triage_frame(inp["cases"], as_of, contacts=inp["contacts"], inquiries=inp["inquiries"],
                         dispositions=inp["dispositions"], payments=inp["payments"], assigned=None)
    table["name_kana"] = table["household_id"].map(inp["names"])
    steps["triage_frame"] = time.perf_counter() - t
    t = time.perf_counter()
    contacts = inp["contacts"]
    done = field_visits_done(contacts[contacts["date"] < pd.Timestamp(as_of)], Month.parse(MONTH))
    plans = select_lists(table, inp["staff"], MONTH, field_done=done)
    steps["select_lists"] = time.perf_counter() - t
    return table, plans, steps


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--households", type=int, default=2_000_000)
    ap.add_argument("--sample", type=int, default=20_000, help="households of the real synthetic ward resampled")
    ap.add_argument("--profile", action="store_true", help="cProfile the timed phase (top 25 by cumulative)")
    ap.add_argument("--no-tracemalloc", action="store_true", help="skip tracemalloc (it slows the timed phase)")
    args = ap.parse_args()

    load0 = os.getloadavg()
    inp = build(args.households, args.sample)
    rss_build = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    sizes = {k: len(inp[k]) for k in ("cases", "contacts", "inquiries", "dispositions", "payments", "staff")}
    officers = int((inp["staff"]["role"] == "徴収吏員").sum())
    print(f"inputs: sample ward {inp['n0']:,} households ({inp['t_sample']:.1f} s), {inp['reps']} replicas ({inp['per']} per officer group), "
          f"built in {inp['t_build']:.1f} s; peak RSS so far {rss_build:.2f} GB")
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()) + f"; officers {officers}")

    if not args.no_tracemalloc:
        tracemalloc.start()
    c0, w0 = time.process_time(), time.perf_counter()
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        table, plans, steps = prof.runcall(timed, inp)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    else:
        table, plans, steps = timed(inp)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    traced = tracemalloc.get_traced_memory()[1] / 1024**3 if not args.no_tracemalloc else float("nan")
    if not args.no_tracemalloc:
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    load1 = os.getloadavg()

    kinds: dict[str, int] = {}
    for p in plans:
        kinds[p.kind] = kinds.get(p.kind, 0) + len(p.items)
    print(f"\n{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.python_version()}, "
          f"pandas {pd.__version__}, {os.cpu_count()} CPUs")
    print("| N households | step | wall s |")
    print("| --- | --- | --- |")
    for k, v in steps.items():
        print(f"| {args.households:,} | {k} | {v:.1f} |")
    print(f"| {args.households:,} | total (triage + lists) | {wall:.1f} wall, {cpu:.1f} CPU |")
    print(f"peak RSS (process, incl. inputs): {rss:.2f} GB (after building inputs {rss_build:.2f} GB); "
          f"tracemalloc peak of the timed phase: {traced:.2f} GB")
    print(f"triage rows {len(table):,}, queued {(table['queue'] != '').sum():,}; lists {len(plans)}: "
          + ", ".join(f"{k} {v:,} items" for k, v in sorted(kinds.items())))
    print(f"load average before {load0[0]:.2f}/{load0[1]:.2f}/{load0[2]:.2f}, "
          f"after {load1[0]:.2f}/{load1[1]:.2f}/{load1[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
