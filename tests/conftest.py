"""Shared test fixtures (contract: docs/architecture.md, "Public APIs between modules").

- ``small_ledger_dir`` (session): a small synthetic ward (3,000 households, seed 7, as of 2026-11-26),
  written once by :func:`kokuho_nb.synth.generate`.
- ``small_store`` (session): that ledger imported into a store with
  :func:`kokuho_nb.ledger.importer.import_ledger`. Shared by many tests: treat it as read-only (write
  case-work records into ``tmp_store`` or a copy).
- ``tmp_store`` (per test): an empty store folder.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

SMALL_SEED = 7
SMALL_HOUSEHOLDS = 3000
SMALL_AS_OF = date(2026, 11, 26)


@pytest.fixture(scope="session")
def small_ledger_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from kokuho_nb.synth import generate

    out = tmp_path_factory.mktemp("small_ledger") / "ledger"
    path = generate(out, seed=SMALL_SEED, households=SMALL_HOUSEHOLDS, as_of=SMALL_AS_OF)
    return Path(path)


@pytest.fixture(scope="session")
def small_store(tmp_path_factory: pytest.TempPathFactory, small_ledger_dir: Path) -> Path:
    from kokuho_nb.ledger.importer import import_ledger

    store = tmp_path_factory.mktemp("small_store") / "store"
    store.mkdir()
    report = import_ledger(small_ledger_dir, store, as_of=SMALL_AS_OF)
    assert report.ok, report.to_dict()
    return store


@pytest.fixture
def tmp_store(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    store.mkdir()
    return store
