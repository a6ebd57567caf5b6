"""``kokuho-nb returns ingest FILE... [--store DIR] [--json]``: officers' filled-in target-list workbooks."""

from __future__ import annotations

import argparse
import json
import sys

from kokuho_nb.casework.returns import ingest_returns
from kokuho_nb.commands import help_of
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.store import Store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("returns", help=help_of("returns"))
    sub = parser.add_subparsers(dest="returns_command", metavar="SUBCOMMAND")
    ingest = sub.add_parser("ingest", help="記入済みのターゲットリスト（Excel）を取り込む")
    ingest.add_argument("files", nargs="+", metavar="FILE", help="記入済みのブック（.xlsx）")
    ingest.add_argument("--store", help="ケースストアのフォルダ")
    ingest.add_argument("--replace", action="store_true",
                        help="取り込み済みの別ファイルの結果を、このファイルの内容で置き換える")
    ingest.add_argument("--json", action="store_true", help="結果を JSON で出力")
    ingest.set_defaults(func=run_ingest)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run_ingest(args: argparse.Namespace) -> int:

    if not args.files:
        raise UserError(t("targets.returns.no_files"), "no files")
    report = ingest_returns(Store.open(args.store), args.files, replace=args.replace)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(report.message(), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1
