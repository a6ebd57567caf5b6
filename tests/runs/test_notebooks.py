"""The papermill runner: parameters, kernel name, cwd, HTML without code, failures, time-outs, the pool."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from kokuho_nb.runs import notebooks as runner
from kokuho_nb.runs.notebooks import Job, NotebookError, run_many, run_notebook


def _notebook(path: Path, parameters: str, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *[nbformat.v4.new_code_cell(c) for c in cells]]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("nbs")
    return {
        "echo": _notebook(
            folder / "echo.ipynb",
            "name = 'default'\ncount = 1",
            "from pathlib import Path\nPath('written.txt').write_text(f'{name}:{count}', encoding='utf-8')",
            "print('RESULT-' + name * count)",
        ),
        "boom": _notebook(folder / "boom.ipynb", "x = 1", "raise ValueError('壊れたデータ')"),
        "slow": _notebook(folder / "slow.ipynb", "seconds = 60", "import time\ntime.sleep(seconds)"),
    }


def test_run_notebook_injects_parameters_and_runs_in_the_output_folder(notebooks: dict[str, Path],
                                                                      tmp_path: Path) -> None:
    out = tmp_path / "out"
    executed = run_notebook(notebooks["echo"], {"name": "ab", "count": 2}, out)
    assert executed == out / "echo.ipynb"
    assert (out / "written.txt").read_text(encoding="utf-8") == "ab:2", "the kernel's cwd is the output folder"
    nb = nbformat.read(executed, as_version=4)
    assert nb.metadata["papermill"]["parameters"] == {"name": "ab", "count": 2}
    assert nb.metadata["kernelspec"]["name"] == runner.KERNEL_NAME
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert "RESULT-abab" in json.dumps(nb.cells[-1].outputs)


def test_html_has_outputs_but_no_code(notebooks: dict[str, Path], tmp_path: Path) -> None:
    executed = run_notebook(notebooks["echo"], {"name": "zz", "count": 3}, tmp_path, output_name="echo_T01",
                            html=True)
    assert executed.name == "echo_T01.ipynb"
    html = (tmp_path / "echo_T01.html").read_text(encoding="utf-8")
    assert "RESULT-zzzzzz" in html
    assert "write_text" not in html and "print(" not in html, "code cells must not be shown"


def test_failure_raises_japanese_error_and_keeps_the_executed_notebook(notebooks: dict[str, Path],
                                                                       tmp_path: Path) -> None:
    with pytest.raises(NotebookError) as info:
        run_notebook(notebooks["boom"], {}, tmp_path)
    assert "実行に失敗しました" in info.value.message and "壊れたデータ" in info.value.message
    assert info.value.exit_code != 0
    kept = nbformat.read(tmp_path / "boom.ipynb", as_version=4)
    assert "ValueError" in json.dumps(kept.cells[-1].outputs)


def test_timeout_stops_the_run_and_its_kernel(notebooks: dict[str, Path], tmp_path: Path) -> None:
    before = runner._kernel_children()
    with pytest.raises(NotebookError, match="制限時間"):
        run_notebook(notebooks["slow"], {"seconds": 120}, tmp_path, timeout=8)
    assert runner._kernel_children() - before == set(), "no kernel left running"


def test_unknown_notebook(tmp_path: Path) -> None:
    with pytest.raises(NotebookError, match="見つかりません"):
        run_notebook("no_such_notebook", {}, tmp_path)


def test_run_many_collects_every_failure_and_keeps_order(notebooks: dict[str, Path], tmp_path: Path) -> None:
    jobs = [
        Job(str(notebooks["echo"]), {"name": "a"}, tmp_path / "a", html=True),
        Job(str(notebooks["boom"]), {}, tmp_path / "b"),
        Job(str(notebooks["echo"]), {"name": "c"}, tmp_path / "c", output_name="echo_c"),
    ]
    summary = run_many(jobs, processes=2, timeout=120)
    assert not summary.ok
    assert [r.ok for r in summary.results] == [True, False, True]
    assert [r.job for r in summary.results] == jobs
    (failure,) = summary.failures
    assert failure.job.name.endswith("boom.ipynb") and "壊れたデータ" in (failure.error or "")
    assert failure.notebook == tmp_path / "b" / "boom.ipynb"
    assert (tmp_path / "a" / "written.txt").read_text(encoding="utf-8") == "a:1"
    assert summary.results[0].html == tmp_path / "a" / "echo.html" and summary.results[0].html.exists()
    assert (tmp_path / "c" / "echo_c.ipynb").exists()
    assert "1件失敗" in summary.message()


def test_run_many_with_nothing_to_do() -> None:
    summary = run_many([])
    assert summary.ok and summary.results == []


def test_notebooks_resolve_from_the_repository() -> None:
    for path in runner.list_notebooks():
        assert runner.notebook_path(path.stem if path.parent == runner.NOTEBOOKS_DIR else path) == path


def test_kernel_start_cost_is_measured() -> None:
    cost = runner.kernel_start_cost(repeat=1)
    assert 0 < cost < 120


def test_run_many_from_a_thread_as_in_a_voila_kernel(notebooks: dict[str, Path], tmp_path: Path) -> None:
    """A caller running threads can't fork safely: the pool then uses a fork server and still works."""
    import threading

    box: dict[str, runner.RunSummary] = {}
    thread = threading.Thread(target=lambda: box.update(
        summary=run_many([Job(str(notebooks["echo"]), {"name": "t"}, tmp_path)], processes=2, timeout=120)))
    thread.start()
    thread.join()
    assert box["summary"].ok, box["summary"].message()
    assert (tmp_path / "written.txt").read_text(encoding="utf-8") == "t:1"


def test_started_runs_go_on_while_the_caller_works_and_can_be_cancelled(notebooks: dict[str, Path],
                                                                          tmp_path: Path) -> None:
    """``start_many`` returns at once (the month run issues meanwhile); ``cancel`` stops runs that are no
    longer wanted (the issue failed) instead of leaving them to wait."""
    import time

    began = time.monotonic()
    pending = runner.start_many([Job(str(notebooks["echo"]), {"name": "s"}, tmp_path / "a")], processes=2,
                                timeout=120)
    assert time.monotonic() - began < 10  # returned without waiting for the kernel
    summary = pending.wait()
    assert summary.ok and (tmp_path / "a" / "written.txt").read_text(encoding="utf-8") == "s:1"

    slow = runner.start_many([Job(str(notebooks["slow"]), {"seconds": 60}, tmp_path / "b")] * 2, processes=2,
                             timeout=120)
    time.sleep(1)
    began = time.monotonic()
    slow.cancel()
    assert slow.wait().results == []
    assert time.monotonic() - began < 10
