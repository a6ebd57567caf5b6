"""``kokuho-nb serve``: publish the pages with Voilà (see :mod:`kokuho_nb.web.server`)."""

from __future__ import annotations

import argparse

from kokuho_nb.commands import help_of
from kokuho_nb.web.server import LOOPBACK, ServeOptions, serve


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve",
        help=help_of("serve"),
        description="担当者ページ・会議ダッシュボード・OJT演習・取込レポートを Voilà で公開します。",
    )
    p.add_argument("--port", type=int, default=8866, help="ポート番号（既定 8866）")
    p.add_argument("--ip", default=LOOPBACK, help="公開するアドレス（既定 127.0.0.1。ほかのアドレスには --token が必要）")
    p.add_argument("--token", default=None, help="アクセスに必要なトークン（16文字以上）")
    p.add_argument("--store", default=None, help="データの保存先（既定: KOKUHO_STORE または .kokuho-store/）")
    p.add_argument("--out", default=None, help="出力フォルダ（ワークブックのダウンロード元。既定 outputs/）")
    p.add_argument("--no-preheat", action="store_true", help="カーネルの事前起動をしない")
    p.add_argument("--cull-idle", type=int, default=1800, help="使われていないカーネルを終了するまでの秒数")
    p.add_argument("--show-tracebacks", action="store_true", help=argparse.SUPPRESS)  # tests only
    p.add_argument("--test-pages", action="store_true", help=argparse.SUPPRESS)  # tests only
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    opts = ServeOptions(
        port=args.port,
        ip=args.ip,
        token=args.token,
        store=args.store,
        outputs=args.out,
        preheat=not args.no_preheat,
        cull_idle_timeout=args.cull_idle,
        show_tracebacks=args.show_tracebacks,
        test_pages=args.test_pages,
    )
    return serve(opts)
