# kokuho-nb — the two commands ward staff and developers need: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint venv clean-outputs bench

$(STAMP): pyproject.toml
	bash scripts/system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (kokuho-nb)" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

## make demo: build the synthetic ward, import it, run the monthly products, print where outputs are.
## `make demo HOUSEHOLDS=3000` runs a small ward quickly.
demo: $(STAMP)
	$(BIN)/kokuho-nb demo $(if $(HOUSEHOLDS),--households $(HOUSEHOLDS))

## make test: lint (ruff, the floors' import contracts), house rules, and the whole test suite (browser tests
## included when Chromium is present).
test: $(STAMP) lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check kokuho_nb tests scripts
	$(BIN)/lint-imports --no-cache
	$(BIN)/python scripts/check_notebooks.py

# The issue-7 goals: the whole month and the Voilà pages (STORE=dir: an imported store, e.g. the demo's;
# without it bench_month generates and imports the default ward). Other benchmarks: scripts/bench_*.py.
bench: $(STAMP)
	$(BIN)/python scripts/bench_month.py --all $(if $(STORE),--store $(STORE),)
	$(BIN)/python scripts/bench_pages.py $(if $(STORE),--store $(STORE),)
