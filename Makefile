# RepairOps: `make demo` installs everything and runs the demo; `make test` runs every check and test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint typecheck imports clean stop catalogs

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

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

test: $(STAMP) lint typecheck imports
	$(BIN)/python -m pytest -q

# The translation catalogs: every message the UI, documents, notifications and errors use (see ops_db/i18n).
catalogs: $(STAMP)
	mkdir -p .repairops
	$(BIN)/pybabel extract -k t -k _ -k N_ -k ValidationError -k NotFound -k Conflict -k PermissionDenied \
	  -k RepairOpsError -k DatabaseUnavailable -k AuthenticationFailed -k PaymentsUnavailable -k RateLimited \
	  --ignore-dirs "migrations demo .* _*" --no-location --sort-output \
	  -o .repairops/repairops.pot ops_db dashboards api
	$(BIN)/pybabel update -i .repairops/repairops.pot -d ops_db/i18n/locales -D repairops --no-fuzzy-matching \
	  --ignore-obsolete -w 120

stop: $(STAMP)
	$(BIN)/repairops db stop

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
