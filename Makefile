# One obvious entry point for each job. Only Python 3.11 (and make) are needed on the machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint fmt messages bench clean fuzz audit

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PIP) install -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install -r requirements-dev.txt
	touch $(VENV)/.runtime $@

## make run: embedded mode (SQLite, filesystem broker), demo data, web + worker + beat; Ctrl-C stops all.
run: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py tiering_demo_data --clients 300 --if-empty
	$(PY) manage.py demo_seed
	@echo "Web: http://$(HOST):$(PORT)/   API docs: http://$(HOST):$(PORT)/api/docs/   (Ctrl-C stops everything)"
	$(PY) manage.py run_embedded $(HOST):$(PORT)

## make test: lint, migrations check, the whole suite (PostgreSQL/Redis/Chromium tests skip loudly if absent
## unless REQUIRE_SERVICES=1).
test: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m bandit -q -r accounts archive callbacks onboarding suitability tiering config -ll
	$(PY) .ci/audit_gate.py
	$(PY) -m pytest $(PYTEST_ARGS)

## make fuzz: the schemathesis run alone, FUZZ_EXAMPLES per operation and role (default 500; make test runs 100).
fuzz: $(VENV)/.dev
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-500} $(PY) -m pytest tests/reliability/test_fuzz.py -q -s

## make audit: pip-audit's full report on the pinned runtime requirements (needs PyPI's JSON API). make test runs
## the gate (.ci/audit_gate.py): found vulnerabilities or unaudited packages fail unless waived with a date.
audit: $(VENV)/.dev
	$(PY) -m pip_audit -r requirements.txt --no-deps --disable-pip

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: $(VENV)/.dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

## make messages: refresh and compile the English translation (needs gettext).
messages: $(VENV)/.dev
	$(PY) manage.py makemessages -l en --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages -l en --ignore=.venv

## make bench: the benchmark suite at 1,000,000 clients (own database, gunicorn, Celery worker; up to ~30 min
## with data generation). BENCH_ARGS=--quick for ~2,000 clients in under 2 minutes. See docs/performance.md.
bench: $(VENV)/.dev
	@command -v wrk >/dev/null || { echo "bench: installing wrk (Debian package)"; apt-get update -q && \
		apt-get install -y -q --no-install-recommends wrk; }
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf var/broker var/celerybeat-schedule* var/test-media
