"""``kokuho-nb synth`` (write the synthetic ward's ledger) and ``kokuho-nb calibration`` (its figures beside
the plan's)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kokuho_nb.commands import help_of
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.months import current_fiscal_year
from kokuho_nb.synth import calibration, default_households, generate
from kokuho_nb.synth.config import load_config
from kokuho_nb.synth.messy import MANIFEST_NAME, known_bad_rows


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(t("synth.bad_date", value=text)) from exc


def _progress(enabled: bool, total: int | None) -> tuple[Callable[[str], None] | None, Any]:
    if not enabled:
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="段階", desc=t("common.synthetic_mark"), file=sys.stderr, leave=False)

    def step(message: str) -> None:
        if message.startswith("FY"):
            bar.set_description(t("synth.step_fy", fy=message[2:]))
        else:
            bar.set_description(t("synth.step_write"))
        bar.update(1)

    return step, bar


def run_synth(args: argparse.Namespace) -> int:

    as_of = args.as_of or dt.date.today()
    households = args.households or default_households()

    steps = current_fiscal_year(as_of) - load_config().first_year + 2  # one per simulated year, then writing
    step, bar = _progress(not args.quiet, steps)
    try:
        out = generate(Path(args.out_dir), seed=args.seed, as_of=as_of, households=households, messy=args.messy,
                       progress=step)
    finally:
        if bar is not None:
            bar.close()
    print(t("synth.written", path=out, as_of=as_of.isoformat(), seed=args.seed, households=households))
    if args.messy:
        print(t("synth.written_messy", n=len(known_bad_rows(out)), manifest=out / MANIFEST_NAME))
    print(t("common.synthetic_banner"))
    return 0


def _fmt(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "円":
        return f"{value / 1e8:,.2f}億円"
    if unit == "%":
        return f"{value:.2f}%"
    return f"{value:,.0f}{unit}"


def run_calibration(args: argparse.Namespace) -> int:

    households = args.households or default_households()

    cfg = load_config()
    step, bar = _progress(not args.json, int(str(cfg.profile_targets["as_of"])[:4]) - cfg.first_year)
    try:
        rows = calibration(seed=args.seed, households=households, progress=step)
    finally:
        if bar is not None:
            bar.close()
    failed = [r for r in rows if r["ok"] is False]
    if args.json:
        print(json.dumps({"seed": args.seed, "households": households, "ok": not failed, "figures": rows},
                         ensure_ascii=False, indent=1, default=str))
        return 0 if not failed else 1
    print(t("synth.calibration_title", seed=args.seed, households=households))
    print(t("common.synthetic_banner"))
    head = [t("synth.col_label"), t("synth.col_target"), t("synth.col_generated"), t("synth.col_tolerance"),
            t("synth.col_result"), t("synth.col_source")]
    table = [head]
    for r in rows:
        if r["ok"] is None:
            verdict = t("synth.not_reproduced") if r["generated"] is None else t("synth.reference")
        else:
            verdict = t("synth.ok" if r["ok"] else "synth.ng")
        source = r["source"] + (f"（{r['note']}）" if r.get("note") else "")
        table.append([r["label"], _fmt(r["target"], r["unit"]), _fmt(r["generated"], r["unit"]), r["tolerance"],
                      verdict, source])
    widths = [max(_width(row[i]) for row in table) for i in range(len(head) - 1)]
    for row in table:
        cells = [c + " " * (widths[i] - _width(c)) for i, c in enumerate(row[:-1])]
        print("  ".join(cells) + "  " + row[-1])
    print(t("synth.summary_ok") if not failed else t("synth.summary_ng", n=len(failed)))
    return 0 if not failed else 1


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help=help_of("synth"))
    p.add_argument("out_dir", metavar="OUT_DIR", help="書き出し先フォルダ")
    p.add_argument("--seed", type=int, default=1, help="乱数シード（同じシードなら同じ内容）")
    p.add_argument("--as-of", type=_date, default=None, dest="as_of", help="基準日 YYYY-MM-DD（既定: 今日）")
    p.add_argument("--households", type=int, default=None, help="世帯数（既定: 100,000）")
    p.add_argument("--messy", action="store_true", help="実際の出力形式（CP932・和暦・全角・不正行あり）で書く")
    p.add_argument("--quiet", action="store_true", help="進行状況を表示しない")
    p.set_defaults(func=_guard(run_synth))
    c = sub.add_parser("calibration", help=help_of("calibration"))
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--households", type=int, default=None, help="世帯数（既定: 100,000。目標値は比例換算）")
    c.add_argument("--json", action="store_true", help="JSON で出力する")
    c.set_defaults(func=_guard(run_calibration))


def _guard(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        if getattr(args, "households", None) is not None and args.households < 100:
            raise UserError(t("synth.too_small", households=args.households), "households must be >= 100")
        return fn(args)

    return run
