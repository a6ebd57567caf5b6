"""The whole month in one command (``kokuho-nb month all YYYY-MM``): every officer's list, the centre's and
the specialists' lists, the meeting pack (HTML, A4 PDF, workbook) and the month's OJT exercise sheets.

Everything runs as papermill notebook runs on one process pool sized to the cores
(:func:`kokuho_nb.runs.month_run.run_month` with ``other_jobs``):

- the meeting pack and the exercise sheets start first, while this process issues the month's lists (triage
  is computed once, here); the pack builds the sections that don't depend on the lists and then waits on the
  month's issue lock before reading them (:mod:`kokuho_nb.meeting.inputs`), so it always reports the lists
  issued by this run;
- the lists are rendered in ``cores - 1`` runs (one core keeps building the pack);
- failures are collected per run and reported together; the exit status is 1 when any run failed;
- every run writes into one staging folder that replaces ``<out>/YYYY-MM/`` when the lists are complete
  (:mod:`kokuho_nb.runs.staging`), so the folder never mixes revisions.

Outputs go to ``<out>/YYYY-MM/`` (lists, summary, pack) and ``<out>/YYYY-MM/training/`` (sheets).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from kokuho_nb.flowcharts.model import load
from kokuho_nb.labels import t
from kokuho_nb.meeting import output_names
from kokuho_nb.months import Month
from kokuho_nb.params import value
from kokuho_nb.runs.month_run import MonthRequest, MonthRun, month_dir, run_month
from kokuho_nb.runs.notebooks import Job, run_notebook
from kokuho_nb.store import Store
from kokuho_nb.training.exercises import level_spec

SHEETS_PARAMETER = "training.monthly_sheets"
#: How the pack's files are named to staff (the workbook is "Excel", not its extension).
PACK_LABELS = {"html": "HTML", "pdf": "PDF", "xlsx": "Excel"}
PACK_NOTEBOOK = "meeting_pack"
SHEET_NOTEBOOK = "exercise_sheet"


def sheet_seed(month: Month | str) -> int:
    """The sheets' question numbers for ``month`` (``2026-11`` → 202611): the same month gives the same sheets."""
    month = Month.parse(month)
    return month.year * 100 + month.month


def monthly_sheets(month: Month | str) -> list[dict[str, Any]]:
    """The sheets to print for ``month`` (``parameters/training/monthly_sheets.yaml``, value in force then)."""
    entries = list(value(SHEETS_PARAMETER, Month.parse(month).start) or [])
    out = []
    for entry in entries:
        flowchart = load(str(entry["flowchart"]))  # a clear Japanese error now, not in a notebook later
        spec = level_spec(str(entry["level"]))
        out.append({"flowchart": flowchart.id, "level": str(entry["level"]), "code": spec["code"],
                    "count": int(entry.get("count") or 10)})
    return out


def sheet_files(month: Month, folder: Path) -> list[Path]:
    """The PDFs the month's sheet runs write (sheet and answer key per entry; names as in
    :func:`kokuho_nb.training.sheet.write_sheets`)."""
    seed = sheet_seed(month)
    stems = [f"{e['flowchart']}_{e['code']}_s{seed}" for e in monthly_sheets(month)]
    return [folder / f"{kind}_{stem}.pdf" for stem in stems for kind in ("exercise", "answer_key")]


def pack_job(store: Store, month: Month, out: Path) -> Job:
    """The meeting pack's notebook run, writing into ``out`` (the month's folder)."""
    return Job(name=PACK_NOTEBOOK, parameters={"month": str(month), "store": str(store.path), "out_dir": str(out)},
               out_dir=out, output_name=f"meeting_{month}_notebook")


def run_pack(store: Store, month: Month, out_root: str | Path | None = None, *,
             timeout: float = 900) -> dict[str, Path]:
    """``kokuho-nb meeting build``: the pack's notebook for ``month``; returns the output paths."""
    out = month_dir(out_root, month)
    job = pack_job(store, month, out)
    run_notebook(job.name, job.parameters, out, timeout=timeout, output_name=job.output_name)
    return {k: out / v for k, v in output_names(month).items()}


def plan_other_jobs(store: Store, month: Month, out: Path, *, pack: bool = True, sheets: bool = True) -> list[Job]:
    """The meeting pack's run and one run per exercise sheet, in the order they should start."""
    jobs = []
    if pack:
        jobs.append(pack_job(store, month, out))
    if sheets:
        seed = sheet_seed(month)
        folder = out / "training"
        for entry in monthly_sheets(month):
            jobs.append(Job(
                name=SHEET_NOTEBOOK,
                parameters={"flowchart": entry["flowchart"], "level": entry["level"], "count": entry["count"],
                            "seed": seed, "out_dir": str(folder)},
                out_dir=folder, output_name=f"exercise_sheet_{entry['flowchart']}_{entry['code']}_s{seed}"))
    return jobs


def run_whole_month(store: Store, req: MonthRequest, *, pack: bool = True, sheets: bool = True) -> MonthRun:
    """``kokuho-nb month all``: lists, pack and sheets on one pool; see the module docstring.

    The month run's result (:class:`kokuho_nb.runs.month_run.MonthRun`) with ``pack`` (output paths), ``sheets``
    (output paths) and ``seconds["total"]``.
    """
    began = time.perf_counter()
    month, out = req.month, req.out
    workers = req.processes or os.cpu_count() or 1
    list_runs = max(1, workers - 1) if pack else workers

    def others(folder: Path) -> list[Job]:  # the runs write into the month's staging folder (swapped in at the end)
        return plan_other_jobs(store, month, folder, pack=pack, sheets=sheets)

    result = run_month(store, replace(req, processes=workers), other_jobs=others, list_runs=list_runs)
    result.pack = {k: out / v for k, v in output_names(month).items()} if pack else {}
    # this month's plan, not whatever else lies in the folder (sheets of an earlier plan, files of a failed run)
    result.sheets = [p for p in sheet_files(month, out / "training") if p.is_file()] if sheets else []
    result.seconds["total"] = round(time.perf_counter() - began, 2)
    result.finished_at = dt.datetime.now().isoformat(timespec="seconds")
    return result


def summary_lines(result: MonthRun) -> list[str]:
    """The Japanese lines ``kokuho-nb month all`` prints."""
    lines = [result.issue, result.run_message, t("targets.month.outputs", path=result.out_dir)]
    for kind, path in result.pack.items():
        if Path(path).exists():
            lines.append(t("targets.month.all_pack", kind=PACK_LABELS[kind], path=path))
    for path in result.sheets:
        key = "all_answer_key" if Path(path).name.startswith("answer_key_") else "all_sheet"
        lines.append(t(f"targets.month.{key}", path=path))
    lines.append(t("targets.month.all_done", seconds=result.seconds["total"]))
    return lines
