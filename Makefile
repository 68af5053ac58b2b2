# OncoDCC — the two commands of the README, and a few helpers.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test install install-test lint bench clean

run: install
	@mkdir -p var
	@scripts/run.sh

test: install-test
	@mkdir -p var
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n $${PYTEST_WORKERS:-2} --dist loadgroup $(PYTEST_ARGS)

install:
	@scripts/setup.sh run

install-test:
	@scripts/setup.sh test

lint: install-test
	$(VENV)/bin/ruff check .

bench: install-test
	$(PY) -m bench

clean:
	rm -rf $(VENV) var/*.sqlite3 staticfiles
