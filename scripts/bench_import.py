"""Benchmark: import a ward-sized ledger (time and peak memory). Not a test; figures go to docs/performance.md.

    .venv/bin/python scripts/bench_import.py [--households 100000] [--messy] [--out DIR] [--profile]

The ledger comes from ``kokuho_nb.synth.generate`` when it exists (the calibrated ward), else from a simple
generator here (every household: 3 fiscal years x 10 instalments, payments per paid instalment, contacts).
``--messy`` writes that fallback ledger the hard way: CP932, era dates, full-width digits, ``円`` and commas.
The import runs in a child process so that its peak RSS (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv


def _write(df: pd.DataFrame, path: Path, encoding: str) -> None:
    """Fast CSV writing through Arrow (dates as ISO, missing as empty), transcoded when CP932 is asked for."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.date32()))
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))
    if encoding != "utf-8":
        path.write_bytes(path.read_bytes().decode("utf-8").encode(encoding))


FULL = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x30, 0x3A)})


def _era(d: pd.Series) -> pd.Series:
    """Era date strings (令和 R…, else 平成 H…) for a datetime series, vectorised."""
    reiwa = d >= pd.Timestamp("2019-05-01")
    y = np.where(reiwa, d.dt.year - 2018, d.dt.year - 1988)
    prefix = np.where(reiwa, "R", "H")
    return pd.Series(prefix, index=d.index) + pd.Series(y, index=d.index).astype(str) + "." + \
        d.dt.month.astype(str) + "." + d.dt.day.astype(str)


