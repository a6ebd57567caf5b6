"""The ``kokuho-nb`` command: a thin dispatcher over ``kokuho_nb.commands.*``.

Each module in :mod:`kokuho_nb.commands` exposes ``register(subparsers)`` which adds its sub-command(s)
and sets ``func`` (``args -> int``) as the parser default. Business logic lives elsewhere in the package.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from kokuho_nb import commands
from kokuho_nb.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kokuho-nb",
        description="国民健康保険料 滞納整理 ケースワーク・ノートブック (kokuho-nb)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"kokuho_nb.commands.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"エラー: {exc.message}", file=sys.stderr)
        if exc.detail:
            print(f"  ({exc.detail})", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("中断しました。", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
