# The commands of README.md: `make demo`, `make ui` and `make test`. Each sets up .venv first, with only
# what it needs: the demo and the UI the package itself, the tests also pytest and the PostgreSQL driver.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)/.dagster_home

.PHONY: demo test ui setup

setup: $(VENV)/.demo-deps

$(BIN)/python:
	@echo "creating the virtualenv $(VENV) ..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo-deps: pyproject.toml | $(BIN)/python
	@echo "installing episerver-assets and what the demo needs into $(VENV) (first time only, a minute or two) ..."
	@$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.test-deps: pyproject.toml $(VENV)/.demo-deps
	@echo "installing the test tools and the PostgreSQL driver into $(VENV) ..."
	@$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	@cp dagster.yaml $@

demo: $(VENV)/.demo-deps $(DAGSTER_HOME)/dagster.yaml
	@$(BIN)/episerver-assets demo

test: $(VENV)/.test-deps
	$(BIN)/pytest

# The pool limits of episerver_assets/pools.py, then the UI (dagster dev reads .env, where the demo
# leaves its first day as EPISERVER_CLOSED_LOOP_START_DATE).
ui: $(VENV)/.demo-deps $(DAGSTER_HOME)/dagster.yaml
	@$(BIN)/episerver-assets pools
	$(BIN)/dagster dev -w workspace.yaml
