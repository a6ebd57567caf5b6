"""``kokuho-nb training sheet|status|attempts``: exercise sheets, training status, stored attempts."""

from __future__ import annotations

import argparse
import datetime as dt
import math

from kokuho_nb.casework.training_records import completion_rate, target_rate, training_status
from kokuho_nb.commands import help_of
from kokuho_nb.era import fiscal_year_label, parse_date, parse_fiscal_year
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t, table
from kokuho_nb.months import fiscal_year_of
from kokuho_nb.store import Store
from kokuho_nb.training.sheet import write_sheets


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("training", help=help_of("training"))
    sub = parser.add_subparsers(dest="training_command", metavar="SUBCOMMAND")
    sheet = sub.add_parser("sheet", help="演習問題用紙と解答（HTML・PDF）を作る")
    sheet.add_argument("flowchart", help="フローチャートのid・名称")
    sheet.add_argument("--level", default="初級", help="難易度（初級・中級・上級）")
    sheet.add_argument("--count", type=int, default=None, help="問題数")
    sheet.add_argument("--seed", type=int, default=1, help="問題番号（同じ番号なら同じ問題）")
    sheet.add_argument("--out", default=None, help="出力フォルダ（省略時 outputs/training/）")
    sheet.add_argument("--no-pdf", action="store_true", help="PDFを作らない")
    sheet.set_defaults(func=run_sheet)
    status = sub.add_parser("status", help="新任・転入徴収吏員の必修研修の受講状況")
    status.add_argument("--store", default=None)
    status.add_argument("--as-of", default=None, help="基準日（省略時は今日）")
    status.add_argument("--fiscal-year", default=None, help="受講率を出す年度（例: 2026, R8）")
    status.add_argument("--csv", default=None, help="受講状況をCSVに書き出す")
    status.set_defaults(func=run_status)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run_sheet(args: argparse.Namespace) -> int:

    paths = write_sheets(args.flowchart, args.level, args.count, args.seed, args.out, pdf=not args.no_pdf)
    for path in paths.values():
        print(path)
    return 0


def run_status(args: argparse.Namespace) -> int:

    try:
        as_of = parse_date(args.as_of) if args.as_of else dt.date.today()
        fy = parse_fiscal_year(args.fiscal_year) if args.fiscal_year else fiscal_year_of(as_of)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    store = Store.open(args.store)
    ledger = store.ledger_for(as_of)
    status = training_status(ledger, store, as_of)
    headers = table("training.records.columns")
    shown = status.rename(columns=headers)
    if args.csv:
        shown.to_csv(args.csv, index=False, encoding="utf-8-sig")
    if status.empty:
        print(t("training.records.no_officers"))
    else:
        print(shown[[headers[c] for c in ("officer_code", "officer_name", "course", "status", "done_date")]]
              .to_string(index=False))
    rate = completion_rate(ledger, store, fy)

    print(t("training.records.rate", fy=fiscal_year_label(fy),
            rate="-" if math.isnan(rate) else f"{rate:.1%}", target=f"{target_rate():.0%}"))
    return 0
