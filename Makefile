# The Makefile is the interface: every install and run step lives here, never only in a shell history.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HNPLUS_DATA_DIR ?= $(CURDIR)/data

.PHONY: help install site-vendor run test lint sql-lint fmt airflow airflow-smoke bench lock browser libreoffice pdf-tools clean

help:
	@echo "make run    - install into .venv and run the nightly DAG on the bundled sample data (python -m tools.demo)"
	@echo "make test   - lint + the whole test suite (what CI runs)"
	@echo "make airflow - airflow standalone on localhost with the project's DAGs"
	@echo "make bench  - benchmarks (results under data/bench/)"

$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip==26.*" "setuptools>=68" wheel
	# echarts-china-provinces-pypkg ships only an sdist whose build needs its helper present: no build isolation
	$(BIN)/pip install -q --no-build-isolation -c requirements/constraints.txt \
		pyecharts-jupyter-installer==0.0.3 echarts-china-provinces-pypkg==0.0.3
	$(BIN)/pip install -q -c requirements/constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) site-vendor

# ECharts for the static site, from the npm registry (the page loads nothing from a CDN).
site-vendor:
	@mkdir -p .cache/npm; ls .cache/npm/echarts-5.*.tgz >/dev/null 2>&1 || (cd .cache/npm && npm pack --silent echarts@5.6.0 >/dev/null)

# The demo: synthetic samples into an empty inbox, the local portal on loopback, then `hnplus run` (tools/demo).
run: install
	$(BIN)/python -m tools.demo

test: install browser libreoffice pdf-tools
	$(BIN)/ruff check .
	$(BIN)/sqlfluff lint sql --disable-progress-bar
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/sqlfluff lint sql --disable-progress-bar

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/sqlfluff fix sql --disable-progress-bar

airflow: install
	$(BIN)/hnplus airflow-standalone

# Starts airflow standalone on loopback, triggers the nightly DAG over the REST API and waits for success (2-3 min).
airflow-smoke: install
	$(BIN)/python -m tools.airflow.smoke

bench: install
	$(BIN)/python -m tools.bench

# Headless Chromium for the web-page tests (Debian package; Playwright's own browser download is not reachable here).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null)

# LibreOffice headless (Debian's calc package without the GUI): the intake corpus converts its own files to
# .ods/.xlsx/.csv (tests/intake/corpus_lo.py), and the workbook tests print the workbook to PDF as an office would.
libreoffice:
	@command -v soffice >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui >/dev/null)

# poppler-utils (pdftotext, pdftoppm) read the printed workbook and the bulletin back in the tests.
pdf-tools:
	@command -v pdftotext >/dev/null || (apt-get update -qq && apt-get install -y -qq poppler-utils >/dev/null)

# Re-resolve and pin every dependency (needs the package registry).
lock:
	rm -rf /tmp/hnplus-lock && $(PYTHON) -m venv /tmp/hnplus-lock
	/tmp/hnplus-lock/bin/pip install -q --upgrade pip setuptools wheel
	/tmp/hnplus-lock/bin/pip install -q -e '.[dev]'
	(echo "# Pinned versions (pip freeze of a clean venv). Regenerate with: make lock"; \
	 /tmp/hnplus-lock/bin/pip freeze --exclude-editable) > requirements/constraints.txt

clean:
	rm -rf data
