# Reconnect Lab: `make lab` to learn, `make test` to check everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LAB_ARGS ?=
PYTEST_ARGS ?=
# Tests wait on kernels, sockets and browsers more than on the CPU: four files at once on two
# cores (a file's tests share one process, so a module's costly fixture is made once).
JOBS ?= 4

.PHONY: help lab test lint bench clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The notebook environment (requirements.txt), reinstalled only when it changes.
$(VENV)/.lab-installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# The test tools on top of it (pyproject.toml's `test` extra).
$(VENV)/.test-installed: $(VENV)/.lab-installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

lab: $(VENV)/.lab-installed  ## create .venv, install the course, open JupyterLab
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url=/lab/tree/notebooks/01_simple_retry.ipynb $(LAB_ARGS)

lint: $(VENV)/.test-installed  ## ruff on the library, tests, benchmarks and notebooks
	$(BIN)/ruff check lessonlib tests bench notebooks exercises
	$(BIN)/ruff format --check lessonlib tests bench notebooks exercises

test: lint  ## create .venv if needed, install, run ruff and the whole test suite
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile $(PYTEST_ARGS)

bench: $(VENV)/.test-installed  ## run every benchmark (figures are ratios to a same-run baseline)
	@for script in bench/[!_]*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:  ## remove .venv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis artifacts
