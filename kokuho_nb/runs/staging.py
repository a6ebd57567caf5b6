"""A month's output folder changes in one step (issue 16 §8): a run writes into a staging folder beside it and
swaps it in only when every file was written, so ``<out>/YYYY-MM/`` always holds one revision of the lists —
the previous one, complete, until the new one is complete.

- :func:`begin` creates ``<out>/.YYYY-MM.tmp-<id>/`` (0700, with a held writer lock inherited by the notebook
  workers), copies into it what this run will not rewrite (the meeting pack when only lists are rendered,
  other officers' lists of the same revision, returns, training sheets), and first cleans what killed runs left:
  staging folders whose lock is free, and a folder swapped out but never removed.
- :meth:`Staging.commit` makes every file owner-only, records the revision in ``.lists.json`` and swaps the
  staging folder in (``renameat2(RENAME_EXCHANGE)`` on Linux: one atomic step; elsewhere two renames, with the
  half-way state repaired by the next :func:`begin`); the old folder is then removed.
- :meth:`Staging.discard` removes the staging folder: the month folder is untouched.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kokuho_nb import filemodes
from kokuho_nb.months import Month

log = logging.getLogger(__name__)

MANIFEST = ".lists.json"
RENAME_EXCHANGE = 2
AT_FDCWD = -100


def list_file_pattern(month: Month | str) -> re.Pattern[str]:
    """Names of the files a month's list rendering writes (workbooks, summary, executed list notebooks; names as
    in :func:`kokuho_nb.targets.workbook.file_name`, :func:`kokuho_nb.targets.render.write_summary` and
    :func:`kokuho_nb.runs.month_run.run_month`)."""
    m = re.escape(str(Month.parse(month)))
    return re.compile(rf"^(target_list_{m}_.+\.xlsx|target_lists_summary_{m}\.html|target_lists_{m}_\d+\.(ipynb|html))$")


def folder_revision(out: Path) -> int | None:
    """The revision of the lists in a month folder (``.lists.json``), ``None`` when unknown."""
    try:
        return int(json.loads((out / MANIFEST).read_text(encoding="utf-8"))["revision"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _stale(out: Path) -> list[Path]:
    """Clean up after killed runs: staging folders nobody writes any more, and — a crash between the two
    renames of the fallback swap — an old folder put aside while the month folder is missing."""
    removed = []
    parent = out.parent
    if not parent.is_dir():
        return removed
    for p in parent.glob(f".{out.name}.tmp-*"):
        if filemodes.lock_is_free(p) is not False:  # free, or no lock at all (it was never written)
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    olds = sorted(parent.glob(f".{out.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and not out.exists():
        os.rename(olds.pop(), out)
    for p in olds:
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def _exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    r = fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    return r == 0


@dataclass
class Staging:
    """A month folder being replaced: ``folder`` (the staging folder) becomes ``out`` on :meth:`commit`."""

    out: Path
    folder: Path
    month: str  # 'YYYY-MM'
    _lock: Any = None
    done: bool = False
    carried: list[str] = field(default_factory=list)

    def commit(self, revision: int, files: dict[str, str]) -> None:
        """Swap the staging folder in as the month folder (see the module docstring)."""
        manifest = {"month": self.month, "revision": revision, "files": files}
        (self.folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        self._release()
        (self.folder / filemodes.LOCK_NAME).unlink(missing_ok=True)
        filemodes.restrict_tree(self.folder)
        if not self.out.exists():
            os.rename(self.folder, self.out)
        elif _exchange(self.folder, self.out):
            shutil.rmtree(self.folder, ignore_errors=True)  # now the previous folder
        else:
            old = self.out.parent / f".{self.out.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(self.out, old)
            os.rename(self.folder, self.out)
            shutil.rmtree(old, ignore_errors=True)
        self.done = True

    def discard(self) -> None:
        self._release()
        if not self.done:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.done = True

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.__exit__(None, None, None)
            self._lock = None


def begin(out: Path, month: Month | str, *, keep_lists: set[str] | None = None) -> Staging:
    """A staging folder for ``out`` (see the module docstring). ``keep_lists``: file names of list workbooks
    of the folder's revision to carry over (an ``--officer`` run of the same revision); other list files never
    are, so the folder never mixes revisions."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _stale(out)
    folder = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:12]}"
    folder.mkdir(mode=filemodes.DIR_MODE)
    lock = filemodes.held_lock(folder)
    lock.__enter__()
    staging = Staging(out, folder, str(Month.parse(month)), lock)
    try:
        if out.is_dir():
            owned = list_file_pattern(month)
            for entry in sorted(out.iterdir()):
                name = entry.name
                if name in (MANIFEST, filemodes.LOCK_NAME) or (owned.match(name) and name not in (keep_lists or set())):
                    continue
                if entry.is_symlink():
                    continue
                if entry.is_dir():
                    shutil.copytree(entry, folder / name, symlinks=True)
                else:
                    shutil.copy2(entry, folder / name)
                staging.carried.append(name)
    except BaseException:
        staging.discard()
        raise
    return staging
