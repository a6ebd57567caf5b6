"""``kokuho-nb meeting build YYYY-MM [--store DIR] [--out DIR]``: the monthly meeting pack via papermill."""

from __future__ import annotations

import argparse

from kokuho_nb.commands import help_of
from kokuho_nb.labels import t
from kokuho_nb.months import Month
from kokuho_nb.runs.month_all import run_pack
from kokuho_nb.store import Store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("meeting", help=help_of("meeting"))
    sub = parser.add_subparsers(dest="meeting_command", metavar="SUBCOMMAND")
    build = sub.add_parser("build", help=t("meeting.command.help_build"))
    build.add_argument("month", help=t("meeting.command.arg_month"))
    build.add_argument("--store", help=t("meeting.command.arg_store"))
    build.add_argument("--out", help=t("meeting.command.arg_out"))
    build.add_argument("--timeout", type=float, default=900, help=t("meeting.command.arg_timeout"))
    build.set_defaults(func=run_build)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run_build(args: argparse.Namespace) -> int:
    paths = run_pack(Store.open(args.store), Month.parse(args.month), args.out, timeout=args.timeout)
    for path in paths.values():
        print(t("meeting.command.built", path=str(path)))
    return 0
