# Reconnect Lab: `make lab` to learn, `make test` to check everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LAB_ARGS ?=
PYTEST_ARGS ?=
# Four workers on two cores: while one waits on a kernel, a socket or a browser, another computes.
# Tests that share a costly fixture (a graded class, a JupyterLab) stay in one worker, so that
# it is made once (tests/conftest.py groups them); all others go to whichever worker is free.
JOBS ?= 4
# The suite starts well over a hundred Python processes (kernels, the grader's workers); where
# the environment asks for no bytecode to be written, each would compile the course's modules
# anew (half a CPU-second each). The suite's __pycache__ folders are ignored by git.
unexport PYTHONDONTWRITEBYTECODE
# The suite's Hypothesis profile (tests/conftest.py): no deadline, so a busy machine cannot
# fail an example that a quiet one passes.
export HYPOTHESIS_PROFILE ?= suite
# make stress-test: the load stress-ng puts on the cores while the suite runs, and its bound.
STRESS_ARGS ?= --cpu 2 --cpu-load 50
STRESS_TIMEOUT ?= 900
# make soak: runs of each lesson (SOAK_LESSONS: some of them, such as 05_health_monitor).
SOAK_RUNS ?= 10
SOAK_LESSONS ?=
SOAK_TIMEOUT ?= 3600
# make mutation: some tasks only (task1 ... task4); all when empty.
MUTATION_TASKS ?=
# make lab LANG=ru opens the Russian edition's lesson 1. LANG is also the locale variable
# (ru_RU.UTF-8, en_US.UTF-8): its language part counts, so a Russian desktop opens the Russian
# edition and any other opens the English one (make lab LANG=en for English on a Russian one).
LAB_LANGUAGE := $(if $(filter ru ru_% ru.% ru@%,$(LANG)),ru,en)
LAB_NOTEBOOK := notebooks/$(if $(filter ru,$(LAB_LANGUAGE)),ru/)01_simple_retry.ipynb
# A bare "ru" or "en" is no locale: JupyterLab gets C.UTF-8 instead.
LAB_LOCALE := $(if $(filter ru en,$(LANG)),LANG=C.UTF-8)
# JupyterLab refuses to run as root (a container, a hand-built image) unless told it may.
ROOT_ARGS := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help lab translations test test-random stress-test soak lint bench classroom clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

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

# The hub on top of the test tools: pyproject.toml's `hub` extra, and configurable-http-proxy
# (the hub's proxy, a node program) from npm into .venv/chp.
$(VENV)/.hub-installed: $(VENV)/.test-installed
	$(BIN)/python -m pip install --quiet -e '.[hub]'
	@command -v npm >/dev/null || { echo "make classroom needs node and npm" \
		"(Debian: apt-get install nodejs npm)"; exit 1; }
	npm install --silent --no-audit --no-fund --prefix $(VENV)/chp configurable-http-proxy@5
	touch $@

lab: $(VENV)/.lab-installed  ## create .venv, install the course, open JupyterLab (LANG=ru: in Russian)
	@if [ -n "$(ROOT_ARGS)" ]; then \
		echo "make lab: running as root, so JupyterLab is started with --allow-root"; fi
	@echo "make lab: if no browser opens, open the URL with its ?token= that JupyterLab prints below"
	@echo "make lab: lesson 1 in $(if $(filter ru,$(LAB_LANGUAGE)),Russian,English)" \
		"($(LAB_NOTEBOOK); make lab LANG=ru or LANG=en chooses)"
	$(LAB_LOCALE) $(BIN)/jupyter lab $(ROOT_ARGS) --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url=/lab/tree/$(LAB_NOTEBOOK) $(LAB_ARGS)

translations: $(VENV)/.lab-installed  ## catalogs updated from the English, Russian notebooks regenerated
	$(BIN)/python -m lessonlib.translation

# The mutation tools on top of the test tools (pyproject.toml's `mutation` extra).
$(VENV)/.mutation-installed: $(VENV)/.test-installed
	$(BIN)/python -m pip install --quiet -e '.[mutation]'
	touch $@

mutation: $(VENV)/.mutation-installed  ## each check against mutants of its reference (slow)
	$(BIN)/python scripts/mutation.py $(MUTATION_TASKS)

lint: $(VENV)/.test-installed  ## ruff on the library, tests, benchmarks and notebooks
	$(BIN)/ruff check lessonlib tests bench scripts notebooks exercises
	$(BIN)/ruff format --check lessonlib tests bench scripts notebooks exercises

test: lint  ## create .venv if needed, install, run ruff and the whole test suite
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup $(PYTEST_ARGS)

stress-test: $(VENV)/.test-installed  ## make test while stress-ng keeps both cores 50% busy
	@command -v stress-ng >/dev/null || { echo "make stress-test needs stress-ng" \
		"(Debian: apt-get install stress-ng)"; exit 1; }
	@echo "make stress-test: stress-ng $(STRESS_ARGS) --timeout $(STRESS_TIMEOUT) during make test"
	@stress-ng $(STRESS_ARGS) --timeout $(STRESS_TIMEOUT) --quiet & stress=$$!; \
	trap 'kill $$stress 2>/dev/null' INT TERM; \
	$(MAKE) --no-print-directory test; status=$$?; \
	kill $$stress 2>/dev/null; wait $$stress 2>/dev/null; exit $$status

soak: $(VENV)/.test-installed  ## each lesson SOAK_RUNS times headless under stress-ng, story checked
	@command -v stress-ng >/dev/null || { echo "make soak needs stress-ng" \
		"(Debian: apt-get install stress-ng)"; exit 1; }
	@echo "make soak: stress-ng $(STRESS_ARGS), $(SOAK_RUNS) headless runs of each lesson"
	@stress-ng $(STRESS_ARGS) --timeout $(SOAK_TIMEOUT) --quiet & stress=$$!; \
	trap 'kill $$stress 2>/dev/null' INT TERM; \
	$(BIN)/python scripts/soak.py --runs $(SOAK_RUNS) $(SOAK_LESSONS); status=$$?; \
	kill $$stress 2>/dev/null; wait $$stress 2>/dev/null; exit $$status

student-edition: $(VENV)/.lab-installed  ## the course without solutions, into DIR=folder
	@test -n "$(DIR)" || { echo "make student-edition DIR=folder (a new or empty folder)"; exit 2; }
	$(BIN)/python -m lessonlib.release "$(DIR)"

stress-grade: $(VENV)/.test-installed  ## the reference solutions graded while stress-ng keeps the cores busy
	@command -v stress-ng >/dev/null || { echo "make stress-grade needs stress-ng"; exit 1; }
	@stress-ng $(STRESS_ARGS) --timeout $(STRESS_TIMEOUT) --quiet & stress=$$!; \
	trap 'kill $$stress 2>/dev/null' INT TERM; \
	$(BIN)/python bench/grade_class.py --stressed; status=$$?; \
	kill $$stress 2>/dev/null; wait $$stress 2>/dev/null; exit $$status

bench: $(VENV)/.test-installed  ## run every benchmark (figures are ratios to a same-run baseline)
	@for script in bench/[!_]*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

classroom: $(VENV)/.hub-installed  ## a class of eight on a real JupyterHub (tests/classroom)
	RECONNECT_LAB_CLASSROOM=1 $(BIN)/python -m pytest tests/classroom $(PYTEST_ARGS)

clean:  ## remove .venv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis artifacts
