"""Run the suite's parameterised notebooks with papermill (notebooker / cal-itp style).

- :func:`run_notebook` executes one notebook from ``notebooks/`` with its parameters, always with an explicit
  ``kernel_name``, with the working directory set to the output folder; the executed notebook is kept beside
  the outputs it wrote, and an HTML rendering without code is written when asked.
- :func:`run_many` fans a list of :class:`Job` out over a process pool sized to the cores, with a time limit
  per run, and returns a :class:`RunSummary` holding every failure with its notebook and error. Deciding the
  exit status is the caller's job (``0 if summary.ok else 1``). :func:`start_many` starts the same runs and
  returns at once (:class:`PendingRun`), so the caller can work while the kernels start.
- :func:`kernel_start_cost` measures the bare cost of one papermill run of an empty notebook (kernel start and
  shutdown), the yardstick of the benchmarks.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing as mp
import os
import signal
import statistics
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kokuho_nb.errors import UserError
from kokuho_nb.labels import t
from kokuho_nb.params import REPO_ROOT

log = logging.getLogger(__name__)

KERNEL_NAME = "python3"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
DEFAULT_TIMEOUT = 600


class NotebookError(UserError):
    """A notebook run that failed (an error in a cell, a time-out, a missing notebook)."""

    exit_code = 1


class RunTimeout(Exception):
    """Raised inside a run when its wall-clock limit is reached."""


@dataclass(frozen=True)
class Job:
    """One notebook run: ``name`` in ``notebooks/`` (or a path), its parameters and its output folder.

    ``output_name`` names the executed notebook and HTML (default: the notebook's own name), so that one
    notebook can run once per officer into the same folder.
    """

    name: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    out_dir: Path | str = "."
    output_name: str | None = None
    html: bool = False


@dataclass
class RunResult:
    job: Job
    ok: bool
    notebook: Path | None = None
    html: Path | None = None
    error: str | None = None
    seconds: float = 0.0


@dataclass
class RunSummary:
    results: list[RunResult]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failures(self) -> list[RunResult]:
        return [r for r in self.results if not r.ok]

    def message(self) -> str:
        """A Japanese one-line summary, then one line per failure."""
        lines = [t("cases.run_summary", total=len(self.results), ok=len(self.results) - len(self.failures),
                   failed=len(self.failures))]
        lines += [f"  {r.job.output_name or r.job.name}: {r.error}" for r in self.failures]
        return "\n".join(lines)


# --- notebooks ---------------------------------------------------------------------------------------------


def list_notebooks() -> list[Path]:
    """Every notebook of the suite (``notebooks/**/*.ipynb``, checkpoints excluded), sorted."""
    return sorted(p for p in NOTEBOOKS_DIR.glob("**/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def notebook_path(name: str | Path) -> Path:
    """Resolve ``name`` (``"monthly_targets"``, ``"monthly_targets.ipynb"``, a sub-path, or a path)."""
    path = Path(name)
    if path.suffix != ".ipynb":
        path = path.with_name(path.name + ".ipynb")
    for candidate in (path, NOTEBOOKS_DIR / path):
        if candidate.is_file():
            return candidate.resolve()
    raise NotebookError(t("cases.notebook_not_found", name=str(name), folder=str(NOTEBOOKS_DIR)),
                        f"notebook {name} not found")


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    return value


# --- one run -----------------------------------------------------------------------------------------------


def run_notebook(
    name: str | Path,
    parameters: Mapping[str, Any],
    out_dir: str | Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    kernel_name: str = KERNEL_NAME,
    output_name: str | None = None,
    html: bool = False,
    cwd: str | Path | None = None,
) -> Path:
    """Execute notebook ``name`` with ``parameters``; returns the executed notebook's path.

    The executed notebook is written to ``out_dir/<output_name or notebook name>.ipynb`` (also when a cell
    fails, with the error in it), the kernel runs in ``cwd`` (default ``out_dir``), and with ``html=True`` an
    HTML rendering without code is written beside it. ``timeout`` (seconds) limits the whole run. Raises
    :class:`NotebookError` (Japanese message) when the notebook fails or runs out of time.
    """
    import papermill as pm

    source = notebook_path(name)
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    stem = output_name or source.stem
    executed = out / f"{stem}.ipynb"
    label = str(output_name or source.stem)
    started = time.monotonic()
    kernels_before = _kernel_children()
    try:
        with _deadline(timeout):
            pm.execute_notebook(
                str(source),
                str(executed),
                parameters=_jsonable(dict(parameters)),
                kernel_name=kernel_name,
                cwd=str(Path(cwd).resolve() if cwd else out),
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                execution_timeout=int(timeout),
            )
    except RunTimeout as exc:
        _kill_kernels(_kernel_children() - kernels_before)
        raise NotebookError(t("cases.notebook_timeout", name=label, seconds=int(timeout)),
                            f"{source.name} timed out after {timeout}s") from exc
    except pm.PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}"
        raise NotebookError(t("cases.notebook_failed", name=label, error=error),
                            f"{source.name} failed in cell {exc.exec_count}: {error}") from exc
    except Exception as exc:
        if "timed out" in str(exc).lower() or type(exc).__name__ == "CellTimeoutError":
            raise NotebookError(t("cases.notebook_timeout", name=label, seconds=int(timeout)),
                                f"{source.name}: {exc}") from exc
        raise NotebookError(t("cases.notebook_failed", name=label, error=f"{type(exc).__name__}: {exc}"),
                            f"{source.name}: {exc!r}") from exc
    log.info("ran %s in %.1fs -> %s", source.name, time.monotonic() - started, executed)
    if html:
        to_html(executed)
    return executed


def to_html(executed: str | Path, html_path: str | Path | None = None) -> Path:
    """Render an executed notebook as HTML without code cells or prompts; returns the HTML path."""
    import nbformat
    from nbconvert import HTMLExporter

    executed = Path(executed)
    target = Path(html_path) if html_path else executed.with_suffix(".html")
    nb = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": executed.stem}})
    target.write_text(body, encoding="utf-8")
    return target


class _deadline:
    """Raise :class:`RunTimeout` in the main thread after ``seconds`` (no-op elsewhere or without SIGALRM)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.active = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()

    def _fire(self, signum: int, frame: Any) -> None:
        raise RunTimeout

    def __enter__(self) -> _deadline:
        if self.active:
            self.previous = signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, max(self.seconds, 0.001))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


