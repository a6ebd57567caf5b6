"""The import command writes the import log of the case-work database (issue 2, section 3)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kokuho_nb.store import Store, import_log

KOKUHO_NB = Path(sys.executable).with_name("kokuho-nb")


def test_import_command_is_logged(small_ledger_dir: Path, tmp_store: Path) -> None:
    result = subprocess.run(
        [str(KOKUHO_NB), "import", str(small_ledger_dir), "--store", str(tmp_store), "--as-of", "2026-11-26",
         "--json"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    log = import_log.list_imports(Store(tmp_store))
    assert len(log) == 1, "kokuho-nb import records the import with kokuho_nb.store.db.record_import (kokuho_nb.store.import_log)"
    entry = log[0]
    assert entry["ok"] and entry["snapshot_id"] == report["snapshot"] == [x.to_dict() for x in Store(tmp_store).snapshots()][-1]["id"]
    assert entry["as_of"] == "2026-11-26"
    files = entry["counts"]["files"]
    assert files["調定.csv"]["rows_read"] == report["files"]["調定.csv"]["rows_read"] > 0
