# Seamline: `make demo` runs the product on its embedded default; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: venv demo test lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Seamline needs Python 3.11+, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

## demo: set up (venv, database, demo login, Uphance sandbox) and run web + worker + beat; Ctrl-C stops all
demo: venv
	$(BIN)/python manage.py demo

## test: the import layers (lint-imports), then the whole suite; tests needing PostgreSQL, Redis or Chromium skip (saying why) where those are missing, never in CI
test: venv
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .

clean:
	rm -rf var/broker var/test-artifacts
