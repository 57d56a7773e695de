# Anju — two commands: `make run` and `make test`. Everything else is bootstrapped here.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run serve test venv lint format messages clean-db bench

$(STAMP): requirements/base.txt requirements/dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	@touch $(STAMP)

venv: $(STAMP)

## run: migrate, load demo data once, start web + worker + scheduler (Ctrl-C stops all)
run: $(STAMP)
	$(PY) scripts/run_dev.py

## serve: the production profile (docs/operations.md): DEBUG off, static files collected for
## whitenoise, refuses to start on a schema without this code's migrations (run
## `manage.py migrate` once per release, not on every web host), then gunicorn with
## ANJU_WEB_WORKERS workers on ANJU_BIND. Needs ANJU_SECRET_KEY (or its file) like production.
serve: export ANJU_DEBUG = 0
serve: export PROMETHEUS_MULTIPROC_DIR ?= $(or $(ANJU_VAR_DIR),var)/prometheus
serve: $(STAMP)
	$(PY) manage.py collectstatic --no-input --verbosity 0
	@$(PY) manage.py migrate --check >/dev/null || { echo "make serve: the database lacks migrations; run 'manage.py migrate' first" >&2; exit 1; }
	$(VENV)/bin/gunicorn anju.wsgi -c gunicorn.conf.py

## test: the whole suite (browser tests run when /usr/bin/chromium exists), one process per
## core (pytest-xdist; each builds its own demo world and test database).
## PYTEST_ARGS="…" replaces the default, e.g. PYTEST_ARGS="-m tasks" or "-n 0 anju/service".
PYTEST_ARGS ?= -n auto
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## messages: refresh the zh-hans catalogue (needs GNU gettext) and compile it (pure Python)
messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var
	$(PY) scripts/compile_messages.py

## bench: selectors and real HTTP (gunicorn) at 100k and 1M, or at $DATABASE_URL when set
##        (BENCH_ARGS="--build 1000000" fills that database first; "--load" adds the load test)
bench: $(STAMP)
	$(PY) bench/run.py $(BENCH_ARGS)

clean-db:
	rm -f var/anju.sqlite3
