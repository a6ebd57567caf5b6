"""Owner-only files and folders (issue 16 §7): the store, its snapshots, the case-work database (with its
``-wal`` / ``-shm`` files), caches and the outputs hold personal data, so nobody but the account running the
suite may read them — whatever the umask of the shell that started it.

- :func:`restrict_umask` makes the process create everything owner-only from then on (the CLI calls it first
  thing, so papermill kernels, Voilà and every library inherit it);
- :func:`private_dir` / :func:`private_file` / :func:`restrict_tree` set the modes explicitly where the suite
  creates files itself, for callers that did not go through the CLI (tests, notebooks opened in Jupyter);
- :func:`mark_ignored` leaves a ``.gitignore`` holding ``*`` in a store, so that a store placed inside a git
  repository is never committed (the way virtual environments protect themselves).
- :func:`held_lock` / :func:`lock_is_free` tell a temporary folder still being written from one whose writer
  died (a ``flock`` dies with its process, and with every child that inherited it).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Iterator
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
OWNER_ONLY_UMASK = 0o077
LOCK_NAME = ".writer.lock"


def restrict_umask() -> int:
    """Add ``077`` to the process umask (files 0600, folders 0700 from now on); returns the previous umask."""
    previous = os.umask(OWNER_ONLY_UMASK)
    os.umask(previous | OWNER_ONLY_UMASK)
    return previous


def _chmod(path: Path, mode: int) -> None:
    try:
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode) or st.st_uid != os.getuid():
            return
        current = stat.S_IMODE(st.st_mode)
        wanted = (current & ~0o077) | (mode & 0o700)  # nothing for group and others; the owner keeps access
        if wanted != current:
            os.chmod(path, wanted)
    except OSError:
        pass


def private_dir(path: str | os.PathLike[str]) -> Path:
    """``mkdir -p`` where every folder created is 0700, and ``path`` itself is made owner-only."""
    p = Path(path)
    missing = []
    q = p
    while not q.exists() and q != q.parent:
        missing.append(q)
        q = q.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass
        _chmod(d, DIR_MODE)
    _chmod(p, DIR_MODE)
    return p


def private_file(path: str | os.PathLike[str]) -> Path:
    """Make an existing file owner-only (0600)."""
    _chmod(Path(path), FILE_MODE)
    return Path(path)


def touch_private(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` empty and 0600 when it does not exist (before a library opens it), else make it owner-only."""
    p = Path(path)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        os.close(fd)
    except FileExistsError:
        pass
    private_file(p)
    return p


def restrict_tree(root: str | os.PathLike[str]) -> None:
    """Every folder under ``root`` 0700 and every file 0600 (this user's only; links left alone)."""
    top = Path(root)
    _chmod(top, DIR_MODE)
    for base, dirs, files in os.walk(top):
        for d in dirs:
            _chmod(Path(base) / d, DIR_MODE)
        for f in files:
            _chmod(Path(base) / f, FILE_MODE)


def mark_ignored(store: str | os.PathLike[str]) -> None:
    """A ``.gitignore`` holding ``*`` at the top of a store: git never offers its files for a commit."""
    path = Path(store) / ".gitignore"
    if path.exists():
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except OSError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# kokuho-nb store: personal data, never committed\n*\n")


@contextlib.contextmanager
def held_lock(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold an exclusive ``flock`` on ``folder/.writer.lock`` while the folder is being written."""
    path = Path(folder) / LOCK_NAME
    # locked under a private name first, then renamed: whoever finds the lock file finds it held
    staging = Path(folder) / f"{LOCK_NAME}.{os.getpid()}"
    fd = os.open(staging, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.replace(staging, path)
        yield path
    finally:
        os.close(fd)


def lock_is_free(folder: str | os.PathLike[str]) -> bool | None:
    """Whether ``folder``'s writer lock can be taken (its writer is gone); ``None`` when there is no lock file."""
    path = Path(folder) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)
