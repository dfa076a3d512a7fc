# The Makefile is the interface: every install and run step lives here, never only in a shell history.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HNPLUS_DATA_DIR ?= $(CURDIR)/data

.PHONY: help install site-vendor run test lint sql-lint fmt airflow airflow-smoke bench lock browser libreoffice \
	pdf-tools clean deploy-deps deploy-local deploy-stop deploy-status deploy-test deploy-test-failed

help:
	@echo "make run    - install into .venv and run the nightly DAG on the bundled sample data (python -m tools.demo)"
	@echo "make test   - lint + the whole test suite (what CI runs)"
	@echo "make airflow - airflow standalone on localhost with the project's DAGs"
	@echo "make bench  - benchmarks (results under data/bench/)"
	@echo "make deploy-local [DEPLOY_EXECUTOR=celery] - the docker-compose.yml topology on this host (Postgres, Airflow services[, Redis, 2 Celery workers])"
	@echo "make deploy-stop  - stop it; make deploy-test - its tests in both executor modes"

$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip==26.*" "setuptools>=68" wheel
	# echarts-china-provinces-pypkg ships only an sdist whose build needs its helper present: no build isolation
	$(BIN)/pip install -q --no-build-isolation -c requirements/constraints.txt \
		pyecharts-jupyter-installer==0.0.3 echarts-china-provinces-pypkg==0.0.3
	$(BIN)/pip install -q -c requirements/constraints.txt -e '.[dev]'
	touch $(STAMP)

# The score step's compiled kernel (Numba, cached under transforms/build/__pycache__): compiled here once, so the
# first nightly run does not spend seconds on it; a no-op while the cache is current.
install: $(STAMP) site-vendor
	@$(BIN)/python -c "from transforms.build.kernel import warm; warm()"

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
	/tmp/hnplus-lock/bin/pip install -q -e '.[dev,deploy]'
	(echo "# Pinned versions (pip freeze of a clean venv). Regenerate with: make lock"; \
	 /tmp/hnplus-lock/bin/pip freeze --exclude-editable) > requirements/constraints.txt

clean:
	rm -rf data

# ---- The production topology (docker-compose.yml) on this host, without Docker: see docs/deployment.md.
DEPLOY_EXECUTOR ?= local
DEPLOY_STAMP := $(VENV)/.deploy-installed

# The "deploy" extra (Postgres and Celery drivers), pinned by the same constraints file as the Dockerfile uses.
$(DEPLOY_STAMP): $(STAMP) pyproject.toml requirements/constraints.txt
	$(BIN)/pip install -q -c requirements/constraints.txt -e '.[dev,deploy]'
	touch $(DEPLOY_STAMP)

# Debian's PostgreSQL and Redis servers, when missing. No cluster of the Debian package is created or started:
# the deployment runs its own server on its own data directory under data/deploy.
deploy-deps: install $(DEPLOY_STAMP)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		mkdir -p /etc/postgresql-common; \
		test -e /etc/postgresql-common/createcluster.conf || echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf; \
		apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }
	@command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; \
		service redis-server stop >/dev/null 2>&1 || true; }

deploy-local: deploy-deps
	$(BIN)/python -m tools.deploy start --executor $(DEPLOY_EXECUTOR)

deploy-status:
	$(BIN)/python -m tools.deploy status

deploy-stop:
	@test -x $(BIN)/python || { echo "no .venv: nothing was started"; exit 0; }
	$(BIN)/python -m tools.deploy stop

# Starts its own topology per executor mode on a temporary data dir and free ports (about 10 min for both);
# -s: each mode prints its measured timings.
deploy-test: deploy-deps
	$(BIN)/pytest -q -s -m deployment tests/deployment

# The failed deployment tests of the last deploy-test once more, on a fresh topology (.ci/run uses it: real
# servers on 2 shared cores can miss a health deadline; a test that fails twice fails CI).
deploy-test-failed: deploy-deps
	$(BIN)/pytest -q -s -m deployment --last-failed --last-failed-no-failures none tests/deployment
