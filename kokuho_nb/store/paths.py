"""Where the store lives: ``--store``, else ``KOKUHO_STORE``, else ``.kokuho-store/`` in the repo (git-ignored)."""

from __future__ import annotations

import os
from pathlib import Path

from kokuho_nb.params import REPO_ROOT

DEFAULT_STORE = REPO_ROOT / ".kokuho-store"
DEFAULT_OUTPUTS = REPO_ROOT / "outputs"


def resolve_store(arg: str | os.PathLike[str] | None = None) -> Path:
    if arg:
        return Path(arg).expanduser().resolve()
    env = os.environ.get("KOKUHO_STORE")
    if env:
        return Path(env).expanduser().resolve()
    return DEFAULT_STORE


def resolve_outputs(arg: str | os.PathLike[str] | None = None) -> Path:
    if arg:
        return Path(arg).expanduser().resolve()
    env = os.environ.get("KOKUHO_OUTPUTS")
    if env:
        return Path(env).expanduser().resolve()
    return DEFAULT_OUTPUTS