def simple_ledger(out: Path, households: int, messy: bool, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    enc = "cp932" if messy else "utf-8"
    n = households
    ids = pd.Series(np.arange(1, n + 1)).map("{:08d}".format)
    areas = pd.Series(rng.integers(1, 61, n)).map("A{:02d}".format)
    income = rng.choice(["軽減7割", "軽減5割", "軽減2割", "軽減なし", "未申告"], n, p=[.3, .15, .15, .3, .1])
    kana = rng.choice(["ヤマダ　タロウ", "スズキ　ハナコ", "ｸﾞｴﾝ ｱﾝ", "タナカ　イチロウ", "サトウ　ジロウ"], n)
    yn = np.array(["有", "無"])
    pd.DataFrame({
        "世帯番号": ids, "氏名カナ": kana, "地区コード": areas, "所得区分": income,
        "国籍区分": rng.choice(["日本", "外国"], n, p=[.9, .1]), "使用言語": "日本語",
        "電話番号有無": yn[rng.integers(0, 2, n)], "口座振替": yn[rng.integers(0, 2, n)],
        "資格状態": rng.choice(["加入中", "喪失"], n, p=[.9, .1]), "厚生年金加入": yn[rng.integers(0, 2, n)],
        "居所不明": yn[(rng.random(n) < .98).astype(int)],
    }).pipe(_write, out / "世帯.csv", enc)

    fy = np.repeat(np.array([2022, 2023, 2024]), 10)
    inst = np.tile(np.arange(1, 11), 3)
    hh = np.repeat(np.arange(n), 30)
    fy_r = np.tile(fy, n)
    inst_r = np.tile(inst, n)
    month = (inst_r + 5 - 1) % 12 + 1
    year = fy_r + (month < 4)
    due = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1})) + pd.offsets.MonthEnd(0)
    per = rng.integers(500, 30000, n)[hh] // 100 * 100
    paid_all = rng.random(len(hh)) < 0.8
    paid = np.where(paid_all, per, np.where(rng.random(len(hh)) < .3, per // 2, 0))
    last = (due + pd.to_timedelta(rng.integers(-10, 60, len(hh)), unit="D")).where(paid > 0)
    ch = pd.DataFrame({"世帯番号": ids.to_numpy()[hh], "賦課年度": fy_r, "期別": inst_r, "納期限": due, "調定額": per,
                       "収納額": paid, "最終収納日": last, "督促状発送日": (due + pd.Timedelta(days=20)).where(paid == 0),
                       "不納欠損額": 0})
    pay = ch.loc[paid > 0, ["世帯番号", "賦課年度", "期別", "最終収納日", "収納額"]].rename(
        columns={"最終収納日": "収納日", "収納額": "金額"})
    if messy:
        for frame, cols in ((ch, ["納期限", "最終収納日", "督促状発送日"]), (pay, ["収納日"])):
            for c in cols:
                frame[c] = _era(frame[c]).where(frame[c].notna(), "")
        ch["賦課年度"] = "令和" + (ch["賦課年度"] - 2018).astype(str) + "年度"
        ch["調定額"] = ch["調定額"].map("{:,}円".format)
        ch["世帯番号"] = ch["世帯番号"].str.translate(FULL)
        pay["金額"] = pay["金額"].map("{:,}".format)
    _write(ch, out / "調定.csv", enc)
    _write(pay, out / "収納.csv", enc)

    n_off = 30
    pd.DataFrame({
        "担当者コード": [f"K{i:03d}" for i in range(1, n_off + 1)], "氏名": "徴収　職員", "係": "収納係",
        "役職": "徴収吏員", "担当地区": [f"A{2 * i - 1:02d};A{2 * i:02d}" for i in range(1, n_off + 1)],
        "着任日": "2020-04-01", "区分": "継続",
    }).pipe(_write, out / "担当者.csv", enc)
    m = n * 2
    pd.DataFrame({
        "世帯番号": ids.to_numpy()[rng.integers(0, n, m)],
        "日付": pd.Timestamp("2024-06-01") + pd.to_timedelta(rng.integers(0, 365, m), unit="D"),
        "担当者コード": [f"K{i:03d}" for i in rng.integers(1, n_off + 1, m)],
        "手段": rng.choice(["文書", "電話", "SMS", "訪問"], m), "結果": rng.choice(["接触", "不在", "不通"], m),
        "約束金額": "", "約束日": "", "メモ": "",
    }).pipe(_write, out / "折衝記録.csv", enc)
    return out


def make_ledger(out: Path, households: int, messy: bool) -> tuple[Path, str]:
    try:
        from kokuho_nb.synth import generate  # the calibrated ward, when available
    except ImportError:
        generate = None
    if generate is not None:
        return Path(generate(out, seed=1, households=households, messy=messy)), "kokuho_nb.synth.generate"
    return simple_ledger(out, households, messy), "scripts/bench_import.py simple_ledger"


def child(ledger: str, store: str, profile: bool) -> None:
    from kokuho_nb.ledger.importer import import_ledger

    t0 = time.perf_counter()
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        report = prof.runcall(import_ledger, ledger, store)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    else:
        report = import_ledger(ledger, store)
    seconds = time.perf_counter() - t0
    rows = {f: c["rows_read"] for f, c in report.files.items()}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    from kokuho_nb.store import Store

    t1 = time.perf_counter()
    Store(store).load()
    load_seconds = time.perf_counter() - t1
    print(json.dumps({"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "load_seconds": load_seconds, "steps": {k: round(v, 2) for k, v in report.timings.items()}, "rows": rows, "quarantined": len(report.quarantine), "snapshot": report.snapshot_id}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--messy", action="store_true")
    ap.add_argument("--out", help="keep the ledger and store here (default: a temporary folder)")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--ledger", help="import this existing ledger instead of generating one")
    ap.add_argument("--child", nargs=2, metavar=("LEDGER", "STORE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child, args.profile)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.out) if args.out else Path(tmp)
        t0 = time.perf_counter()
        if args.ledger:
            ledger, how = Path(args.ledger), f"existing ledger {args.ledger}"
        else:
            ledger, how = make_ledger(base / "ledger", args.households, args.messy)
        gen = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in ledger.glob("*.csv")) / 1e6
        store = Path(tmp) / "store"  # always a fresh store, so the import really writes
        cmd = [sys.executable, __file__, "--child", str(ledger), str(store)]
        if args.profile:
            cmd.append("--profile")
        res = json.loads(subprocess.run(cmd, check=True, text=True, stdout=subprocess.PIPE).stdout)
        total_rows = sum(res["rows"].values())
        print(f"ledger: {how}, households={args.households:,}, messy={args.messy}, {size:,.0f} MB, "
              f"{total_rows:,} rows (generation {gen:.1f} s)")
        print(f"rows per file: {res['rows']}")
        print(f"import: {res['seconds']:.1f} s wall ({res['cpu_seconds']:.1f} s CPU incl. start-up), peak RSS {res['max_rss_mb']:,.0f} MB, "
              f"quarantine entries {res['quarantined']:,}, snapshot {res['snapshot']}")
        print(f"steps (wall s): {res['steps']}; load_snapshot: {res['load_seconds']:.1f} s")
        print(f"machine: {platform.python_version()} {platform.machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
