"""``kokuho-nb month run``: issue a month's lists once, then render them through papermill.

Triage is computed once per month, in this process; the rendering is fanned out over notebook runs, each
producing a batch of officers (:func:`kokuho_nb.runs.notebooks.start_many`: a process pool sized to the cores,
started before the issue step so that kernels start meanwhile; a timeout per run, failures collected). Executed
notebooks are kept beside the outputs.

Every file is written into a staging folder that replaces ``<out>/YYYY-MM/`` only when all the lists were
written (:mod:`kokuho_nb.runs.staging`), so the folder always holds one whole revision. When they were not, the
folder is left as it was and a revision issued by this run is withdrawn (it was handed to nobody,
:func:`kokuho_nb.casework.issued.withdraw_revision`), so the next run issues again from the latest snapshot; a
revision that existed before keeps its records (issue 16 §2, §8).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kokuho_nb.casework import issued
from kokuho_nb.casework.issued import issue_lock
from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.months import Month
from kokuho_nb.params import value
from kokuho_nb.runs import staging
from kokuho_nb.runs.notebooks import Job, RunResult, start_many
from kokuho_nb.store import Store
from kokuho_nb.store.paths import resolve_outputs
from kokuho_nb.targets.lists import issue_month, month_snapshot, officer_codes
from kokuho_nb.targets.render import parse_officers
from kokuho_nb.targets.workbook import file_name

NOTEBOOK = "target_lists"


def month_dir(out_root: str | Path | None, month: Month) -> Path:
    """``<out>/YYYY-MM/`` (``--out``, else ``KOKUHO_OUTPUTS``, else ``outputs/``)."""
    return resolve_outputs(out_root) / str(month)


@dataclass
class NotebookRun:
    """One notebook run of a month's work, as reported."""

    name: str
    ok: bool
    seconds: float
    notebook: str | None
    error: str | None

    @classmethod
    def of(cls, result: RunResult) -> NotebookRun:
        return cls(result.job.output_name or result.job.name, result.ok, round(result.seconds, 2),
                   str(result.notebook) if result.notebook else None, result.error)


@dataclass
class MonthRun:
    """What ``kokuho-nb month run`` did (``to_dict()`` is its ``--json`` document)."""

    ok: bool
    month: Month
    revision: int
    newly_issued: bool
    issue: str  # the issue step's Japanese message
    out_dir: Path
    runs: list[NotebookRun]
    run_message: str
    seconds: dict[str, float]
    processes: int
    pack: dict[str, Path] = field(default_factory=dict)  # ``month all``: the meeting pack's files
    sheets: list[Path] = field(default_factory=list)  # ``month all``: the OJT sheets written
    finished_at: str | None = None

    @property
    def failures(self) -> list[NotebookRun]:
        return [r for r in self.runs if not r.ok]

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc.update(month=str(self.month), out_dir=str(self.out_dir), failures=[asdict(r) for r in self.failures],
                   pack={k: str(v) for k, v in self.pack.items()}, sheets=[str(p) for p in self.sheets])
        return doc


def plan_jobs(officers: list[str], *, processes: int, per_job: int, centre: bool,
              sizes: dict[str, int] | None = None, centre_rows: int = 0) -> list[dict[str, Any]]:
    """Split officers into notebook runs: at least one per worker, at most ``per_job`` officers each.

    The first run also writes the centre / specialists' lists (``centre_rows`` rows in all) and the summary;
    officers are dealt to the run with the fewest rows so far (``sizes``: rows per officer), so that the runs
    finish together.
    """
    n = max(1, min(len(officers) or 1, max(processes, math.ceil(len(officers) / max(per_job, 1)))))
    load = [0] * n
    batches: list[list[str]] = [[] for _ in range(n)]
    if centre:
        load[0] = centre_rows
    for code in officers:
        open_jobs = [i for i in range(n) if len(batches[i]) < per_job] or list(range(n))
        i = min(open_jobs, key=lambda j: (load[j], j))
        batches[i].append(code)
        load[i] += (sizes or {}).get(code, 1)
    return [{"officers": batch, "centre": centre and i == 0} for i, batch in enumerate(batches)]


