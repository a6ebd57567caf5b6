"""``kokuho-nb month run YYYY-MM ...``: the month's lists; ``kokuho-nb month all YYYY-MM ...``: lists, meeting
pack and exercise sheets in one run (:mod:`kokuho_nb.runs.month_all`)."""

from __future__ import annotations

import argparse
import json

from kokuho_nb.commands import help_of
from kokuho_nb.labels import t
from kokuho_nb.runs.month_all import run_whole_month, summary_lines
from kokuho_nb.runs.month_run import MonthRequest, run_month
from kokuho_nb.store import Store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("month", help=help_of("month"))
    sub = parser.add_subparsers(dest="month_command", metavar="SUBCOMMAND")
    run = sub.add_parser("run", help="その月のターゲットリスト（担当者別・納付案内センター・専門員）を出力")
    run.add_argument("month", help="対象月（YYYY-MM）")
    run.add_argument("--store", help="ケースストアのフォルダ")
    run.add_argument("--out", help="出力先（既定 outputs/）。リストは <out>/YYYY-MM/ に作成")
    run.add_argument("--officer", help="この担当者コードのリストだけを出力（カンマ区切り可）")
    run.add_argument("--reissue", action="store_true", help="発行済みの月を再計算して新しい版を発行")
    run.add_argument("--processes", type=int, help="同時に実行するノートブック数（既定: コア数）")
    run.add_argument("--timeout", type=float, help="ノートブック1回の制限時間（秒）")
    run.add_argument("--json", action="store_true", help="結果を JSON で出力")
    run.set_defaults(func=run_command)
    whole = sub.add_parser("all", help="その月の一括実行：ターゲットリスト・月例会議資料（HTML・PDF・Excel）・OJT演習用紙")
    whole.add_argument("month", help="対象月（YYYY-MM）")
    whole.add_argument("--store", help="ケースストアのフォルダ")
    whole.add_argument("--out", help="出力先（既定 outputs/）。<out>/YYYY-MM/ に作成")
    whole.add_argument("--reissue", action="store_true", help="発行済みの月を再計算して新しい版を発行")
    whole.add_argument("--no-pack", action="store_true", help="月例会議資料を作らない")
    whole.add_argument("--no-sheets", action="store_true", help="OJT演習用紙を作らない")
    whole.add_argument("--processes", type=int, help="同時に実行するノートブック数（既定: コア数）")
    whole.add_argument("--timeout", type=float, help="ノートブック1回の制限時間（秒）")
    whole.add_argument("--json", action="store_true", help="結果を JSON で出力")
    whole.set_defaults(func=all_command)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run_command(args: argparse.Namespace) -> int:

    req = MonthRequest.of(args.month, args.out, officer=args.officer, reissue=args.reissue,
                          processes=args.processes, timeout=args.timeout)
    result = run_month(Store.open(args.store), req)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(result.issue)
        print(result.run_message)
        print(t("targets.month.outputs", path=result.out_dir))
    return 0 if result.ok else 1


def all_command(args: argparse.Namespace) -> int:

    req = MonthRequest.of(args.month, args.out, reissue=args.reissue, processes=args.processes,
                          timeout=args.timeout)
    result = run_whole_month(Store.open(args.store), req, pack=not args.no_pack, sheets=not args.no_sheets)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
    else:
        print("\n".join(summary_lines(result)))
    return 0 if result.ok else 1
