# Every target bootstraps .venv itself and is safe to re-run.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run demo test lint typecheck test-sqlite test-postgres bench migrate check-config sync clean conformance

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)  ## connect to Discord (needs DISCORD_TOKEN)
	$(PY) -m bot run

demo: $(STAMP)  ## the bot offline against the local Discord simulator, on SQLite
	$(PY) -m bot demo

migrate: $(STAMP)
	$(PY) -m bot migrate

check-config: $(STAMP)
	$(PY) -m bot check-config

sync: $(STAMP)  ## publish slash commands globally (needs DISCORD_TOKEN)
	$(PY) -m bot sync

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

test-sqlite: $(STAMP)
	$(PY) -m pytest

test-postgres: $(STAMP)  ## starts a throwaway PostgreSQL 15 on loopback for the run
	$(PY) scripts/throwaway_postgres.py -- $(PY) -m pytest

test: lint test-sqlite test-postgres

conformance: $(STAMP)  ## the simulator against discord.js and hikari (installed into .cache/conformance/)
	$(PY) -m pytest tests/simulator/test_conformance.py -ra

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .cache
