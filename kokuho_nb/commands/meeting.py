"""``kokuho-nb meeting build YYYY-MM [--store DIR] [--out DIR]``: the monthly meeting pack via papermill."""

from __future__ import annotations

import argparse

from kokuho_nb.labels import t


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("meeting", help=t("meeting.command.help_meeting"))
    sub = parser.add_subparsers(dest="meeting_command", metavar="SUBCOMMAND")
    build = sub.add_parser("build", help=t("meeting.command.help_build"))
    build.add_argument("month", help=t("meeting.command.arg_month"))
    build.add_argument("--store", help=t("meeting.command.arg_store"))
    build.add_argument("--out", help=t("meeting.command.arg_out"))
    build.add_argument("--timeout", type=float, default=900, help=t("meeting.command.arg_timeout"))
    build.set_defaults(func=run_build)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def build_month(month: str, store: str | None = None, out: str | None = None, *, timeout: float = 900) -> dict:
    """Run notebooks/meeting_pack.ipynb for ``month``; returns the output paths (also used by the demo)."""
    from kokuho_nb.meeting import output_names
    from kokuho_nb.meeting.common import parse_month
    from kokuho_nb.runner import run_notebook
    from kokuho_nb.store.paths import resolve_outputs, resolve_store

    month = parse_month(month)
    out_dir = resolve_outputs(out) / month
    run_notebook("meeting_pack", {"month": month, "store": str(resolve_store(store)), "out_dir": str(out_dir)},
                 out_dir, timeout=timeout, output_name=f"meeting_{month}_notebook")
    return {k: out_dir / v for k, v in output_names(month).items()}


def run_build(args: argparse.Namespace) -> int:
    paths = build_month(args.month, args.store, args.out, timeout=args.timeout)
    for path in paths.values():
        print(t("meeting.command.built", path=str(path)))
    return 0