def _kernel_children() -> set[int]:
    """Pids of kernel processes (``ipykernel``) whose parent is this process (Linux ``/proc``; else empty)."""
    me, found = os.getpid(), set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != me:  # field 4 of /proc/PID/stat: the parent pid
                continue
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if b"ipykernel" in cmdline:
            found.add(int(stat.parent.name))
    return found


def _kill_kernels(pids: set[int]) -> None:
    """After a time-out, stop the kernels the run started and could not shut down itself."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
            log.warning("killed kernel process %d after a time-out", pid)
        except OSError:
            pass


# --- many runs ---------------------------------------------------------------------------------------------


def _run_job(job: Job, timeout: float, kernel_name: str) -> RunResult:
    started = time.monotonic()
    try:
        executed = run_notebook(job.name, job.parameters, job.out_dir, timeout=timeout, kernel_name=kernel_name,
                                output_name=job.output_name, html=job.html)
    except UserError as exc:
        return RunResult(job, False, _existing(job), None, exc.message, time.monotonic() - started)
    except BaseException as exc:  # noqa: BLE001 - every failure is collected, none stops the others
        return RunResult(job, False, _existing(job), None, f"{type(exc).__name__}: {exc}",
                         time.monotonic() - started)
    html = executed.with_suffix(".html") if job.html else None
    return RunResult(job, True, executed, html, None, time.monotonic() - started)


def _existing(job: Job) -> Path | None:
    stem = job.output_name or Path(str(job.name)).name.removesuffix(".ipynb")
    path = Path(job.out_dir).resolve() / f"{stem}.ipynb"
    return path if path.exists() else None


class PendingRun:
    """Notebook runs started on a process pool (:func:`start_many`); :meth:`wait` collects every result.

    Starting forks the pool's workers at once, from the calling thread; the caller may then do other work
    (``kokuho-nb month run`` issues the month) while the notebooks' kernels start.
    """

    def __init__(self, jobs: Sequence[Job], processes: int | None, timeout: float, kernel_name: str) -> None:
        self.jobs, self.timeout, self.kernel_name = list(jobs), timeout, kernel_name
        self.started = time.monotonic()
        self.workers = max(1, min(processes or os.cpu_count() or 1, len(self.jobs) or 1))
        self.pool: ProcessPoolExecutor | None = None
        self.futures: list[Any] = []
        if self.jobs and not (self.workers == 1 and threading.current_thread() is threading.main_thread()):
            self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_pool_context())
            self.futures = [self.pool.submit(_run_job, job, timeout, kernel_name) for job in self.jobs]

    def cancel(self) -> None:
        """Stop the runs (the caller failed before waiting): workers are terminated, queued runs dropped;
        their kernels exit when they see their parent gone."""
        if self.pool is not None:
            for process in list(getattr(self.pool, "_processes", {}).values()):
                process.terminate()
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
        self.jobs, self.futures = [], []

    def wait(self) -> RunSummary:
        """Block until every run has finished (or hung past its limit); results in the order of the jobs."""
        job_list, timeout, workers = self.jobs, self.timeout, self.workers
        if not job_list:
            return RunSummary([], 0.0)
        if self.pool is None:  # one worker in the main thread: run here, one after another
            results = [_run_job(job, timeout, self.kernel_name) for job in job_list]
            return RunSummary(results, time.monotonic() - self.started)
        out: list[RunResult | None] = [None] * len(job_list)
        hung = False
        try:
            # a worker enforces its own limit; this backstop only catches a worker that hangs outright
            backstop = timeout * (len(job_list) / workers + 1) + 120
            for i, future in enumerate(self.futures):
                try:
                    out[i] = future.result(timeout=max(backstop - (time.monotonic() - self.started), 1))
                except FutureTimeout:
                    hung = True
                    out[i] = RunResult(job_list[i], False, None, None,
                                       t("cases.notebook_timeout", name=job_list[i].name, seconds=int(timeout)))
                except BrokenProcessPool as exc:
                    out[i] = RunResult(job_list[i], False, None, None, f"BrokenProcessPool: {exc}")
        finally:
            if hung:  # the executor has no public way to stop a stuck worker
                for process in list(getattr(self.pool, "_processes", {}).values()):
                    process.terminate()
            self.pool.shutdown(wait=not hung, cancel_futures=True)
        return RunSummary([r for r in out if r is not None], time.monotonic() - self.started)


def start_many(
    jobs: Iterable[Job],
    processes: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    *,
    kernel_name: str = KERNEL_NAME,
) -> PendingRun:
    """Start ``jobs`` on a pool of ``processes`` (default: the number of cores) and return at once; see
    :func:`run_many`. With one worker in the main thread nothing starts until :meth:`PendingRun.wait`."""
    import papermill  # noqa: F401 - imported once here, inherited by forked workers

    return PendingRun(list(jobs), processes, timeout, kernel_name)


def run_many(
    jobs: Iterable[Job],
    processes: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    *,
    kernel_name: str = KERNEL_NAME,
) -> RunSummary:
    """Run ``jobs`` on a pool of ``processes`` (default: the number of cores); collect every result.

    Each run has ``timeout`` seconds; a failing or timed-out run is recorded and the others go on. Results
    are in the order of ``jobs``.
    """
    return start_many(jobs, processes, timeout, kernel_name=kernel_name).wait()


def _pool_context() -> mp.context.BaseContext:
    """``fork`` from a single-threaded caller (the CLI, a benchmark: workers start at once, with papermill
    already imported); ``forkserver`` when the caller runs threads (a Voilà kernel), where forking is unsafe."""
    if threading.active_count() == 1 and "fork" in mp.get_all_start_methods():
        return mp.get_context("fork")
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["kokuho_nb.runs.notebooks", "papermill", "nbclient", "nbconvert"])  # imported once
    return ctx


def run_jobs_or_raise(jobs: Sequence[Job], processes: int | None = None,
                      timeout: float = DEFAULT_TIMEOUT) -> RunSummary:
    """:func:`run_many`, raising :class:`NotebookError` with the summary when any run failed."""
    summary = run_many(jobs, processes=processes, timeout=timeout)
    if not summary.ok:
        raise NotebookError(summary.message(), f"{len(summary.failures)} notebook run(s) failed")
    return summary


# --- benchmarks --------------------------------------------------------------------------------------------


def kernel_start_cost(repeat: int = 3, *, kernel_name: str = KERNEL_NAME) -> float:
    """Median seconds of one papermill run of a one-cell notebook: the bare cost of starting a kernel."""
    import nbformat
    import papermill as pm

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nb.metadata["kernelspec"] = {"name": kernel_name, "display_name": "Python 3", "language": "python"}
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "empty.ipynb"
        nbformat.write(nb, src)
        for _ in range(max(1, repeat)):
            began = time.perf_counter()
            pm.execute_notebook(str(src), str(Path(tmp) / "out.ipynb"), parameters={"x": 2},
                                kernel_name=kernel_name, cwd=tmp, progress_bar=False)
            times.append(time.perf_counter() - began)
    return statistics.median(times)
