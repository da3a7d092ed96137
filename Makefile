# RepairOps: `make demo` installs everything and runs the demo; `make test` runs every check and test;
# `make test-fast` is the quick loop before pushing; `make fmt` formats. See docs/development.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast test-suite test-clock install lint fmt typecheck imports clean stop catalogs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/repairops demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

# Format the code the way it is kept: ruff's safe fixes first (unused imports, import order, modern syntax), then
# ruff format. The pre-commit hooks (.pre-commit-config.yaml) do the same on the files of each commit.
fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: $(STAMP) lint typecheck imports test-suite test-clock

# Every test, on every core (pytest-xdist): one embedded Postgres per worker, a module's tests stay on one worker
# (--dist loadscope) so its module-scoped databases and servers are built once.
test-suite: $(STAMP)
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadscope

# The quick loop before pushing: the checks, then every test not marked `slow` (schemathesis, hypothesis action
# sequences, the browser tests in tests/e2e, the full warehouse refresh) on every core (pytest-xdist; each worker
# runs its own embedded Postgres, a module's tests stay on one worker), stopping at the first failure. Most of a
# test's time is its fresh database, so cores are what make it quick. `make test` still runs everything.
# Narrower or fewer workers: make test-fast TESTS=tests/ops_db/services WORKERS=2
TESTS ?= tests
WORKERS ?= auto
test-fast: $(STAMP) lint typecheck imports
	$(BIN)/python -m pytest -q -x -n $(WORKERS) --dist loadscope -m "not slow" $(TESTS)

# The tests that read the hour, the date or the time zone (marked `clock`), once more as if it were another hour
# somewhere else: by default today at 02:00 UTC (the evening before in the demo company's Chicago) on a machine
# in UTC+14. The database's clock moves too (libfaketime: apt-get install faketime); see tests/clock.py.
# Another hour: make test-clock TEST_TZ=America/Chicago TEST_CLOCK="23:30 America/Chicago"
TEST_TZ ?= Pacific/Kiritimati
TEST_CLOCK ?= 02:00 UTC
test-clock: $(STAMP)
	TZ="$(TEST_TZ)" REPAIROPS_TEST_CLOCK="$(TEST_CLOCK)" $(BIN)/python -m pytest -q -m clock

# The translation catalogs: every message the UI, documents, notifications and errors use (see ops_db/i18n). The
# keywords are t, _, N_ and every error class (ops_db.i18n.KEYWORDS), so a new error class cannot be missed.
catalogs: $(STAMP)
	mkdir -p .repairops
	$(BIN)/pybabel extract $$($(BIN)/python -c "from ops_db.i18n import KEYWORDS; print(' '.join('-k ' + k for k in KEYWORDS))") \
	  --ignore-dirs "migrations demo .* _*" --no-location --sort-output \
	  -o .repairops/repairops.pot ops_db dashboards api
	$(BIN)/pybabel update -i .repairops/repairops.pot -d ops_db/i18n/locales -D repairops --no-fuzzy-matching \
	  --ignore-obsolete -w 120

stop: $(STAMP)
	$(BIN)/repairops db stop

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
