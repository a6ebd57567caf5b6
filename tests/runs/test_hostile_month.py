"""Issue 16 §2 and §8: a month whose files could not be written is not issued, and a month folder never mixes
revisions — also when ``kokuho-nb month run`` is killed with SIGKILL while rendering (subprocesses)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kokuho_nb.casework.issued import current_revision
from kokuho_nb.ledger.importer import import_ledger
from kokuho_nb.runs import month_run, staging
from kokuho_nb.runs.month_run import MonthRequest, run_month
from kokuho_nb.store import Store
from kokuho_nb.targets.lists import issue_month

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "ledger" / "standard"
MONTH = "2025-07"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    s = tmp_path / "store"
    assert import_ledger(FIXTURE, s, as_of="2025-06-15").ok
    return s


def _issued(store: Path) -> int:
    return current_revision(Store(store), MONTH)


def _revisions(folder: Path) -> dict[str, int]:
    out = {}
    for p in sorted(folder.glob(f"target_list_{MONTH}_*.xlsx")):
        meta = {r[0]: r[1] for r in load_workbook(p, read_only=True)["管理情報"].iter_rows(values_only=True)}
        out[p.name] = int(meta["revision"])
    return out


def _failing_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every notebook run of the lists fails (a notebook that does not exist): deterministic, unlike a timeout."""
    monkeypatch.setattr(month_run, "NOTEBOOK", "no_such_notebook")


def test_a_month_whose_lists_cannot_be_written_is_not_recorded_as_issued(store: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    issue_month(store, MONTH, synthetic=True)  # a store left "issued" with no file written (the issue's state)
    assert _issued(store) == 1
    with monkeypatch.context() as m:
        _failing_runs(m)
        failed = run_month(Store(store), MonthRequest.of(MONTH, out, processes=1))  # every notebook run fails
    assert not failed.ok
    assert "取り消して" in failed.issue  # the unwritten revision was withdrawn first...
    assert "発行しませんでした" in failed.issue and "同じ内容で再出力しました" not in failed.issue
    assert _issued(store) == 0  # ...and the new one, whose files failed, is not recorded either
    assert not (out / MONTH).exists() and list(out.glob(f".{MONTH}.*")) == []
    done = run_month(Store(store), MonthRequest.of(MONTH, out, processes=1))
    assert done.ok and done.revision == 1 and done.newly_issued
    revs = _revisions(out / MONTH)
    assert revs and set(revs.values()) == {1} and staging.folder_revision(out / MONTH) == 1


def test_a_failed_rerender_keeps_the_folder_and_says_so(store: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert run_month(Store(store), MonthRequest.of(MONTH, out, processes=1)).ok
    before = {p.name: p.read_bytes() for p in (out / MONTH).iterdir() if p.is_file()}
    with monkeypatch.context() as m:
        _failing_runs(m)
        failed = run_month(Store(store), MonthRequest.of(MONTH, out, processes=1))
    assert not failed.ok and "書けませんでした" in failed.issue and "同じ内容で再出力しました" not in failed.issue
    assert {p.name: p.read_bytes() for p in (out / MONTH).iterdir() if p.is_file()} == before
    assert _issued(store) == 1


def _month_run(store: Path, out: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "kokuho_nb", "month", "run", MONTH, "--store", str(store),
                             "--out", str(out), "--processes", "1", *extra], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def _kill_when(proc: subprocess.Popen, ready, seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            return True
        time.sleep(0.005)
    proc.wait(timeout=60)
    return False


def test_kill_9_during_rendering_never_mixes_revisions(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    folder = out / MONTH
    assert run_month(Store(store), MonthRequest.of(MONTH, out, processes=1)).ok
    first = _revisions(folder)
    assert first and set(first.values()) == {1}

    def staged_xlsx() -> bool:
        return any(p.glob("target_list_*.xlsx") for p in out.glob(f".{MONTH}.tmp-*"))

    def staged_notebook() -> bool:
        return any(p.glob("*.ipynb") for p in out.glob(f".{MONTH}.tmp-*"))

    kills = 0
    for ready in (staged_notebook, staged_xlsx):
        proc = _month_run(store, out, "--reissue")
        kills += _kill_when(proc, ready)
        revs = _revisions(folder)
        # whatever the moment of the kill: the folder holds one whole revision, never a mix
        assert len(set(revs.values())) == 1 and set(revs) == set(first), revs
        assert staging.folder_revision(folder) == next(iter(revs.values()))
    assert kills >= 1
    assert list(out.glob(f".{MONTH}.tmp-*"))  # the killed runs' staging folders are left...
    proc = _month_run(store, out)
    assert proc.wait(timeout=300) == 0, proc.stderr.read().decode() if proc.stderr else ""
    assert list(out.glob(f".{MONTH}.tmp-*")) == []  # ...and cleaned at the next start
    revs = _revisions(folder)
    assert set(revs) == set(first) and set(revs.values()) == {_issued(store)}
    assert staging.folder_revision(folder) == _issued(store)


def test_staging_repairs_a_swap_interrupted_between_its_two_renames(tmp_path: Path) -> None:
    out = tmp_path / "out" / MONTH
    out.mkdir(parents=True)
    (out / "a.txt").write_text("old", encoding="utf-8")
    old = out.parent / f".{MONTH}.old-deadbeef"
    os.rename(out, old)  # the fallback swap was killed here: the month folder is missing
    stage = staging.begin(out, MONTH)
    assert (out / "a.txt").read_text(encoding="utf-8") == "old" and not old.exists()
    assert (stage.folder / "a.txt").is_file()  # carried over into the new staging folder
    stage.discard()
    assert not stage.folder.exists()


def test_other_officers_lists_of_another_revision_are_not_kept(tmp_path: Path) -> None:
    out = tmp_path / "out" / MONTH
    out.mkdir(parents=True)
    for name in (f"target_list_{MONTH}_K001.xlsx", f"target_list_{MONTH}_K002.xlsx", f"meeting_{MONTH}.pdf"):
        (out / name).write_bytes(b"x")
    stage = staging.begin(out, MONTH, keep_lists={f"target_list_{MONTH}_K002.xlsx"})
    assert sorted(p.name for p in stage.folder.iterdir() if not p.name.startswith(".")) == [
        f"meeting_{MONTH}.pdf", f"target_list_{MONTH}_K002.xlsx"]
    stage.discard()
    shutil.rmtree(out)
