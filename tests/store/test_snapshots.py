"""The snapshot store: listing, choosing by date, immutability helpers, leftovers of crashed writers."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from kokuho_nb.errors import UserError
from kokuho_nb.ledger.importer import import_ledger
from kokuho_nb.store import Store
from kokuho_nb.store.snapshots import read_manifest, snapshots_dir

FIXTURE = Path(__file__).parents[1] / "fixtures" / "ledger" / "standard"


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    s = tmp_path / "store"
    for as_of in ("2025-05-31", "2024-05-31", "2025-01-31"):
        import_ledger(FIXTURE, s, as_of=as_of)
    return s


def test_list_is_ordered_by_as_of(store: Path) -> None:
    snaps = [x.to_dict() for x in Store(store).snapshots()]
    assert [s["as_of"] for s in snaps] == ["2024-05-31", "2025-01-31", "2025-05-31"]
    assert all(s["counts"]["charges"] == 7 and s["quarantined"] == 0 for s in snaps)


def test_load_latest_by_default_or_latest_not_after_a_date(store: Path) -> None:
    assert Store(store).load().as_of == dt.date(2025, 5, 31)
    assert Store(store).ledger_for(dt.date(2025, 3, 1), or_earliest=False).as_of == dt.date(2025, 1, 31)
    assert Store(store).ledger_for(dt.date(2025, 1, 31), or_earliest=False).as_of == dt.date(2025, 1, 31)
    sid = [x.to_dict() for x in Store(store).snapshots()][0]["id"]
    assert Store(store).load(sid).as_of == dt.date(2024, 5, 31)
    with pytest.raises(UserError):
        Store(store).ledger_for(dt.date(2020, 1, 1), or_earliest=False)
    with pytest.raises(UserError):
        Store(store).load("2099-01-01_000000000000")


def test_manifest_is_complete(store: Path) -> None:
    sid = [x.to_dict() for x in Store(store).snapshots()][-1]["id"]
    m = read_manifest(store, sid)
    assert m["id"] == sid and m["as_of"] == "2025-05-31" and len(m["source_hash"]) == 64
    assert m["synthetic"] is False and m["mapping"] == "standard"
    assert sid.endswith(m["source_hash"][:12])
    assert m["files"]["世帯.csv"]["encoding"] == "utf-8" and len(m["files"]["世帯.csv"]["sha256"]) == 64
    assert m["report"]["files"]["調定.csv"]["yen_read"] == 95000
    assert m["counts"] == {"households": 5, "charges": 7, "staff": 3, "payments": 5, "contacts": 2,
                           "inquiries": 1, "dispositions": 3, "trainings": 2}
    assert dt.datetime.fromisoformat(m["imported_at"]).tzinfo is not None


def test_synthetic_marker_is_recorded(tmp_path: Path) -> None:
    import shutil

    ledger = tmp_path / "ledger"
    shutil.copytree(FIXTURE, ledger)
    (ledger / "模擬データ.txt").write_text("模擬データ\n", encoding="utf-8")
    report = import_ledger(ledger, tmp_path / "s")
    assert report.synthetic and report.to_dict()["synthetic"] is True
    assert read_manifest(tmp_path / "s", report.snapshot_id)["synthetic"] is True
    assert "模擬データ" in report.summary_ja()
    plain = import_ledger(FIXTURE, tmp_path / "s2")
    assert read_manifest(tmp_path / "s2", plain.snapshot_id)["synthetic"] is False


def test_leftover_temp_folders_are_ignored_and_old_ones_removed(store: Path) -> None:
    root = snapshots_dir(store)
    fresh = root / ".tmp-2026-01-01_aaaaaaaaaaaa-1234"
    stale = root / ".tmp-2026-01-02_bbbbbbbbbbbb-5678"
    for d in (fresh, stale):
        d.mkdir()
        (d / "households.parquet").write_bytes(b"partial")
    old = time.time() - 7 * 3600
    os.utime(stale, (old, old))
    assert len([x.to_dict() for x in Store(store).snapshots()]) == 3
    import_ledger(FIXTURE, store, as_of="2025-06-30")
    assert fresh.exists() and not stale.exists()
    assert len([x.to_dict() for x in Store(store).snapshots()]) == 4