@dataclass(frozen=True)
class MonthRequest:
    """What ``kokuho-nb month run|all`` is asked: the month, where its files go, and how to run."""

    month: Month
    out_root: Path | None = None
    reissue: bool = False  # recompute an issued month as a new revision
    officer: str | None = None  # ``month run`` only: these officers' lists (comma-separated codes)
    processes: int | None = None  # notebook runs at once (default: the cores)
    timeout: float | None = None  # seconds per notebook run (default: parameters)
    synthetic: bool | None = None  # force the 模擬データ mark (default: the snapshot says)

    @classmethod
    def of(cls, month: Month | str, out_root: str | Path | None = None, **options: Any) -> MonthRequest:
        """The request with ``month`` parsed (a CLI argument or a test's text)."""
        return cls(Month.parse(month), Path(out_root) if out_root is not None else None, **options)

    @property
    def out(self) -> Path:
        return month_dir(self.out_root, self.month)


@dataclass
class _Plan:
    """The month's notebook runs, planned before the month is issued."""

    codes: list[str]  # officers whose lists are rendered
    keep: set[str]  # lists of the current folder carried over unchanged (``--officer``)
    batches: list[dict[str, Any]]
    officer: str | None
    current: int  # the revision issued before this run (0: none)
    before: dict[str, Any]  # the files recorded for it
    notes: list[str] = field(default_factory=list)


def _plan(store: Store, req: MonthRequest, workers: int, list_runs: int | None) -> _Plan:
    """Withdraw a revision no file was ever written of, then plan the runs from the staff (under the lock)."""
    month, out, as_of = req.month, req.out, req.month.start
    notes: list[str] = []
    current = issued.current_revision(store, month)
    if current:
        recorded = issued.written_files(store, month, current)
        if recorded and all(sha is None for _name, sha in recorded.values()):
            # issued but no file ever written (a run that failed or was killed): nobody has these lists
            issued.withdraw_revision(store, month, current)
            notes.append(t("targets.month.withdrawn_unwritten", month=month, revision=current))
            current = issued.current_revision(store, month)
    before = issued.written_files(store, month, current) if current else {}
    expected = current + 1 if (req.reissue or not current) else current
    pattern = staging.list_file_pattern(month)
    listed = [p.name for p in out.glob("*") if pattern.match(p.name)] if out.is_dir() else []
    officer = req.officer
    if officer and listed and staging.folder_revision(out) != expected:
        notes.append(t("targets.month.all_lists_for_revision", revision=expected))
        officer = None  # the folder would mix revisions: every list of the new revision is rendered
    previous = issued.issued_sizes(store, month)
    codes = officer_codes(store, month, fresh=req.reissue)
    keep: set[str] = set()
    if officer:
        wanted = parse_officers(officer) or []
        unknown = [c for c in wanted if c not in codes]
        if unknown:
            raise UserError(t("targets.month.unknown_officer", code=",".join(unknown)), f"unknown officers {unknown}")
        codes = wanted
        keep = set(listed) - {file_name(month, c) for c in wanted}
    capacity = int(value("target_lists.officer_capacity", as_of))
    annual = value("target_lists.centre_annual", as_of)
    sizes = {c: previous.get(c, capacity) for c in codes}
    centre_rows = previous.get("_centre", math.ceil(sum(float(v) for v in annual.values()) / 12))
    batches = plan_jobs(codes, processes=list_runs or workers,
                        per_job=int(value("target_lists.run.officers_per_job", as_of)), centre=officer is None,
                        sizes=sizes, centre_rows=centre_rows)
    return _Plan(codes, keep, batches, officer, current, before, notes)


def _list_jobs(store: Store, month: Month, plan: _Plan, folder: Path) -> list[Job]:
    return [
        Job(
            name=NOTEBOOK,
            parameters={"month": str(month), "officer": ",".join(batch["officers"]) or "none",
                        "store": str(store.path), "out_dir": str(folder), "centre": batch["centre"]},
            out_dir=folder,
            output_name=f"target_lists_{month}_{i + 1:02d}",
            html=batch["centre"],
        )
        for i, batch in enumerate(plan.batches)
    ]


