# The commands of README.md: `make demo`, `make ui` and `make test`. Each sets up .venv first, with only
# what it needs: the demo and the UI the package itself, the tests also pytest and the PostgreSQL driver.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)/.dagster_home

.PHONY: demo test ui setup gnupg

setup: $(VENV)/.demo-deps

$(BIN)/python:
	@echo "creating the virtualenv $(VENV) ..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo-deps: pyproject.toml | $(BIN)/python
	@command -v gpg >/dev/null && command -v gpgconf >/dev/null || $(MAKE) --no-print-directory gnupg
	@echo "installing episerver-assets and what the demo needs into $(VENV) (first time only, a minute or two) ..."
	@$(BIN)/python -m pip install --quiet -e .
	@touch $@

# PGP-encrypted files go through GnuPG: Debian's gnupg package (as root, or say how to get it).
gnupg:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing GnuPG (Debian's gnupg package) ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnupg >/dev/null; \
	else echo "GnuPG is missing: install it with 'sudo apt-get install gnupg' (or your system's gnupg package)"; exit 1; fi

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
