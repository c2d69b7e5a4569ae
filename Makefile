# Seamline: `make demo` runs the product on its embedded default; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: venv demo test lint bench clean vendor-echarts

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

## vendor-echarts: refresh Apache ECharts in static/vendor/echarts/ from npm at the pinned version (no CDN)
ECHARTS_VERSION ?= 6.1.0
ECHARTS_DIR := static/vendor/echarts
vendor-echarts:
	@tmp=$$(mktemp -d) && \
	  (cd $$tmp && npm pack --silent echarts@$(ECHARTS_VERSION) >/dev/null && tar -xzf echarts-$(ECHARTS_VERSION).tgz) && \
	  mkdir -p $(ECHARTS_DIR) && \
	  cp $$tmp/package/dist/echarts.min.js $$tmp/package/LICENSE $$tmp/package/NOTICE $(ECHARTS_DIR)/ && \
	  echo "echarts $(ECHARTS_VERSION) from npm (dist/echarts.min.js, Apache-2.0)" > $(ECHARTS_DIR)/VERSION && \
	  (cd $(ECHARTS_DIR) && sha256sum echarts.min.js >> VERSION) && \
	  rm -rf $$tmp && cat $(ECHARTS_DIR)/VERSION
