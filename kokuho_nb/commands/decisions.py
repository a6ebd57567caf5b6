"""``kokuho-nb decisions ingest FILE [--store DIR] [--json]``: store the meeting's decisions sheet."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kokuho_nb.casework.decisions import ingest_decisions
from kokuho_nb.commands import help_of
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.store import Store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("decisions", help=help_of("decisions"))
    sub = parser.add_subparsers(dest="decisions_command", metavar="SUBCOMMAND")
    ingest = sub.add_parser("ingest", help=t("meeting.command.help_ingest"))
    ingest.add_argument("file", help=t("meeting.command.arg_file"))
    ingest.add_argument("--store", help=t("meeting.command.arg_store"))
    ingest.add_argument("--json", action="store_true", help=t("meeting.command.arg_json"))
    ingest.set_defaults(func=run_ingest)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run_ingest(args: argparse.Namespace) -> int:
    try:
        report = ingest_decisions(args.file, Store.open(args.store))
    except UserError as exc:
        if not args.json:
            raise
        # the refusal as JSON too: scripts reading --json get a document whatever happened (issue 16 §9)
        doc = {"file": Path(args.file).name, "month": None, "ok": False, "refused": True, "already_ingested": False,
               "rows": 0, "blank": 0, "accepted": 0, "inserted": 0, "updated": 0, "unchanged": 0,
               "errors": [{"row": 0, "column": "", "header": "", "reason": exc.message, "message": exc.message}],
               "error": exc.message, "message": exc.message}
        print(json.dumps(doc, ensure_ascii=False, indent=1))
        print(f"エラー: {exc.message}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(report.message())
        for e in report.errors:
            print(e["message"], file=sys.stderr)
        if report.errors:
            print(t("meeting.decisions.rejected_kept"), file=sys.stderr)
    return 0 if report.ok else 1
