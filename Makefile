# PLO Tracker. `make run` sets everything up and runs the product; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
CSS := build/static/css/app.css
# When make began: scripts/run.py prints each stage against it (time to the first page).
PLO_MAKE_STARTED := $(shell date +%s.%N)

.PHONY: run test lint setup browser demo clean help

help:
	@echo "make run   - set up (virtualenv, packages, CSS, database, demo data) and run web, worker and beat"
	@echo "make test  - set up and run the whole test suite"
	@echo "make lint  - ruff, mypy, djLint and bandit"

run: setup
	PLO_MAKE_STARTED=$(PLO_MAKE_STARTED) $(PY) scripts/run.py

test: setup browser
	$(PY) -m pytest -n 2

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/djlint templates --lint
	$(VENV)/bin/bandit -q -c pyproject.toml -r accounts cases meetings deadlines tracker_meetings plo_tracker scripts

setup: $(VENV)/.installed $(CSS)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CSS): node_modules/.installed static/scss/app.scss
	npm run --silent build:css

# Browser tests drive Debian's Chromium (browsers cannot be downloaded any other way here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && apt-get install -y -qq chromium >/dev/null); \
	  else echo "Browser tests need Debian's chromium: sudo apt-get install chromium"; fi; }

demo: setup
	$(PY) manage.py demo_data

clean:
	rm -rf $(VENV) node_modules build staticfiles
