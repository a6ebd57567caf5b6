"""The ``kokuho-nb`` command: every command is listed and reachable; user errors are Japanese, no traceback."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kokuho_nb import cli, commands
from kokuho_nb.params import REPO_ROOT

KOKUHO_NB = Path(sys.executable).with_name("kokuho-nb")
#: Commands the issues require (others may exist too).
REQUIRED = {"import", "snapshots", "synth", "calibration", "month", "returns", "demo", "serve"}


def _choices(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KOKUHO_NB), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, cwd=REPO_ROOT)


def test_help_lists_every_command() -> None:
    names = set(_choices(cli.build_parser()))
    assert REQUIRED <= names, f"missing commands: {sorted(REQUIRED - names)}"
    result = _run("--help")
    assert result.returncode == 0, result.stderr
    for name in names:
        assert name in result.stdout, f"{name} not in --help"


def test_every_command_module_registers_runnable_commands() -> None:
    for info in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"kokuho_nb.commands.{info.name}")
        if not hasattr(module, "register"):
            continue
        parser = argparse.ArgumentParser()
        module.register(parser.add_subparsers())
        added = _choices(parser)
        assert added, f"{info.name}.register adds no command"
        for name, sub in added.items():
            leaves = [sub] if sub.get_default("func") else list(_choices(sub).values())
            assert leaves and all(p.get_default("func") for p in leaves), f"{name}: a (sub)command without func"


@pytest.mark.parametrize("name", sorted(_choices(cli.build_parser())))
def test_each_command_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main([name, "--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip()


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) != 0
    assert "COMMAND" in capsys.readouterr().out


def test_user_error_is_japanese_without_traceback(tmp_path: Path) -> None:
    """A command raising UserError: the Japanese message and English detail, no traceback, exit 2."""
    extra = tmp_path / "extra_commands"
    extra.mkdir()
    (extra / "boom.py").write_text(textwrap.dedent('''
        from kokuho_nb.errors import UserError

        def register(subparsers):
            p = subparsers.add_parser("boom")
            p.set_defaults(func=lambda args: (_ for _ in ()).throw(
                UserError("台帳ファイル「世帯.csv」の3行目「所得区分」が不正です。", "bad code in line 3")))
    '''), encoding="utf-8")
    script = (f"import sys, kokuho_nb.commands as c; c.__path__.append({str(extra)!r}); "
              "c.COMMANDS['boom'] = ('boom', 'boom'); "
              "from kokuho_nb.cli import main; sys.exit(main(['boom']))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "エラー: 台帳ファイル「世帯.csv」の3行目「所得区分」が不正です。" in result.stderr
    assert "bad code in line 3" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_real_command_with_bad_input_fails_in_japanese(tmp_path: Path) -> None:
    result = _run("import", str(tmp_path / "no_such_ledger"), "--store", str(tmp_path / "store"))
    assert result.returncode != 0
    assert "エラー:" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_every_command_module_is_in_the_registry_and_help_imports_none() -> None:
    """kokuho_nb.commands.COMMANDS names every command a module registers; `kokuho-nb --help` loads no module of
    the suite's products (only the command being run is imported)."""
    for info in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"kokuho_nb.commands.{info.name}")
        if not hasattr(module, "register"):
            continue
        parser = argparse.ArgumentParser()
        module.register(parser.add_subparsers())
        for name in _choices(parser):
            assert commands.COMMANDS.get(name, ("",))[0] == info.name, f"{name} ({info.name}) not in COMMANDS"
    script = ("import sys; from kokuho_nb.cli import main\n"
              "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
              "print(sorted(m for m in sys.modules if m.startswith(('kokuho_nb.meeting', 'kokuho_nb.targets', "
              "'kokuho_nb.web', 'pandas'))))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
