"""The ``kokuho-nb`` command: a thin dispatcher over ``kokuho_nb.commands.*``.

Each module in :mod:`kokuho_nb.commands` exposes ``register(subparsers)`` which adds its sub-command(s) and sets
``func`` (``args -> int``) as the parser default. Only the module of the command being run is imported
(:data:`kokuho_nb.commands.COMMANDS`); ``kokuho-nb --help`` imports none. Business logic lives elsewhere.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from kokuho_nb.commands import COMMANDS
from kokuho_nb.errors import UserError
from kokuho_nb.filemodes import restrict_umask


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser, with the full sub-parser of the command named in ``argv`` (all of them when None)."""
    parser = argparse.ArgumentParser(
        prog="kokuho-nb",
        description="国民健康保険料 滞納整理 ケースワーク・ノートブック (kokuho-nb)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = next((a for a in argv if not a.startswith("-")), None) if argv is not None else None
    modules = [COMMANDS[wanted][0]] if wanted in COMMANDS else (
        [] if argv is not None else sorted({m for m, _ in COMMANDS.values()}))
    for name in modules:
        # the one import by name: a command's module pulls in what it runs, so only the one asked for is loaded
        importlib.import_module(f"kokuho_nb.commands.{name}").register(sub)
    for command, (_, help_text) in COMMANDS.items():
        if command not in sub.choices:
            sub.add_parser(command, help=help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args_in = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(args_in)
    args = parser.parse_args(args_in)
    if not getattr(args, "func", None):
        (sub_parser(parser, args.command) or parser).print_help()
        return 2
    # Personal data: everything this process and its kernels create from here on is owner-only (issue 16 §7),
    # set before the command runs (parsing writes nothing)
    restrict_umask()
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


def sub_parser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser | None:
    for action in parser._subparsers._group_actions if parser._subparsers else []:  # noqa: SLF001
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:  # noqa: SLF001
            return action.choices[command]
    return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
