"""The notebooker-style sanity test: every notebook in ``notebooks/`` is held to the same bar.

Each one has a cell tagged ``parameters`` declaring ``store``, kernelspec ``python3``, no committed outputs,
and it executes with papermill (explicit ``kernel_name``, through :mod:`kokuho_nb.runner`) on the small
synthetic store and converts to HTML. Other parameters keep the notebook's own defaults, except ``month``
(the small store's month) and output folders (a temporary folder, never the repository's ``outputs/``).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from kokuho_nb.runs import notebooks as runner
from tests.conftest import SMALL_AS_OF

NOTEBOOKS = runner.list_notebooks()
STORE_MONTH = SMALL_AS_OF.strftime("%Y-%m")  # the month of the small store
OUTPUT_PARAMETERS = ("out_dir", "outputs", "out")
#: Notebooks that exist to fail (test-only pages); the error they must raise.
EXPECTED_ERRORS = {"pages/_error_probe": "deliberate failure"}
#: Per-notebook overrides of its own defaults, when a default does not fit the small store.
OVERRIDES: dict[str, dict[str, object]] = {}


def _id(path: Path) -> str:
    return path.relative_to(runner.NOTEBOOKS_DIR).with_suffix("").as_posix()


def test_the_suite_has_notebooks() -> None:
    assert NOTEBOOKS, "notebooks/ holds no notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_is_well_formed(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == runner.KERNEL_NAME
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert tagged[0].cell_type == "code"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, f"cell {i} has outputs"
    assert "store" in pm.inspect_notebook(str(path)), (
        "papermill finds no `store` in the parameters cell (note: papermill cannot parse a parameter line "
        "whose comment contains '=')")


def _parameters(path: Path, store: Path, out: Path) -> dict[str, object]:
    declared = pm.inspect_notebook(str(path))
    params: dict[str, object] = {"store": str(store)}
    if "month" in declared:
        params["month"] = STORE_MONTH
    for name in OUTPUT_PARAMETERS:
        if name in declared:
            params[name] = str(out)
    params.update(OVERRIDES.get(_id(path), {}))
    return params


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_executes_on_the_small_store(path: Path, small_store: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    # pages read the store from the environment as `kokuho-nb serve` sets it; outputs never go to the repo
    monkeypatch.setenv("KOKUHO_STORE", str(small_store))
    monkeypatch.setenv("KOKUHO_OUTPUTS", str(tmp_path / "outputs"))
    params = _parameters(path, small_store, out)
    expected_error = EXPECTED_ERRORS.get(_id(path))
    if expected_error:
        with pytest.raises(runner.NotebookError, match=expected_error):
            runner.run_notebook(path, params, out, timeout=300)
        return
    executed = runner.run_notebook(path, params, out, timeout=300, html=True,
                                   kernel_name=runner.KERNEL_NAME)
    nb = nbformat.read(executed, as_version=4)
    assert nb.metadata["papermill"]["parameters"]["store"] == str(small_store)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, json.dumps(errors, ensure_ascii=False)[:2000]
    html = executed.with_suffix(".html").read_text(encoding="utf-8")
    assert "<html" in html.lower()
