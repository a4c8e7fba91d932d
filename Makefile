# The two commands of the README: `make run` and `make test`. Each sets up .venv first when needed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

CHROMIUM ?= /usr/bin/chromium
# axe-core for the accessibility check of the browser test: pinned in tests/browser/package-lock.json.
AXE := tests/browser/node_modules/axe-core/axe.min.js

# The storage tests run on PostgreSQL too, in a throw-away cluster of Debian's server.
PG_INITDB := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb))

.PHONY: run test test-postgresql lint demo bench clean postgresql

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The browser test drives Debian's Chromium (Playwright's own browser download is not used).
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
	else echo "The browser test needs Debian's chromium: apt-get install chromium"; exit 1; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null || { \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
	else echo "The browser test needs npm for axe-core: apt-get install npm"; exit 1; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; }
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	touch $(AXE)

postgresql:
	@if [ -z "$(PG_INITDB)" ]; then \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
	else echo "The tests need Debian's PostgreSQL server: apt-get install postgresql"; exit 1; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql; fi

run: $(STAMP)
	$(PY) -m bot run

# pytest exits 5 when it collected no test: that is a failure of its own kind, said plainly.
PYTEST = $(PY) -m pytest -q $(1); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest: no tests were collected"; fi; exit $$rc

test: $(STAMP) $(CHROMIUM) $(AXE) postgresql
	@$(call PYTEST)

# The suite again with every bot's database on PostgreSQL (CI runs both). Left out: the unit
# tests (no database) and the storage tests (`make test` runs each on both engines already).
test-postgresql: $(STAMP) $(CHROMIUM) $(AXE) postgresql
	@PPID_TEST_ENGINE=postgresql $(call PYTEST,--ignore=tests/unit --ignore=tests/storage)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

demo: $(STAMP)
	$(PY) -m bot demo

# Benchmarks measure and print; they are not part of the test run.
bench: $(STAMP)
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/browser/node_modules
