# onwatch: two commands to get going (`make run`, `make test`); see README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv 2>/dev/null || echo $(BIN)/uv)
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
POLICY ?= examples/onwatch.yaml
DB ?= sqlite:///./onwatch.db
LISTEN ?= 127.0.0.1:8080
DEMO_DB ?= sqlite:///./onwatch-demo.db
LINTED := $(wildcard src tests bench)

.PHONY: run check-example test lint typecheck pytest bench lock clean install dev help

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# uv comes from pip when the machine has none.
$(BIN)/uv: | $(BIN)/python
	@command -v uv >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet uv

# A current dev install holds everything `run` needs: keep it rather than strip the tools.
$(STAMP_RUN): requirements.lock pyproject.toml | $(BIN)/uv
	@if [ -f $(STAMP_DEV) ] && [ $(STAMP_DEV) -nt requirements-dev.lock ] && [ $(STAMP_DEV) -nt pyproject.toml ]; then \
		echo "using the dev install in $(VENV)"; \
	else \
		$(UV) pip sync --python $(BIN)/python requirements.lock && \
		$(UV) pip install --python $(BIN)/python --no-deps -e . && \
		rm -f $(STAMP_DEV); \
	fi
	@touch $@

$(STAMP_DEV): requirements-dev.lock pyproject.toml | $(BIN)/uv
	$(UV) pip sync --python $(BIN)/python requirements-dev.lock
	$(UV) pip install --python $(BIN)/python --no-deps -e .
	@touch $@

install: $(STAMP_RUN)  ## install onwatch into .venv from requirements.lock
dev: $(STAMP_DEV)  ## install onwatch and the dev tools into .venv

run: $(STAMP_RUN)  ## install and start the demo (a small shop, watched): dashboard on LISTEN, 127.0.0.1:8080
	$(BIN)/onwatch demo --listen $(LISTEN) --db $(DEMO_DB)

check-example: $(STAMP_RUN)  ## check the example policy, prepare the database, show the settings
	$(BIN)/onwatch check $(POLICY)
	$(BIN)/onwatch db migrate --db $(DB)
	$(BIN)/onwatch db status --db $(DB)
	$(BIN)/onwatch settings

lint: $(STAMP_DEV)  ## ruff
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

typecheck: $(STAMP_DEV)  ## mypy strict on the package
	$(BIN)/mypy

pytest: $(STAMP_DEV)  ## the test suite (SQLite and a throwaway PostgreSQL)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest  ## everything CI runs

bench: $(STAMP_DEV)  ## benchmarks that print figures (record them in BENCHMARKS.md)
	$(BIN)/python bench/store.py
	$(BIN)/python bench/probes.py
	$(BIN)/python bench/dashboard.py

lock:  ## re-pin the lock files from pyproject.toml (no package host is recorded)
	$(UV) pip compile pyproject.toml -o requirements.lock --no-header --no-annotate
	$(UV) pip compile pyproject.toml --extra dev -o requirements-dev.lock --no-header --no-annotate

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
