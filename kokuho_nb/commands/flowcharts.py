"""``kokuho-nb flowcharts check [FILE...]`` and ``kokuho-nb flowcharts render ID [--case JSON] [-o OUT]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kokuho_nb.commands import help_of
from kokuho_nb.errors import UserError
from kokuho_nb.flowcharts import available, check_file, load, load_file, render_svg, walk
from kokuho_nb.labels import t


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("flowcharts", help=help_of("flowcharts"))
    sub = parser.add_subparsers(dest="flowcharts_command", metavar="SUBCOMMAND")
    check = sub.add_parser("check", help="フローチャートを検証する（問題があれば終了コード1）")
    check.add_argument("files", nargs="*", help="検証するYAMLファイル（省略時は parameters/flowcharts/*.yaml）")
    check.set_defaults(func=run_check)
    render = sub.add_parser("render", help="フローチャートの図（SVG）を書き出す")
    render.add_argument("flowchart", help="フローチャートのid・名称・ファイル")
    render.add_argument("--case", help="事案の属性（JSON）。指定すると、たどった経路を強調する")
    render.add_argument("-o", "--out", help="出力SVGファイル（省略時は標準出力）")
    render.set_defaults(func=run_render)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run_check(args: argparse.Namespace) -> int:

    files = [Path(f) for f in args.files] if args.files else available()
    if not files:
        raise UserError(t("flowcharts.no_files"))
    bad = 0
    count = 0
    for path in files:
        problems = check_file(path)
        if problems:
            bad += 1
            count += len(problems)
            for p in problems:
                print(str(p), file=sys.stderr)
        else:
            fc = load_file(path)
            print(t("flowcharts.check_ok", file=path.name, nodes=len(fc.nodes), decisions=len(fc.decisions)))
    if bad:
        print(t("flowcharts.check_summary", files=len(files), bad=bad, problems=count), file=sys.stderr)
        return 1
    return 0


def run_render(args: argparse.Namespace) -> int:

    fc = load(args.flowchart)
    path = None
    if args.case:
        try:
            case = json.loads(args.case)
        except json.JSONDecodeError as exc:
            raise UserError(t("training.bad_case_json"), str(exc)) from exc
        path = walk(fc, case)
    svg = render_svg(fc, path, max_width=None)
    if args.out:
        Path(args.out).write_text(svg, encoding="utf-8")
    else:
        print(svg)
    return 0
