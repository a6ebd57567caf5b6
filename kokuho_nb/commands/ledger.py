"""``kokuho-nb import PATH`` (a ledger folder or zip -> one snapshot) and ``kokuho-nb snapshots``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kokuho_nb.commands import help_of
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.ledger.importer import import_ledger
from kokuho_nb.ledger.report import ImportReport
from kokuho_nb.store import Store


def _print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=1, default=str) + "\n")


def cmd_import(args: argparse.Namespace) -> int:

    store = Store.open(args.store)
    try:
        report = import_ledger(args.path, store, as_of=args.as_of, mapping=args.mapping, progress=not args.json)
    except UserError as exc:
        if not args.json:
            raise
        failed = ImportReport(ok=False, source=str(args.path), mapping=args.mapping, error=exc.message)
        _print_json(failed.to_dict())
        print(f"エラー: {exc.message}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        _print_json(report.to_dict())
    else:
        print(report.summary_ja())
    return 0


def cmd_snapshots(args: argparse.Namespace) -> int:

    store = Store.open(args.store)
    snaps = [s.to_dict() for s in store.snapshots()]
    if args.json:
        _print_json(snaps)
        return 0
    if not snaps:
        print(t("ledger.summary.no_snapshots", store=store.path))
        return 0
    print(t("ledger.summary.snapshots_head", store=store.path))
    for s in snaps:
        counts = s.get("counts") or {}
        print(t("ledger.summary.snapshot_line", id=s["id"], as_of=s["as_of"], imported_at=s["imported_at"],
                households=counts.get("households", 0), charges=counts.get("charges", 0),
                payments=counts.get("payments", 0), source=s["source"]))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "import",
        help=help_of("import"),
        description="台帳（標準連携ファイルのフォルダまたはzip）を、基準日付きのスナップショットとして取り込みます。",
    )
    p.add_argument("path", help="台帳のフォルダまたは .zip")
    p.add_argument("--store", help="ストアのフォルダ（既定: 環境変数 KOKUHO_STORE、なければ .kokuho-store/）")
    p.add_argument("--as-of", dest="as_of",
                   help="基準日 YYYY-MM-DD（既定: 台帳内の最新の収納日・折衝日、なければ本日）")
    p.add_argument("--json", action="store_true", help="結果をJSONで標準出力に出す")
    p.add_argument("--mapping", help="他社レイアウトの列対応表: parameters/ledger/mappings/ の名前、またはYAMLのパス")
    p.set_defaults(func=cmd_import)

    s = subparsers.add_parser("snapshots", help=help_of("snapshots"), description="スナップショットの一覧")
    s.add_argument("--store", help="ストアのフォルダ（既定: 環境変数 KOKUHO_STORE、なければ .kokuho-store/）")
    s.add_argument("--json", action="store_true", help="JSONで出力")
    s.set_defaults(func=cmd_snapshots)
