"""``kokuho-nb demo``: the synthetic ward through several months of the plan's routine (:mod:`kokuho_nb.runs.demo`)."""

from __future__ import annotations

import argparse
import datetime as dt

from kokuho_nb.commands import help_of
from kokuho_nb.era import EraDateError, parse_date
from kokuho_nb.errors import UserError
from kokuho_nb.runs import demo
from kokuho_nb.store import Store


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help=help_of("demo"))
    p.add_argument("--store", help="データの保存先（既定: KOKUHO_STORE または .kokuho-store/）")
    p.add_argument("--out", help="出力先（既定: outputs/）")
    p.add_argument("--as-of", help="基準日（既定: 今日）")
    p.add_argument("--seed", type=int, default=1, help="模擬区の乱数シード（既定: 1）")
    p.add_argument("--households", type=int, help="模擬区の世帯数（既定: パラメータの値）")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    try:
        as_of = parse_date(args.as_of) if args.as_of else dt.date.today()
    except EraDateError as exc:
        raise UserError(f"--as-of: {exc}") from exc
    result = demo.run(Store.open(args.store), args.out, as_of, seed=args.seed, households=args.households)
    return 0 if result.ok else 1
