"""The store's one cache of derived results: ``<store>/cache/<kind>/<name>_<key>.<ext>``.

A derived result (a case view, a month's triage table, a built meeting pack) is a function of its inputs, so it
is kept under a key that digests all of them (:meth:`Derived.key`):

- ``inputs``: what the caller passes in (snapshot id, date, month, rows of the case-work database …);
- ``params``: the parameter files it reads (their names and contents, :meth:`kokuho_nb.params.Tree.digest_of`);
- ``code``: the package's own source files it runs (:func:`code_digest` of the modules named) — a code change
  re-keys the results without anybody bumping a version by hand.

Files are written to a temporary name and renamed (readers see a whole file or none; two processes racing to
write the same result both succeed). A file that cannot be read is recomputed; a store that cannot be written
still works, just uncached. Folders are 0700 and files 0600 whatever the umask (:mod:`.private`). The last few
frames are also kept in memory (callers get a copy). Everything here is safe to delete.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from kokuho_nb import filemodes, params

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent.parent
#: What a package's "code" is: its source, its labels and templates.
CODE_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".j2", ".css", ".html")
MEMORY_SLOTS = 4
T = TypeVar("T")


@lru_cache(maxsize=64)
def _code_digest(names: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for name in names:
        if name.endswith((".yaml", ".json")):
            files = [PACKAGE_DIR / name]
        else:
            rel = "" if name == "kokuho_nb" else name.removeprefix("kokuho_nb.").replace(".", "/")
            folder = PACKAGE_DIR / rel
            files = sorted(p for p in folder.rglob("*") if p.suffix in CODE_SUFFIXES and p.is_file()
                           and "__pycache__" not in p.parts) if folder.is_dir() else [PACKAGE_DIR / f"{rel}.py"]
        for path in files:
            h.update(str(path.relative_to(PACKAGE_DIR)).encode() + b"\0")
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def code_digest(modules: Iterable[str]) -> str:
    """16 hex digits over the source of ``modules`` (``"kokuho_nb.cases"``, a package such as
    ``"kokuho_nb.law"`` or ``"kokuho_nb"`` with all its files, or a data file such as ``"i18n/cases.yaml"``).

    Read once per process: the code of a running process does not change."""
    return _code_digest(tuple(sorted(set(modules))))


class Derived:
    """The derived-results cache of one store (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._memory: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    # keys and paths

    @staticmethod
    def key(kind: str, *, inputs: Mapping[str, Any] | None = None, params_of: Iterable[str] = ("",),
            code: Iterable[str] = ()) -> str:
        """16 hex digits naming a result of ``kind`` computed from ``inputs``, the parameter files under
        ``params_of`` (prefixes such as ``"law/"``; ``""`` for the whole folder) and the source of ``code``."""
        h = hashlib.sha256(kind.encode() + b"\0")
        h.update(json.dumps(dict(inputs or {}), sort_keys=True, default=str, ensure_ascii=False).encode())
        h.update(b"\0" + params.refresh().digest_of(tuple(params_of)).encode())
        h.update(b"\0" + code_digest(code).encode())
        return h.hexdigest()[:16]

    def path(self, kind: str, name: str, suffix: str = ".parquet") -> Path:
        return self.root / kind / f"{name}{suffix}"

    # frames (Parquet)

    def read_frame(self, path: Path) -> pd.DataFrame | None:
        mem = self._recall(path)
        if mem is not None:
            return mem.copy()
        if not path.is_file():
            return None
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - a broken cache file is recomputed
            log.warning("unreadable derived file %s (%s); recomputing", path, exc)
            return None
        self._remember(path, frame)
        return frame.copy()

    def write_frame(self, path: Path, frame: pd.DataFrame) -> None:
        self._write(path, lambda tmp: frame.to_parquet(tmp, index=False, compression="zstd"))
        self._remember(path, frame)

    def frame(self, path: Path, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """The frame at ``path`` (memory, else file), else ``compute()`` saved there. A copy either way."""
        hit = self.read_frame(path)
        if hit is not None:
            return hit
        frame = compute()
        self.write_frame(path, frame)
        return frame.copy()

    # other objects (pickle: only ever read back from the store's own folder)

    def read_object(self, path: Path) -> Any:
        if not path.is_file():
            return None
        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)  # noqa: S301 - written by this module into the store
        except Exception as exc:  # noqa: BLE001 - a broken cache file is rebuilt
            log.warning("unreadable derived file %s (%s); rebuilding", path, exc)
            return None

    def write_object(self, path: Path, value: Any) -> None:
        def dump(tmp: Path) -> None:
            with open(tmp, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)

        self._write(path, dump)

    def prune(self, kind: str, prefix: str, keep: int) -> None:
        """Keep the ``keep`` newest files of ``kind`` whose names start with ``prefix``."""
        folder = self.root / kind
        if not folder.is_dir():
            return
        files = sorted((p for p in folder.glob(f"{prefix}*") if not p.name.startswith(".")),
                       key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[keep:]:
            old.unlink(missing_ok=True)

    def forget(self) -> None:
        """Drop the in-memory copies (the files stay)."""
        with self._lock:
            self._memory.clear()

    # internals

    def _write(self, path: Path, dump: Callable[[Path], None]) -> None:
        try:
            filemodes.private_dir(path.parent)
            tmp = path.with_name(f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}-{path.name}")
            try:
                dump(tmp)
                filemodes.private_file(tmp)
                os.replace(tmp, path)
            finally:
                if tmp.exists():
                    tmp.unlink(missing_ok=True)
        except OSError as exc:  # a read-only store still works, just slower
            log.warning("cannot write derived file %s: %s", path, exc)

    def _recall(self, path: Path) -> pd.DataFrame | None:
        key = ("frame", str(path))
        with self._lock:
            hit = self._memory.get(key)
            if hit is not None:
                self._memory.move_to_end(key)
            return hit

    def _remember(self, path: Path, frame: pd.DataFrame) -> None:
        key = ("frame", str(path))
        with self._lock:
            self._memory[key] = frame
            self._memory.move_to_end(key)
            while len(self._memory) > MEMORY_SLOTS:
                self._memory.popitem(last=False)