def _finish(store: Store, month: Month, plan: _Plan, stage: staging.Staging, issue: Any, lists_ok: bool,
            run_ok: bool) -> tuple[bool, str]:
    """Swap the staging folder in when every list was written; else keep the folder as it was and withdraw a
    revision this run issued (or restore the records of one re-rendered). Returns (ok, message)."""
    recorded = issued.written_files(store, month, issue.revision)
    targets = [c for c in recorded if plan.officer is None or c in plan.codes]
    missing = [c for c in targets if recorded[c][1] is None or not (stage.folder / file_name(month, c)).is_file()]
    if lists_ok and not missing:
        stage.commit(issue.revision, {c: str(recorded[c][1]) for c in recorded if recorded[c][1]})
        latest = month_snapshot(store, month)
        if not issue.newly_issued and issue.snapshot_id != latest:
            plan.notes.append(t("targets.month.newer_snapshot", revision=issue.revision, issued=issue.snapshot_id,
                                latest=latest))
        return run_ok, issue.message()
    stage.discard()
    shown = "、".join(missing[:10]) + ("…" if len(missing) > 10 else "")
    with issue_lock(store, month):
        if issue.newly_issued:
            issued.withdraw_revision(store, month, issue.revision)
            return False, t("targets.month.not_issued", month=month, revision=issue.revision, missing=len(missing),
                            lists=shown or "-")
        if issue.revision == plan.current:
            issued.restore_written(store, month, issue.revision, plan.before)
        return False, t("targets.month.rerender_failed", month=month, revision=issue.revision, missing=len(missing),
                        lists=shown or "-")


def run_month(
    store: Store,
    req: MonthRequest,
    *,
    other_jobs: Sequence[Job] | Callable[[Path], Sequence[Job]] = (),
    list_runs: int | None = None,
) -> MonthRun:
    """``kokuho-nb month run``: issue the month once, then render it through papermill; see module docstring.

    ``other_jobs`` (or a function of the folder they must write into: the month's staging folder) share the pool
    and start first, while the month is issued (``kokuho-nb month all``: the meeting pack and the exercise
    sheets); ``list_runs``: how many notebook runs the lists are split into (default: one per worker). ``runs``
    holds the other jobs' runs first, then the lists'.
    """
    began, cpu_began = time.perf_counter(), time.process_time()
    month = req.month
    workers = req.processes or os.cpu_count() or 1
    limit = float(req.timeout or value("target_lists.run.timeout_seconds", month.start))
    with issue_lock(store, month):
        # Plan the notebook runs from the staff list, start them, and issue while their kernels start: the
        # notebooks wait on the issue lock, then render what was issued (triage is computed once, here).
        plan = _plan(store, req, workers, list_runs)
        stage = staging.begin(req.out, month, keep_lists=plan.keep)
        try:
            others = list(other_jobs(stage.folder) if callable(other_jobs) else other_jobs)
        except BaseException:
            stage.discard()
            raise
        # The pool's workers are forked here, from this single thread, before the issue step allocates the
        # ledger (forking is then safe and cheap); they start their kernels while this process issues. They
        # inherit the staging folder's writer lock: it is free only when every writer is gone.
        pending = start_many(others + _list_jobs(store, month, plan, stage.folder), processes=workers,
                             timeout=limit)
        try:
            issue = issue_month(store, month, reissue=req.reissue, synthetic=req.synthetic, lock=False)
        except BaseException:
            pending.cancel()  # the notebooks would only wait for the lock and try again
            stage.discard()
            raise
        issued_at, cpu_issued = time.perf_counter(), time.process_time()
    try:
        summary = pending.wait()
    except BaseException:
        stage.discard()
        raise
    rendered = time.perf_counter()
    lists_ok = all(r.ok for r in summary.results[len(others):])
    ok, message = _finish(store, month, plan, stage, issue, lists_ok, summary.ok)
    return MonthRun(
        ok=ok, month=month, revision=issue.revision, newly_issued=issue.newly_issued and ok,
        issue="\n".join([*plan.notes, message]), out_dir=req.out,
        runs=[NotebookRun.of(r) for r in summary.results], run_message=summary.message(),
        seconds={"issue": round(issued_at - began, 2), "issue_cpu": round(cpu_issued - cpu_began, 2),
                 "notebooks": round(rendered - issued_at, 2)},
        processes=workers,
    )
